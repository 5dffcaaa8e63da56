//! [`inflate`] side by side with flate2's `MultiGzDecoder`, the inflater it replaced: on generated objects,
//! whole, split into members, cut short, damaged, with trailing bytes, lying sizes and tight limits, both give
//! the same bytes or fail with the same kind of error.

use std::io::{Read, Write};
use std::mem::discriminant;

use flate2::read::MultiGzDecoder;
use flate2::{Compression, GzBuilder, write::GzEncoder};

use super::{first_guess, inflate, room_cap};
use crate::decode::DecodeError;

/// What `inflate` did before libdeflate: flate2 over every member, cut at one byte past the limit.
fn flate2(raw: Vec<u8>, limit: u64) -> Result<Vec<u8>, DecodeError> {
    if raw.is_empty() {
        return Err(DecodeError::Empty);
    }
    if !super::is_gzip(&raw) {
        if raw.len() as u64 > limit {
            return Err(DecodeError::TooLarge { limit });
        }
        return Ok(raw);
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(raw.as_slice())
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(DecodeError::Gzip)?;
    if out.len() as u64 > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    if out.is_empty() {
        return Err(DecodeError::Empty);
    }
    Ok(out)
}

/// Both inflaters on `raw`: the same bytes, or errors of the same variant (the same text, but for gzip
/// errors, whose wording differs); returns libdeflate's result.
fn same(raw: &[u8], limit: u64) -> Result<Vec<u8>, DecodeError> {
    let ours = inflate(raw.to_vec(), limit);
    let theirs = flate2(raw.to_vec(), limit);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert!(a == b, "different bytes, limit {limit}, input {raw:02x?}"),
        (Err(a), Err(b)) => {
            assert_eq!(
                discriminant(a),
                discriminant(b),
                "{a} / {b}, limit {limit}, input {raw:02x?}"
            );
            if !matches!(a, DecodeError::Gzip(_)) {
                assert_eq!(a.to_string(), b.to_string());
            }
        }
        _ => panic!("libdeflate {ours:?}, flate2 {theirs:?}, limit {limit}, input {raw:02x?}"),
    }
    ours
}

/// [`same`] for input that may be both damaged (or cut short) and larger than `limit`. There libdeflate may
/// meet the limit where flate2 reports the damage: flate2 drops what it inflated in the read that finds damage
/// (so its answer depends on its read sizes), while libdeflate stops at the limit as soon as a block would pass
/// it, a stored block's length before checking its bytes are there, a cut-short stream after padding it with
/// zeros. Both fail; only that pair of reasons may differ.
fn same_or_limit_first(raw: &[u8], limit: u64) -> Result<Vec<u8>, DecodeError> {
    let ours = inflate(raw.to_vec(), limit);
    if matches!(ours, Err(DecodeError::TooLarge { .. }))
        && matches!(flate2(raw.to_vec(), limit), Err(DecodeError::Gzip(_)))
    {
        return ours;
    }
    same(raw, limit)
}

/// A deterministic xorshift generator: the same cases on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// Data like what objects hold: JSON text, random bytes, or a short pattern repeated.
    fn data(&mut self) -> Vec<u8> {
        match self.below(3) {
            0 => {
                let names = [
                    "GetObject",
                    "AssumeRole",
                    "ListBuckets",
                    "PutObject",
                    "ConsoleLogin",
                ];
                let records: Vec<String> = (0..self.below(12))
                    .map(|i| {
                        let name = names[self.below(names.len())];
                        format!(
                            r#"{{"eventName":"{name}","n":{i},"v":{}}}"#,
                            self.next() % 100_000
                        )
                    })
                    .collect();
                format!(r#"{{"Records":[{}]}}"#, records.join(",")).into_bytes()
            }
            1 => {
                let n = self.below(600);
                self.bytes(n)
            }
            _ => {
                let width = 1 + self.below(8);
                let pattern = self.bytes(width);
                let n = self.below(5000);
                pattern.iter().copied().cycle().take(n).collect()
            }
        }
    }

    fn level(&mut self) -> Compression {
        Compression::new(self.below(10) as u32)
    }
}

fn gz(data: &[u8], level: Compression) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), level);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The members of `parts`, one after the other.
fn members(parts: &[&[u8]], level: Compression) -> Vec<u8> {
    parts.iter().flat_map(|p| gz(p, level)).collect()
}

fn expect_gzip_error(r: Result<Vec<u8>, DecodeError>) -> String {
    match r {
        Err(DecodeError::Gzip(e)) => e.to_string(),
        other => panic!("expected a gzip error, got {other:?}"),
    }
}

