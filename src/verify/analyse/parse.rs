//! Reading digests into what the checks use: a digest's name, body, SHA-256 and covered hour, or a
//! `BadFormat` finding saying why it cannot be read; and the sort that lays each chain out in order.

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use super::findings::finding;
use super::types::DigestObject;
use crate::source::evidence::sha256_hex;
use crate::source::layout::layout_relative;
use crate::verify::digest::DigestBody;
use crate::verify::digest_name::{self, DigestName};
use crate::verify::finding::{Finding, Status};

/// A digest that parsed: everything the checks ask of it.
pub(super) struct Parsed {
    /// Its key from the layout root.
    pub(super) key: String,
    /// What its key says: account, region, trail, end.
    pub(super) name: DigestName,
    /// Its content.
    pub(super) body: DigestBody,
    /// Hex SHA-256 of its decompressed bytes, what its successor and its signature commit to.
    pub(super) sha256: String,
    /// Its signature as read, with where it came from.
    pub(super) signature: Option<(String, &'static str)>,
    /// `digestStartTime`.
    pub(super) start: DateTime<Utc>,
    /// `digestEndTime`.
    pub(super) end: DateTime<Utc>,
}

impl Parsed {
    /// The (account, region, trail) chain it belongs to.
    pub(super) fn chain(&self) -> (&str, &str, &str) {
        (&self.name.account, &self.name.region, &self.name.trail)
    }
}

/// An RFC 3339 time, if it is one.
pub(super) fn time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A key from the layout root, so keys written with and without a prefix compare equal.
pub(super) fn rel(key: &str) -> &str {
    layout_relative(key).unwrap_or(key)
}

/// Groups digests per chain: parses every digest (in parallel), turns those that do not parse into
/// findings, and sorts the rest by chain, then end time, then key, so each chain's digests lie together
/// in order.
pub(super) fn parse_all(digests: Vec<DigestObject>, out: &mut Vec<Finding>) -> Vec<Parsed> {
    let mut parsed: Vec<Parsed> = Vec::new();
    for r in digests.into_par_iter().map(parse).collect::<Vec<_>>() {
        match r {
            Ok(p) => parsed.push(p),
            Err(f) => out.push(*f),
        }
    }
    parsed.sort_by(|a, b| {
        a.chain()
            .cmp(&b.chain())
            .then(a.end.cmp(&b.end))
            .then(a.key.cmp(&b.key))
    });
    parsed
}

fn parse(d: DigestObject) -> Result<Parsed, Box<Finding>> {
    let fail = |detail: String| {
        let name = digest_name::parse(&d.key);
        let (account, region) = digest_name::place_of(&d.key).unwrap_or_default();
        let mut f = finding(Status::BadFormat, &d.key, &account, &region);
        f.trail = name.map(|n| n.trail);
        f.detail = detail;
        Box::new(f)
    };
    let Some(name) = digest_name::parse(&d.key) else {
        return Err(fail("not a CloudTrail digest name".into()));
    };
    let json = d.json.as_ref().map_err(|e| fail(e.clone()))?;
    let body = DigestBody::parse(json).map_err(&fail)?;
    let (Some(start), Some(end)) = (time(&body.digest_start_time), time(&body.digest_end_time)) else {
        return Err(fail("digestStartTime or digestEndTime is not a time".into()));
    };
    if body.aws_account_id != name.account {
        return Err(fail(format!(
            "awsAccountId {} is not the account {} of its name",
            body.aws_account_id, name.account
        )));
    }
    Ok(Parsed {
        sha256: sha256_hex(json),
        key: d.key,
        name,
        body,
        signature: d.signature,
        start,
        end,
    })
}
