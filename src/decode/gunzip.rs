//! Turns an object's bytes into JSON text: gunzip when the gzip magic is present (every member of a
//! multi-member stream), with a hard cap on the decompressed size so a gzip bomb cannot exhaust memory.

use std::io::Read;

use flate2::read::MultiGzDecoder;

use super::error::DecodeError;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

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
    // CloudTrail objects compress about 8:1; start there and let the vector grow.
    let guess = raw.len().saturating_mul(8).min(limit as usize);
    let mut out = Vec::with_capacity(guess);
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
