//! Records a run must hold until its pass ends (findings waiting for their order, what correlations keep
//! of matched events) kept as bytes: in memory up to a limit, then in an unnamed temporary file that
//! disappears with the process, so what a hunt holds does not grow its memory with the archive.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::FileExt;

/// Bytes appended in memory, then, past the limit, in a temporary file.
pub struct Spill {
    limit: usize,
    memory: Vec<u8>,
    file: Option<BufWriter<File>>,
    len: u64,
}

impl Spill {
    /// An empty spill that holds up to `limit` bytes in memory.
    pub fn new(limit: usize) -> Spill {
        Spill {
            limit,
            memory: Vec::new(),
            file: None,
            len: 0,
        }
    }

    /// Appends `bytes`; returns where they start.
    pub fn push(&mut self, bytes: &[u8]) -> std::io::Result<u64> {
        let at = self.len;
        if self.file.is_none() && self.memory.len() + bytes.len() > self.limit {
            let mut file = BufWriter::new(tempfile::tempfile()?);
            file.write_all(&self.memory)?;
            self.memory = Vec::new();
            self.file = Some(file);
        }
        match &mut self.file {
            Some(f) => f.write_all(bytes)?,
            None => self.memory.extend_from_slice(bytes),
        }
        self.len += bytes.len() as u64;
        Ok(at)
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the bytes went to a temporary file.
    pub fn on_disk(&self) -> bool {
        self.file.is_some()
    }

    /// Ends writing; what was written can be read from then on.
    pub fn seal(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }

    /// `len` bytes from `at` (after [`Spill::seal`]).
    pub fn read(&self, at: u64, len: u32) -> std::io::Result<Cow<'_, [u8]>> {
        match &self.file {
            Some(f) => {
                let mut buf = vec![0; len as usize];
                f.get_ref().read_exact_at(&mut buf, at)?;
                Ok(Cow::Owned(buf))
            }
            None => Ok(Cow::Borrowed(
                &self.memory[at as usize..at as usize + len as usize],
            )),
        }
    }

    /// Everything written, from the start (after [`Spill::seal`]).
    pub fn reader(&self) -> Box<dyn Read + '_> {
        match &self.file {
            Some(f) => Box::new(std::io::BufReader::with_capacity(
                1 << 20,
                FileFrom {
                    file: f.get_ref(),
                    at: 0,
                    end: self.len,
                },
            )),
            None => Box::new(&self.memory[..]),
        }
    }
}

/// A file read from a position on, without moving the file's own cursor.
struct FileFrom<'a> {
    file: &'a File,
    at: u64,
    end: u64,
}

impl Read for FileFrom<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = buf.len().min((self.end - self.at) as usize);
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_past_the_limit_go_to_a_file_and_read_back_the_same() {
        for limit in [1 << 20, 10] {
            let mut s = Spill::new(limit);
            let a = s.push(b"hello ").unwrap();
            let b = s.push(b"world, and more than ten bytes").unwrap();
            s.seal().unwrap();
            assert_eq!(s.on_disk(), limit == 10);
            assert_eq!(&*s.read(a, 6).unwrap(), b"hello ");
            assert_eq!(&*s.read(b, 5).unwrap(), b"world");
            let mut all = String::new();
            s.reader().read_to_string(&mut all).unwrap();
            assert_eq!(all, "hello world, and more than ten bytes");
            assert_eq!(s.len(), all.len() as u64);
        }
    }
}
