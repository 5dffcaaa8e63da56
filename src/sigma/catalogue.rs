//! A catalogue of real CloudTrail `eventSource` values and the `eventName`s each logs, kept in
//! `data/cloudtrail-events.txt`, so `rules lint` can tell a rule that names an IAM *action* where CloudTrail
//! logs a different *event name* (S3's `PutLifecycleConfiguration` action is logged as `PutBucketLifecycle`):
//! such a rule can never fire.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

const DATA: &str = include_str!("../../data/cloudtrail-events.txt");

struct Catalogue {
    /// eventSource → event names, all lower-cased.
    by_source: HashMap<String, HashSet<String>>,
    /// Every event name, lower-cased.
    all: HashSet<String>,
    /// Lower-cased wrong name → the name CloudTrail logs.
    renamed: HashMap<String, String>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let mut by_source: HashMap<String, HashSet<String>> = HashMap::new();
    let mut renamed = HashMap::new();
    let mut current: Option<String> = None;
    for line in DATA.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("rename ") {
            if let Some((from, to)) = rest.split_once("->") {
                renamed.insert(from.trim().to_ascii_lowercase(), to.trim().to_string());
            }
            continue;
        }
        let names = match line.split_once(':') {
            Some((source, names)) if source.contains('.') && !source.contains(' ') => {
                current = Some(source.trim().to_ascii_lowercase());
                names
            }
            _ => line,
        };
        if let Some(src) = &current {
            let set = by_source.entry(src.clone()).or_default();
            set.extend(names.split_whitespace().map(str::to_ascii_lowercase));
        }
    }
    let all = by_source.values().flatten().cloned().collect();
    Catalogue {
        by_source,
        all,
        renamed,
    }
});

/// Whether the catalogue knows an event source (`s3.amazonaws.com`).
pub fn knows_source(source: &str) -> bool {
    CATALOGUE.by_source.contains_key(&source.to_ascii_lowercase())
}

/// Whether `name` is logged by one of `sources` (or, with no known source, by any catalogued service).
pub fn knows_event(sources: &[String], name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let known: Vec<&HashSet<String>> = sources
        .iter()
        .filter_map(|s| CATALOGUE.by_source.get(&s.to_ascii_lowercase()))
        .collect();
    if known.is_empty() {
        return CATALOGUE.all.contains(&name);
    }
    known.iter().any(|set| set.contains(&name))
}

/// The event name CloudTrail logs for a commonly confused action name.
pub fn logged_as(name: &str) -> Option<&'static str> {
    CATALOGUE
        .renamed
        .get(&name.to_ascii_lowercase())
        .map(String::as_str)
}

/// Number of event sources and event names catalogued.
pub fn size() -> (usize, usize) {
    (CATALOGUE.by_source.len(), CATALOGUE.all.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_real_names_and_renames() {
        assert!(knows_source("s3.amazonaws.com"));
        assert!(knows_event(&["s3.amazonaws.com".into()], "PutBucketLifecycle"));
        assert!(!knows_event(
            &["s3.amazonaws.com".into()],
            "PutLifecycleConfiguration"
        ));
        assert_eq!(logged_as("PutLifecycleConfiguration"), Some("PutBucketLifecycle"));
        assert!(knows_event(&["cloudtrail.amazonaws.com".into()], "stoplogging"));
        assert!(knows_event(&[], "ConsoleLogin"));
        let (sources, names) = size();
        assert!(sources > 40 && names > 500, "{sources} {names}");
    }
}
