//! What verification needs from one log file, read once: the SHA-256 of its decompressed bytes (what a
//! digest commits to), how many gzip members it holds (CloudTrail writes one, so more mean the file was
//! re-packed or had a member appended), and the trail-changing calls it records, which explain gaps in
//! a chain.

use std::io::Read;

use flate2::bufread::GzDecoder;
use serde_json::Value;

use sha2::{Digest as _, Sha256};

use crate::decode::gunzip::{inflate, is_gzip};
use crate::source::evidence::{hex, sha256_hex};

/// Calls that stop, remove or narrow what a trail records.
pub const TRAIL_EVENTS: &[&str] = &[
    "StopLogging",
    "StartLogging",
    "DeleteTrail",
    "UpdateTrail",
    "PutEventSelectors",
];

/// One trail-changing call found in a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailEvent {
    /// `eventTime` as written.
    pub time: String,
    /// `eventName`.
    pub name: String,
    /// `recipientAccountId`.
    pub account: String,
    /// `awsRegion`.
    pub region: String,
    /// Who called: `userIdentity.arn` (or its type when there is none).
    pub who: String,
    /// `sourceIPAddress`.
    pub ip: String,
    /// The trail named in the request (`requestParameters.name`), if any.
    pub trail: Option<String>,
    /// `errorCode` when the call failed.
    pub error: Option<String>,
}

/// A log file's digest-relevant facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHash {
    /// Hex SHA-256 of all decompressed bytes.
    pub sha256: String,
    /// Gzip members (0 for a file that is not gzip).
    pub members: usize,
    /// Hex SHA-256 of the first member alone, when there are several.
    pub first_member_sha256: Option<String>,
    /// Trail-changing calls in the file.
    pub trail_events: Vec<TrailEvent>,
}

/// Decompressed bytes are hashed in pieces this large, so they stay in cache between inflating and hashing.
const PIECE: usize = 128 << 10;

/// Whether a stream, seen piece by piece, mentions every one of some words (a word may span two pieces).
struct Mentions {
    endpoint: bool,
    call: bool,
    tail: Vec<u8>,
}

impl Mentions {
    const ENDPOINT: &'static str = "cloudtrail.amazonaws.com";

    fn new() -> Mentions {
        Mentions {
            endpoint: false,
            call: false,
            tail: Vec::new(),
        }
    }

    fn found(&self) -> bool {
        self.endpoint && self.call
    }

    fn scan(&mut self, piece: &[u8]) {
        if self.found() {
            return;
        }
        let longest = TRAIL_EVENTS
            .iter()
            .map(|n| n.len())
            .chain([Self::ENDPOINT.len()])
            .max()
            .unwrap_or(0);
        // The seam: the end of the last piece and the start of this one.
        let mut seam = std::mem::take(&mut self.tail);
        seam.extend_from_slice(&piece[..piece.len().min(longest)]);
        for text in [seam.as_slice(), piece] {
            let has = |w: &str| memchr::memmem::find(text, w.as_bytes()).is_some();
            self.endpoint |= has(Self::ENDPOINT);
            self.call |= TRAIL_EVENTS.iter().any(|n| has(n));
        }
        self.tail = piece[piece.len().saturating_sub(longest)..].to_vec();
    }
}

