//! The metadata sidecar of a generated digest (`<digest key>.metadata.json`), shaped like
//! `aws s3api head-object` output. CloudTrail keeps a digest's signature in S3 object metadata, which a
//! plain copy loses; an archive saved with its metadata keeps it beside the object like this.

use chrono::{DateTime, Utc};
use md5::{Digest as _, Md5};
use serde::Serialize;

/// The object metadata S3 reports for a digest.
#[derive(Serialize)]
struct Metadata<'a> {
    signature: &'a str,
    #[serde(rename = "signature-algorithm")]
    signature_algorithm: &'a str,
}

/// `head-object` output, in the CLI's field order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct HeadObject<'a> {
    accept_ranges: &'a str,
    last_modified: String,
    content_length: usize,
    #[serde(rename = "ETag")]
    etag: String,
    content_type: &'a str,
    metadata: Metadata<'a>,
}

/// The sidecar's text for a digest object stored as `gz`, written at `modified`, with `signature` (hex).
pub fn render(gz: &[u8], modified: DateTime<Utc>, signature: &str) -> String {
    let md5 = ctscan::source::evidence::hex(&Md5::digest(gz));
    let head = HeadObject {
        accept_ranges: "bytes",
        last_modified: modified.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        content_length: gz.len(),
        etag: format!("\"{md5}\""),
        content_type: "application/json",
        metadata: Metadata {
            signature,
            signature_algorithm: "SHA256withRSA",
        },
    };
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    head.serialize(&mut ser)
        .expect("serialising strings and numbers cannot fail");
    let mut text = String::from_utf8(out).expect("serde_json writes UTF-8");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_head_object_output() {
        let t = DateTime::parse_from_rfc3339("2026-03-01T01:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let text = render(b"abc", t, "0a1b");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["ETag"], "\"900150983cd24fb0d6963f7d28e17f72\"");
        assert_eq!(v["ContentLength"], 3);
        assert_eq!(v["LastModified"], "2026-03-01T01:00:00+00:00");
        assert_eq!(v["Metadata"]["signature"], "0a1b");
        assert_eq!(v["Metadata"]["signature-algorithm"], "SHA256withRSA");
        assert!(text.starts_with("{\n    \"AcceptRanges\": \"bytes\",\n"));
    }
}
