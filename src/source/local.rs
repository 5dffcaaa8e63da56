//! Listing a local copy of an archive: a directory walk that prunes out-of-scope account, region and day
//! folders before entering them, follows symlinks, and reports loops and unreadable folders.

use std::path::Path;

use walkdir::WalkDir;

use super::{Failure, Listing, Location, ObjectRef, SourceError};
use crate::layout::{KeyClass, SkipReason, classify, dir_in_scope};
use crate::window::Scope;

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
        if !entry.file_type().is_file() {
            continue;
        }
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        add_file(entry.path(), size, scope, listing);
    }
    Ok(())
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
