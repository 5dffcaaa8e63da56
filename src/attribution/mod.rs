//! Attribution: who is really behind a credential. Issuing events ([`issuance`]) link each temporary key
//! to the credential that obtained it; [`chain`] follows those links to the origin identity; [`build`]
//! reads the evidence from a source in one pass (plus a look back before the window when needed);
//! [`sessions_table`] serves the result as the `sessions` table.

pub mod actor;
pub mod build;
pub mod chain;
pub mod collect;
pub mod issuance;
pub mod kind;
pub mod sessions_table;
pub mod usage;

pub use build::{Sessions, build, build_learning};
pub use chain::{Credential, Origin};
