//! Why a rule cannot be loaded or run, with enough context to fix the rule file.

use thiserror::Error;

/// An error in a rule or in running rules.
#[derive(Debug, Error)]
pub enum SigmaError {
    /// The file could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What the operating system said.
        message: String,
    },
    /// The YAML does not parse.
    #[error("invalid YAML: {0}")]
    Yaml(String),
    /// The YAML parses but is not a valid Sigma rule.
    #[error("{0}")]
    Invalid(String),
    /// The condition expression does not parse.
    #[error("condition {condition:?}: {message}")]
    Condition {
        /// The condition text.
        condition: String,
        /// What is wrong with it.
        message: String,
    },
    /// The rule uses a feature this engine does not implement.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// DataFusion refused an expression or a plan.
    #[error("evaluation: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Writing findings failed.
    #[error("writing findings: {0}")]
    Output(String),
    /// Arrow failed while handling matched rows.
    #[error("arrow: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
}

/// Shorthand for a rule-level validation error.
pub fn invalid(msg: impl Into<String>) -> SigmaError {
    SigmaError::Invalid(msg.into())
}
