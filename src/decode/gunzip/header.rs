//! A gzip member's header (RFC 1952), accepted or refused exactly as flate2's decoder does, so that an object
//! fails the same way whichever inflater reads it: reserved flags refused, a header CRC checked when present,
//! a file name or comment longer than flate2's 65,535 bytes refused.

use super::super::libdeflate::crc32;

const FHCRC: u8 = 1 << 1;
const FEXTRA: u8 = 1 << 2;
const FNAME: u8 = 1 << 3;
const FCOMMENT: u8 = 1 << 4;
const FRESERVED: u8 = 0xe0;
/// flate2's longest file name or comment.
const MAX_FIELD: usize = 65_535;

/// Why the bytes where a member should start are not a usable header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadHeader {
    /// The input ends inside the header.
    CutShort,
    /// Not a gzip header, or one flate2 refuses; says which.
    Invalid(&'static str),
}

/// The length of the member header that starts `bytes`.
pub fn header_len(bytes: &[u8]) -> Result<usize, BadHeader> {
    let fixed = bytes.get(..10).ok_or(BadHeader::CutShort)?;
    if fixed[..3] != [0x1f, 0x8b, 8] {
        return Err(BadHeader::Invalid("not a gzip header"));
    }
    let flags = fixed[3];
    if flags & FRESERVED != 0 {
        return Err(BadHeader::Invalid("reserved header flag set"));
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let xlen = bytes.get(at..at + 2).ok_or(BadHeader::CutShort)?;
        at += 2 + usize::from(u16::from_le_bytes([xlen[0], xlen[1]]));
        if at > bytes.len() {
            return Err(BadHeader::CutShort);
        }
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            at += zero_terminated_len(&bytes[at..])?;
        }
    }
    if flags & FHCRC != 0 {
        let stored = bytes.get(at..at + 2).ok_or(BadHeader::CutShort)?;
        if u16::from_le_bytes([stored[0], stored[1]]) != crc32(&bytes[..at]) as u16 {
            return Err(BadHeader::Invalid("header checksum mismatch"));
        }
        at += 2;
    }
    Ok(at)
}

/// The length of the zero-terminated field that starts `bytes`, its zero included.
fn zero_terminated_len(bytes: &[u8]) -> Result<usize, BadHeader> {
    let window = &bytes[..bytes.len().min(MAX_FIELD + 1)];
    match memchr::memchr(0, window) {
        Some(i) => Ok(i + 1),
        None if window.len() > MAX_FIELD => Err(BadHeader::Invalid("header field longer than 65535 bytes")),
        None => Err(BadHeader::CutShort),
    }
}
