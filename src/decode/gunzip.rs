//! Turns an object's bytes into JSON text: gunzip when the gzip magic is present (every member of a
//! multi-member stream), with a hard cap on the decompressed size so a gzip bomb cannot exhaust memory.
//!
//! An object is inflated whole, member by member, with libdeflate: each member's header and trailer are read
//! here, its deflate stream inflated in one call into room sized from the gzip trailer and grown when short.
//! What is accepted and refused is what flate2's `MultiGzDecoder` accepts and refuses (tested side by side),
//! down to bytes after the last member, which must themselves be a member, with two known exceptions: libdeflate
//! reads a few malformed Huffman codes zlib refuses (an empty distance code, or the unused half of a
//! one-codeword code; the member's CRC still has to match), and an object both damaged and over the limit may
//! fail as over the limit where flate2 would name the damage.

#[cfg(test)]
mod differential;
mod header;

use std::io;

use super::error::DecodeError;
use super::libdeflate::{self, Failure};
use header::{BadHeader, header_len};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// No deflate stream inflates to more than 1,032 bytes per input byte (a 258-byte copy costs 2 bits at least).
const MAX_RATIO: usize = 1032;
/// The least room added when a member needs more.
const MIN_GROWTH: usize = 64 << 10;

/// Whether bytes start like a gzip stream.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// Decompresses `raw` if it is gzip, else returns it as is; fails past `limit` decompressed bytes.
pub fn inflate(raw: Vec<u8>, limit: u64) -> Result<Vec<u8>, DecodeError> {
    if raw.is_empty() {
        return Err(DecodeError::Empty);
    }
    if !is_gzip(&raw) {
        if raw.len() as u64 > limit {
            return Err(DecodeError::TooLarge { limit });
        }
        return Ok(raw);
    }
    let out = inflate_members(&raw, limit)?;
    if out.is_empty() {
        return Err(DecodeError::Empty);
    }
    Ok(out)
}

/// Inflates every member of `raw`, one after the other, into one buffer of at most `limit` bytes.
fn inflate_members(raw: &[u8], limit: u64) -> Result<Vec<u8>, DecodeError> {
    let cap = room_cap(raw.len(), limit);
    let mut out = Vec::with_capacity(first_guess(raw, cap));
    let (mut at, mut member) = (0, 1);
    while at < raw.len() {
        let rest = &raw[at..];
        let bad = |what: &str| corrupt(member, what);
        let body = header_len(rest).map_err(|e| match e {
            BadHeader::CutShort => cut_short(member, "in its header"),
            BadHeader::Invalid(what) => bad(what),
        })?;
        let start = out.len();
        let taken = inflate_body(&rest[body..], &mut out, cap, limit, member)?;
        let trailer_at = body + taken;
        let trailer = rest
            .get(trailer_at..trailer_at + 8)
            .ok_or_else(|| cut_short(member, "before the end of its trailer"))?;
        let (crc, size) = trailer.split_at(4);
        if crc != libdeflate::crc32(&out[start..]).to_le_bytes() {
            return Err(bad("checksum does not match the data"));
        }
        if size != ((out.len() - start) as u32).to_le_bytes() {
            return Err(bad("size in the trailer does not match the data"));
        }
        at += trailer_at + 8;
        member += 1;
    }
    Ok(out)
}

/// Inflates one member's deflate stream, at the start of `body`, onto `out`, growing `out` up to `cap` bytes
/// in all; returns how many bytes of `body` the stream took.
fn inflate_body(
    body: &[u8],
    out: &mut Vec<u8>,
    cap: usize,
    limit: u64,
    member: usize,
) -> Result<usize, DecodeError> {
    loop {
        let room = cap - out.len();
        match libdeflate::inflate_into(body, out, room) {
            Ok(taken) => return Ok(taken),
            Err(Failure::BadData) => {
                return Err(corrupt(member, "invalid deflate data (damaged or cut short)"));
            }
            Err(Failure::NoRoom) if out.capacity() - out.len() >= room => {
                return Err(if cap as u64 >= limit {
                    DecodeError::TooLarge { limit }
                } else {
                    corrupt(member, "inflates past deflate's maximum ratio")
                });
            }
            Err(Failure::NoRoom) => {
                let grown = out
                    .capacity()
                    .saturating_mul(2)
                    .max(out.len() + MIN_GROWTH)
                    .min(cap);
                out.reserve_exact(grown - out.len());
            }
        }
    }
}

/// The most bytes `raw` may inflate to: the limit, and never more than deflate's maximum ratio allows, so
/// that no claimed size can make the buffer grow past what the input could really hold.
fn room_cap(raw_len: usize, limit: u64) -> usize {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    limit.min(raw_len.saturating_mul(MAX_RATIO))
}

/// The first size of the buffer: the size the gzip trailer (the last 4 bytes) gives, exact for a one-member
/// object, trusted no further than `cap`.
fn first_guess(raw: &[u8], cap: usize) -> usize {
    let claimed = match raw.last_chunk::<4>() {
        Some(size) => u32::from_le_bytes(*size) as usize,
        None => 0,
    };
    claimed.min(cap)
}

fn corrupt(member: usize, what: &str) -> DecodeError {
    DecodeError::Gzip(io::Error::new(
        io::ErrorKind::InvalidData,
        format!("member {member}: {what}"),
    ))
}

fn cut_short(member: usize, where_: &str) -> DecodeError {
    DecodeError::Gzip(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("member {member}: cut short {where_}"),
    ))
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

    #[test]
    fn plain_and_gzip_and_multi_member() {
        assert_eq!(inflate(b"{}".to_vec(), 100).unwrap(), b"{}");
        assert_eq!(inflate(gz(b"{\"a\":1}"), 100).unwrap(), b"{\"a\":1}");
        let mut two = gz(b"{\"Records\":[");
        two.extend(gz(b"]}"));
        assert_eq!(inflate(two, 100).unwrap(), b"{\"Records\":[]}");
    }

    #[test]
    fn failures_have_reasons() {
        assert!(matches!(inflate(vec![], 100), Err(DecodeError::Empty)));
        let bomb = gz(&vec![b' '; 10_000]);
        assert!(matches!(
            inflate(bomb, 1000),
            Err(DecodeError::TooLarge { limit: 1000 })
        ));
        assert!(matches!(
            inflate(vec![b'x'; 2000], 1000),
            Err(DecodeError::TooLarge { .. })
        ));
        let full = gz(&vec![b'a'; 5000]);
        let truncated = full[..full.len() / 2].to_vec();
        assert!(matches!(inflate(truncated, 100_000), Err(DecodeError::Gzip(_))));
        let mut corrupt = full.clone();
        for b in corrupt.iter_mut().skip(12).take(20) {
            *b ^= 0x5a;
        }
        assert!(matches!(inflate(corrupt, 100_000), Err(DecodeError::Gzip(_))));
    }
}
