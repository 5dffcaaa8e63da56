//! Listing a local copy of an archive: a directory walk that prunes out-of-scope account, region and day
//! folders before entering them, follows symlinks, and reports loops and unreadable folders. Entries that are
//! not regular files (FIFOs, sockets, devices) are never opened: opening a FIFO blocks until something writes
//! to it.

use std::fs::FileType;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use walkdir::WalkDir;

use super::{Failure, Listing, Location, ObjectRef, SourceError};
use crate::source::layout::{KeyClass, SkipReason, classify, dir_in_scope};
use crate::source::window::Scope;

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Adds what one local SOURCE (a file or a directory) holds to `listing`.
pub fn list_into(source: &str, scope: &Scope, listing: &mut Listing) -> Result<(), SourceError> {
    let root = Path::new(source);
    let meta = std::fs::metadata(root).map_err(|e| SourceError::Unreadable {
        path: source.to_string(),
        reason: e.to_string(),
    })?;
    if meta.is_file() {
        add_file(root, meta.len(), scope, listing);
        return Ok(());
    }
    if !meta.is_dir() {
        add_special(root, meta.file_type(), scope, listing);
        return Ok(());
    }
    let walker = WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !e.file_type().is_dir() || dir_in_scope(&path_str(e.path()), scope));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let key = e.path().map_or_else(|| source.to_string(), path_str);
                let (category, reason) = match e.loop_ancestor() {
                    Some(a) => ("symlink loop", format!("symlink loop back to {}", a.display())),
                    None => (
                        "unreadable",
                        e.io_error()
                            .map_or_else(|| e.to_string(), |io| format!("cannot list: {io}")),
                    ),
                };
                listing.failures.push(Failure {
                    key,
                    category,
                    reason,
                });
                continue;
            }
        };
        let kind = entry.file_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            add_special(entry.path(), kind, scope, listing);
            continue;
        }
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        add_file(entry.path(), size, scope, listing);
    }
    Ok(())
}

/// What kind of entry a file type that is neither a regular file nor a folder is.
fn special_kind(kind: FileType) -> &'static str {
    if kind.is_fifo() {
        "FIFO"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_block_device() {
        "block device"
    } else if kind.is_char_device() {
        "character device"
    } else {
        "unknown file type"
    }
}

/// A FIFO, socket or device (symlinks already followed). One the layout would read (an in-scope log, a
/// loose file, a digest) is a failure like an unreadable file: named, counted, exit code 1. One the layout
/// skips anyway (its name or scope) is counted as skipped like a regular file, since nothing is lost.
fn add_special(path: &Path, kind: FileType, scope: &Scope, listing: &mut Listing) {
    let key = path_str(path);
    let read = match classify(&key) {
        KeyClass::Log(k) => {
            scope.day_range().contains(k.day)
                && scope.wants_account(&k.account)
                && scope.wants_region(&k.region)
        }
        KeyClass::Loose | KeyClass::Skip(SkipReason::Digest) => true,
        KeyClass::Skip(reason) => {
            listing.skipped.entry(reason.to_string()).or_default().objects += 1;
            false
        }
    };
    if read {
        listing.failures.push(Failure {
            key,
            category: "not a regular file",
            reason: format!("not a regular file: {}", special_kind(kind)),
        });
    }
}

fn add_file(path: &Path, size: u64, scope: &Scope, listing: &mut Listing) {
    let key = path_str(path);
    match classify(&key) {
        KeyClass::Log(k) => {
            let in_scope = scope.day_range().contains(k.day)
                && scope.wants_account(&k.account)
                && scope.wants_region(&k.region);
            if in_scope {
                listing.objects.push(ObjectRef {
                    key,
                    size,
                    log: Some(k),
                    location: Location::Local(path.to_path_buf()),
                });
            }
        }
        KeyClass::Loose => {
            listing.objects.push(ObjectRef {
                key,
                size,
                log: None,
                location: Location::Local(path.to_path_buf()),
            });
        }
        KeyClass::Skip(reason) => {
            let t = listing.skipped.entry(reason.to_string()).or_default();
            t.objects += 1;
            t.bytes += size;
            if reason == SkipReason::Digest {
                listing.digests.push(ObjectRef {
                    key,
                    size,
                    log: None,
                    location: Location::Local(path.to_path_buf()),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_files_are_never_listed_to_be_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("good.json"), br#"{"Records":[]}"#).unwrap();
        let fifo = root.join("x.json.gz");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let _socket = std::os::unix::net::UnixListener::bind(root.join("y.json")).unwrap();
        let _skipped = std::os::unix::net::UnixListener::bind(root.join("agent.sock")).unwrap();
        let mut listing = Listing::default();
        list_into(&root.display().to_string(), &Scope::default(), &mut listing).unwrap();
        list_into(&fifo.display().to_string(), &Scope::default(), &mut listing).unwrap();
        let keys: Vec<_> = listing.objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, [root.join("good.json").display().to_string()]);
        let failures: Vec<_> = listing
            .failures
            .iter()
            .map(|f| (f.key.rsplit('/').next().unwrap(), f.category, f.reason.as_str()))
            .collect();
        assert_eq!(
            failures,
            [
                ("x.json.gz", "not a regular file", "not a regular file: FIFO"),
                ("y.json", "not a regular file", "not a regular file: socket"),
                ("x.json.gz", "not a regular file", "not a regular file: FIFO"),
            ]
        );
        assert_eq!(listing.skipped["not a .json or .json.gz file"].objects, 1);
    }
}
