//! Why an object could not be decoded: each variant names a cause a responder can act on.

use thiserror::Error;

/// An object-level decoding failure; the object is reported with this reason and the run goes on.
#[derive(Debug, Error)]
pub enum DecodeError {
    /// The object could not be read from its source.
    #[error("cannot read: {0}")]
    Read(String),
    /// A remote store refused or failed the read, with a reason naming what to do (missing permission,
    /// deleted object, archived object...).
    #[error("{reason}")]
    Fetch {
        /// Short category for the run summary.
        category: &'static str,
        /// Full explanation.
        reason: String,
    },
    /// The gzip stream is damaged or cut short.
    #[error("corrupt gzip: {0}")]
    Gzip(std::io::Error),
    /// Decompression went past the per-object limit: a gzip bomb or an unexpectedly huge file.
    #[error(
        "decompressed size exceeds the limit of {limit} bytes (possible gzip bomb; raise --max-object-size to read it)"
    )]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The object holds no bytes at all.
    #[error("empty file")]
    Empty,
    /// The object is not JSON at all.
    #[error("not JSON: starts with {0:?}")]
    NotJson(String),
    /// The JSON is malformed (including invalid UTF-8 and nesting deeper than the parser allows).
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A JSON object that is neither a CloudTrail delivery (`Records`) nor an event.
    #[error("JSON object has no \"Records\" array and is not an event")]
    NoRecords,
    /// `Records` exists but is not an array.
    #[error("\"Records\" is not an array")]
    RecordsNotArray,
    /// Every line of a JSON-lines file failed to parse.
    #[error("no line parses as a JSON object")]
    NoValidLines,
}

impl From<crate::source::FetchError> for DecodeError {
    fn from(e: crate::source::FetchError) -> Self {
        match e {
            crate::source::FetchError::Read(reason) => DecodeError::Read(reason),
            crate::source::FetchError::Refused { category, reason } => {
                DecodeError::Fetch { category, reason }
            }
        }
    }
}

impl DecodeError {
    /// A short, stable category used to count failures by reason in the run summary.
    pub fn category(&self) -> &'static str {
        match self {
            DecodeError::Read(_) => "unreadable",
            DecodeError::Fetch { category, .. } => category,
            DecodeError::Gzip(_) => "corrupt gzip",
            DecodeError::TooLarge { .. } => "over size limit",
            DecodeError::Empty => "empty",
            DecodeError::NotJson(_) => "not JSON",
            DecodeError::Json(_) => "invalid JSON",
            DecodeError::NoRecords => "no Records",
            DecodeError::RecordsNotArray => "Records not an array",
            DecodeError::NoValidLines => "invalid JSON lines",
        }
    }
}
