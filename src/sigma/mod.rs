//! Sigma detection rules over CloudTrail events: parsing rule files, compiling their detections into
//! DataFusion expressions evaluated over Arrow batches, evaluating correlation rules over the matched rows,
//! and the tooling around rule packs (built-in pack, linting, test events).
//!
//! The pieces, in the order data flows:
//! [`rule`] parses YAML documents into [`rule::Rule`]s (metadata, [`detection`] or [`correlation`]);
//! [`condition`] parses the condition expression; [`modifier`] and [`pattern`] turn values and modifiers
//! into string matchers; [`field`] maps Sigma field paths onto the events schema; [`udf`] holds the
//! vectorised functions the expressions call; [`compile`] builds one boolean expression per rule;
//! [`engine`] runs every selected rule in one pass and hands out [`finding::Finding`]s.

pub mod allow;
pub mod builtin;
pub mod catalogue;
pub mod compile;
pub mod condition;
pub mod correlation;
pub mod detection;
pub mod engine;
pub mod error;
pub mod event;
pub mod field;
pub mod finding;
pub mod lint;
pub mod load;
pub mod member_store;
pub mod modifier;
pub mod name_gate;
pub mod navigator;
pub mod pattern;
pub mod rarity;
pub mod rule;
pub mod select;
pub mod testing;
pub mod udf;
pub mod wire;

pub use error::SigmaError;
pub use rule::{Level, Rule, RuleKind};