#[test]
fn whole_objects_and_plain_bytes() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..300 {
        let data = rng.data();
        let level = rng.level();
        let got = same(&gz(&data, level), u64::MAX);
        if data.is_empty() {
            assert!(matches!(got, Err(DecodeError::Empty)));
        } else {
            assert_eq!(got.unwrap(), data);
        }
        let n = rng.below(50);
        let plain = rng.bytes(n);
        same(&plain, 30).ok();
    }
}

#[test]
fn a_member_boundary_at_every_position() {
    let mut rng = Rng(7);
    for _ in 0..4 {
        let text = rng.data();
        let text = &text[..text.len().min(400)];
        let level = rng.level();
        for k in 0..=text.len() {
            let two = members(&[&text[..k], &text[k..]], level);
            let got = same(&two, u64::MAX);
            if text.is_empty() {
                assert!(matches!(got, Err(DecodeError::Empty)));
            } else {
                assert_eq!(got.unwrap(), text, "split at {k}");
            }
        }
    }
}

#[test]
fn a_short_last_member_makes_the_buffer_grow() {
    // The trailer's size is the last member's: 1 byte here, so the buffer grows several times for the first.
    let big: Vec<u8> = (0..300_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
    let raw = members(&[&big, b"x"], Compression::fast());
    let size = big.len() as u64 + 1;
    let mut want = big.clone();
    want.push(b'x');
    assert_eq!(same(&raw, u64::MAX).unwrap(), want);
    assert_eq!(same(&raw, size).unwrap(), want);
    assert!(matches!(same(&raw, size - 1), Err(DecodeError::TooLarge { .. })));
    assert!(matches!(same(&raw, size / 3), Err(DecodeError::TooLarge { .. })));
}

#[test]
fn empty_members_among_others() {
    let level = Compression::default();
    let cases: [&[&[u8]]; 5] = [
        &[b"", b"{\"Records\":[", b"", b"", b"]}", b""],
        &[b"{}", b""],
        &[b"", b"{}"],
        &[b"", b""],
        &[b""],
    ];
    for parts in cases {
        let raw = members(parts, level);
        let want = parts.concat();
        match same(&raw, u64::MAX) {
            Ok(got) => assert_eq!(got, want),
            Err(e) => assert!(want.is_empty() && matches!(e, DecodeError::Empty), "{e}"),
        }
        same(&raw, want.len() as u64).ok();
    }
}

#[test]
fn truncation_at_every_length() {
    let mut rng = Rng(11);
    let json =
        br#"{"Records":[{"eventName":"GetObject","awsRegion":"eu-west-1"},{"eventName":"PutObject"}]}"#;
    let named = {
        let mut e = GzBuilder::new()
            .filename("object.json")
            .comment("from a test")
            .extra(vec![1, 2, 3])
            .write(Vec::new(), Compression::default());
        e.write_all(json).unwrap();
        e.finish().unwrap()
    };
    // Only a cut right after the first of two members (or after the magic's first byte, which leaves plain
    // bytes) still reads.
    let first = gz(&json[..40], Compression::fast()).len();
    let objects = [
        (gz(json, Compression::default()), None),
        (gz(json, Compression::none()), None),
        (
            members(&[&json[..40], &json[40..]], Compression::fast()),
            Some(first),
        ),
        (gz(&rng.bytes(300), Compression::best()), None),
        (named, None),
    ];
    for (raw, whole_member) in objects {
        let size = flate2(raw.clone(), u64::MAX).unwrap().len() as u64;
        for n in 1..raw.len() {
            for limit in [u64::MAX, size, size - 1] {
                let got = same_or_limit_first(&raw[..n], limit);
                let reads = n == 1 || Some(n) == whole_member && limit >= 40;
                assert_eq!(got.is_ok(), reads, "cut at {n} of {}, limit {limit}", raw.len());
            }
        }
        assert!(same(&raw, u64::MAX).is_ok());
    }
    assert!(
        expect_gzip_error(inflate(gz(json, Compression::none())[..50].to_vec(), 1 << 20))
            .contains("member 1")
    );
}

#[test]
fn bytes_after_the_last_member_fail_like_flate2() {
    // flate2 reads whatever follows a member as the next member's header, so trailing zeros or garbage fail
    // the object ("invalid gzip header", or an unexpected end when fewer than a header's bytes remain).
    let mut rng = Rng(13);
    let json = b"{\"Records\":[]}";
    let object = gz(json, Compression::default());
    let mut tails: Vec<Vec<u8>> = vec![
        vec![0x1f],
        vec![0x1f, 0x8b],
        vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3],
        object[..object.len() - 1].to_vec(),
        b"\n".to_vec(),
    ];
    for n in 1..40 {
        tails.push(vec![0; n]);
        tails.push(rng.bytes(n));
    }
    for tail in tails {
        let mut raw = object.clone();
        raw.extend(&tail);
        let message = expect_gzip_error(same(&raw, u64::MAX));
        assert!(message.starts_with("member 2: "), "{message}");
    }
}

