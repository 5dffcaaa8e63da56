//! Proving an archive complete and untampered, offline: CloudTrail's digest chains checked link by link
//! (signatures, previous-digest hashes and signatures, times), every log file a digest lists hashed,
//! every log file no digest lists placed (not yet digested, outside any chain, or injected), and every
//! window no chain covers named with the trail calls that explain it.

pub mod analyse;
pub mod digest;
pub mod digest_name;
pub mod finding;
pub mod keys;
pub mod log_hash;
pub mod read;
pub mod signature;