/// Hashes one log file's stored bytes; fails on a broken gzip stream or past `limit` decompressed bytes.
pub fn hash_log(raw: &[u8], limit: u64) -> Result<LogHash, String> {
    if !is_gzip(raw) {
        return Ok(LogHash {
            sha256: sha256_hex(raw),
            members: 0,
            first_member_sha256: None,
            trail_events: trail_events(raw),
        });
    }
    let mut hasher = Sha256::new();
    let mut mentions = Mentions::new();
    let mut piece = vec![0u8; PIECE];
    let mut total = 0u64;
    let mut first = None;
    let mut members = 0;
    let mut rest = raw;
    while !rest.is_empty() {
        if !is_gzip(rest) {
            return Err(format!(
                "{} bytes after gzip member {members} are not gzip",
                rest.len()
            ));
        }
        let mut decoder = GzDecoder::new(rest);
        loop {
            let n = decoder
                .read(&mut piece)
                .map_err(|e| format!("gzip member {}: {e}", members + 1))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > limit {
                return Err(format!("larger than {limit} bytes decompressed"));
            }
            hasher.update(&piece[..n]);
            mentions.scan(&piece[..n]);
        }
        rest = decoder.into_inner();
        members += 1;
        if members == 1 && !rest.is_empty() {
            first = Some(hex(&hasher.clone().finalize()));
        }
    }
    // Files that record trail changes are rare: only they are inflated whole and parsed.
    let trail_events = if mentions.found() {
        inflate(raw.to_vec(), limit)
            .map(|json| trail_events(&json))
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(LogHash {
        sha256: hex(&hasher.finalize()),
        members,
        first_member_sha256: first,
        trail_events,
    })
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().map(str::to_string)
}

/// The trail-changing calls in a log's JSON; only files that mention CloudTrail's endpoint and one of
/// the calls are parsed.
fn trail_events(json: &[u8]) -> Vec<TrailEvent> {
    let mentions = |needle: &str| memchr::memmem::find(json, needle.as_bytes()).is_some();
    if !mentions("cloudtrail.amazonaws.com") || !TRAIL_EVENTS.iter().any(|n| mentions(n)) {
        return Vec::new();
    }
    let Ok(doc) = serde_json::from_slice::<Value>(json) else {
        return Vec::new();
    };
    let Some(records) = doc.get("Records").and_then(Value::as_array) else {
        return Vec::new();
    };
    records
        .iter()
        .filter(|r| r.get("eventSource").and_then(Value::as_str) == Some("cloudtrail.amazonaws.com"))
        .filter_map(|r| {
            let name = text(r, &["eventName"])?;
            TRAIL_EVENTS.contains(&name.as_str()).then(|| TrailEvent {
                time: text(r, &["eventTime"]).unwrap_or_default(),
                name,
                account: text(r, &["recipientAccountId"]).unwrap_or_default(),
                region: text(r, &["awsRegion"]).unwrap_or_default(),
                who: text(r, &["userIdentity", "arn"])
                    .or_else(|| text(r, &["userIdentity", "type"]))
                    .unwrap_or_default(),
                ip: text(r, &["sourceIPAddress"]).unwrap_or_default(),
                trail: text(r, &["requestParameters", "name"])
                    .or_else(|| text(r, &["requestParameters", "trailName"])),
                error: text(r, &["errorCode"]),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    const LOG: &str = r#"{"Records":[{"eventTime":"2026-03-02T10:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","recipientAccountId":"111122223333","sourceIPAddress":"185.220.101.47","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory"},"requestParameters":{"name":"org-trail"}},{"eventSource":"s3.amazonaws.com","eventName":"StopLogging"}]}"#;

    #[test]
    fn hashes_the_decompressed_bytes_and_finds_trail_calls() {
        let h = hash_log(&gz(LOG.as_bytes()), 1 << 20).unwrap();
        assert_eq!(h.sha256, sha256_hex(LOG.as_bytes()));
        assert_eq!((h.members, h.first_member_sha256.as_deref()), (1, None));
        assert_eq!(h.trail_events.len(), 1);
        let e = &h.trail_events[0];
        assert_eq!(e.who, "arn:aws:iam::111122223333:user/mallory");
        assert_eq!(e.trail.as_deref(), Some("org-trail"));
        let plain = hash_log(LOG.as_bytes(), 1 << 20).unwrap();
        assert_eq!((plain.sha256, plain.members), (h.sha256, 0));
    }

    #[test]
    fn words_split_between_pieces_are_found() {
        let text = LOG.as_bytes();
        let at = LOG.find("StopLogging").unwrap() + 4;
        let end = LOG.find("amazonaws.com").unwrap() + 3;
        let mut m = Mentions::new();
        m.scan(&text[..end]);
        m.scan(&text[end..at]);
        assert!(!m.call);
        m.scan(&text[at..]);
        assert!(m.found());
        let mut none = Mentions::new();
        none.scan(br#"{"Records":[{"eventSource":"s3.amazonaws.com"}]}"#);
        assert!(!none.found());
    }

    #[test]
    fn counts_members_and_refuses_broken_streams() {
        let (a, b) = LOG.split_at(40);
        let mut two = gz(a.as_bytes());
        two.extend(gz(b.as_bytes()));
        let h = hash_log(&two, 1 << 20).unwrap();
        assert_eq!(h.members, 2);
        assert_eq!(h.sha256, sha256_hex(LOG.as_bytes()));
        assert_eq!(h.first_member_sha256, Some(sha256_hex(a.as_bytes())));
        let mut junk = gz(LOG.as_bytes());
        junk.extend(b"xx");
        assert!(hash_log(&junk, 1 << 20).unwrap_err().contains("not gzip"));
        let full = gz(LOG.as_bytes());
        assert!(hash_log(&full[..full.len() - 6], 1 << 20).is_err());
        assert!(hash_log(&full, 10).unwrap_err().contains("larger"));
    }
}