#[test]
fn damaged_bytes() {
    let mut rng = Rng(17);
    for _ in 0..300 {
        let data = rng.data();
        let mut raw = gz(&data, rng.level());
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(raw.len());
            raw[at] ^= 1 + rng.below(255) as u8;
        }
        same(&raw, u64::MAX).ok();
        same_or_limit_first(&raw, data.len() as u64).ok();
    }
    let json = br#"{"Records":[{"eventName":"GetObject"},{"eventName":"GetObject"}]}"#;
    for level in [Compression::none(), Compression::default()] {
        let raw = members(&[json, b"]}"], level);
        for at in 0..raw.len() {
            for mask in [0x01, 0x02, 0x04, 0x10, 0x80, 0xff] {
                let mut bad = raw.clone();
                bad[at] ^= mask;
                same(&bad, u64::MAX).ok();
            }
        }
    }
}

#[test]
fn a_lying_size_in_the_trailer() {
    let mut rng = Rng(19);
    for _ in 0..100 {
        let data = rng.data();
        let raw = gz(&data, rng.level());
        let truth = data.len() as u32;
        let last = raw.len() - 4;
        for claim in [
            0,
            1,
            truth.wrapping_sub(1),
            truth + 1,
            u32::MAX,
            rng.next() as u32,
        ] {
            if claim == truth {
                continue;
            }
            let mut lying = raw.clone();
            lying[last..].copy_from_slice(&claim.to_le_bytes());
            expect_gzip_error(same(&lying, u64::MAX));
        }
    }
    // A claim never reserves more than the input could inflate to, nor more than the limit.
    let mut huge = gz(b"{}", Compression::default());
    let last = huge.len() - 4;
    huge[last..].copy_from_slice(&u32::MAX.to_le_bytes());
    let cap = room_cap(huge.len(), u64::MAX);
    assert_eq!(cap, huge.len() * 1032);
    assert_eq!(first_guess(&huge, cap), cap);
    assert_eq!(first_guess(&huge, room_cap(huge.len(), 100)), 100);
}

#[test]
fn the_limit_is_exact() {
    let mut rng = Rng(23);
    for i in 0..200 {
        let data = rng.data();
        if data.is_empty() {
            continue;
        }
        let level = rng.level();
        let raw = if i % 2 == 0 {
            gz(&data, level)
        } else {
            let k = rng.below(data.len());
            members(&[&data[..k], &data[k..]], level)
        };
        let size = data.len() as u64;
        for limit in [0, 1, size / 2, size - 1, size, size + 1, u64::MAX] {
            same(&raw, limit).ok();
        }
        assert_eq!(same(&raw, size).unwrap(), data);
        assert!(matches!(
            same(&raw, size - 1),
            Err(DecodeError::TooLarge { limit }) if limit == size - 1
        ));
    }
}

#[test]
fn header_fields_flate2_checks() {
    let json = b"{\"Records\":[]}";
    let plain = gz(json, Compression::default());
    // A header CRC: right, then wrong.
    let mut with_crc = plain[..10].to_vec();
    with_crc[3] |= 0x02;
    let crc = super::libdeflate::crc32(&with_crc) as u16;
    with_crc.extend(crc.to_le_bytes());
    with_crc.extend(&plain[10..]);
    assert_eq!(same(&with_crc, u64::MAX).unwrap(), json);
    with_crc[10] ^= 1;
    expect_gzip_error(same(&with_crc, u64::MAX));
    // Reserved flags, another method.
    for (at, value) in [(3, 0x20), (3, 0x80), (2, 7)] {
        let mut bad = plain.clone();
        bad[at] |= value;
        expect_gzip_error(same(&bad, u64::MAX));
    }
    // A file name as long as flate2 takes, then one byte longer.
    for (len, ok) in [(65_535, true), (65_536, false)] {
        let mut e = GzBuilder::new()
            .filename(vec![b'n'; len])
            .write(Vec::new(), Compression::default());
        e.write_all(json).unwrap();
        assert_eq!(
            same(&e.finish().unwrap(), u64::MAX).is_ok(),
            ok,
            "name of {len} bytes"
        );
    }
}
