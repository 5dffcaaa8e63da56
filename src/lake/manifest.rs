//! The lake's manifest: one JSON line per exported source object, appended only after the Parquet files
//! holding its rows are complete. It decides which files belong to the lake, lets a re-run skip what is done
//! and notice what changed, and doubles as an evidence inventory (size, mtime or ETag, SHA-256 of the bytes).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::LakeError;

/// What the lake knows about one exported source object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Path or key of the source object.
    pub key: String,
    /// Size in bytes as read.
    pub size: u64,
    /// Modification time (local files), seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtime: Option<i64>,
    /// ETag (S3 objects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// SHA-256 of the object's bytes as read, hex.
    pub sha256: String,
    /// Rows written for it.
    pub events: u64,
    /// Lake files (relative to the lake root) that hold its rows.
    pub files: Vec<String>,
    /// Why it contributed no rows, if it could not be decoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The manifest as loaded: entries by key, in order of export.
#[derive(Debug, Default)]
pub struct Manifest {
    entries: Vec<Entry>,
    by_key: HashMap<String, usize>,
    /// Bytes of the file that hold complete lines; anything after is a torn append.
    committed_len: u64,
}

impl Manifest {
    /// Loads the manifest; a last line cut short by a crash is ignored (its files are then orphans).
    pub fn load(path: &Path) -> Result<Manifest, LakeError> {
        let mut m = Manifest::default();
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(m),
            Err(e) => return Err(LakeError::io(path, e)),
        };
        let mut reader = BufReader::new(file);
        let mut line = String::new();
        let mut n = 0;
        loop {
            line.clear();
            let read = reader.read_line(&mut line).map_err(|e| LakeError::io(path, e))?;
            if read == 0 {
                break;
            }
            n += 1;
            if !line.ends_with('\n') {
                // Interrupted append: not committed.
                break;
            }
            m.committed_len += read as u64;
            let entry: Entry = serde_json::from_str(&line)
                .map_err(|e| LakeError::Corrupt(format!("{} line {n}: {e}", path.display())))?;
            m.insert(entry);
        }
        Ok(m)
    }

    fn insert(&mut self, entry: Entry) {
        match self.by_key.get(&entry.key) {
            Some(&i) => self.entries[i] = entry,
            None => {
                self.by_key.insert(entry.key.clone(), self.entries.len());
                self.entries.push(entry);
            }
        }
    }

    /// Cuts a torn last line off the file so later appends start on a line boundary.
    pub fn repair(&self, path: &Path) -> Result<(), LakeError> {
        match OpenOptions::new().write(true).open(path) {
            Ok(f) => f.set_len(self.committed_len).map_err(|e| LakeError::io(path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(LakeError::io(path, e)),
        }
    }

    /// The entry for a key.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.by_key.get(key).map(|&i| &self.entries[i])
    }

    /// All entries, in order of export.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Every lake file the manifest refers to.
    pub fn files(&self) -> std::collections::BTreeSet<&str> {
        self.entries
            .iter()
            .flat_map(|e| e.files.iter().map(String::as_str))
            .collect()
    }

    /// Appends entries durably (written and synced before returning) and records them in memory.
    pub fn append(&mut self, path: &Path, entries: Vec<Entry>) -> Result<(), LakeError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        for e in &entries {
            text.push_str(&serde_json::to_string(e).map_err(|e| LakeError::Corrupt(e.to_string()))?);
            text.push('\n');
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| LakeError::io(path, e))?;
        f.write_all(text.as_bytes()).map_err(|e| LakeError::io(path, e))?;
        f.sync_all().map_err(|e| LakeError::io(path, e))?;
        self.committed_len += text.len() as u64;
        for e in entries {
            self.insert(e);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, files: &[&str]) -> Entry {
        Entry {
            key: key.into(),
            size: 10,
            mtime: Some(1),
            etag: None,
            sha256: "ab".into(),
            events: 3,
            files: files.iter().map(|s| s.to_string()).collect(),
            error: None,
        }
    }

    #[test]
    fn append_load_and_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.jsonl");
        let mut m = Manifest::load(&path).unwrap();
        m.append(&path, vec![entry("a", &["f1"]), entry("b", &["f1", "f2"])])
            .unwrap();
        let mut torn = std::fs::read(&path).unwrap();
        torn.extend_from_slice(br#"{"key":"c","size":1"#);
        std::fs::write(&path, torn).unwrap();
        let mut m = Manifest::load(&path).unwrap();
        assert_eq!(m.entries().len(), 2);
        m.repair(&path).unwrap();
        m.append(&path, vec![entry("d", &["f3"])]).unwrap();
        let m = Manifest::load(&path).unwrap();
        assert_eq!(m.entries().len(), 3);
        assert_eq!(m.get("b").unwrap().files, vec!["f1", "f2"]);
        assert!(m.get("c").is_none());
        assert_eq!(m.files().into_iter().collect::<Vec<_>>(), vec!["f1", "f2", "f3"]);
    }
}
