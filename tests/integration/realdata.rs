//! The real CloudTrail corpus beside the checkout: ctscan's answers must equal independently computed facts.

use std::path::Path;

use serde_json::Value;

use crate::util::*;

/// `[[key, count], ...]` from a query returning columns `k` and `n`, sorted by count desc then key.
fn pairs(dir: &Path, sql: &str) -> Value {
    let rows = query(dir, sql, &[]);
    Value::Array(rows.iter().map(|r| serde_json::json!([r["k"], r["n"]])).collect())
}

fn top(dir: &Path, expr: &str, limit: usize) -> Value {
    pairs(
        dir,
        &format!("SELECT {expr} AS k, count(*) AS n FROM events GROUP BY 1 ORDER BY n DESC, k LIMIT {limit}"),
    )
}

fn check_set(root: &Path, name: &str, facts: &Value) {
    let dir = root.join(name);
    let f = &facts["datasets"][name];
    assert_eq!(
        count(&dir, "SELECT count(*) AS n FROM events", &[]),
        f["total_events"],
        "{name}: total events"
    );
    assert_eq!(
        count(&dir, "SELECT count(DISTINCT eventID) AS n FROM events", &[]),
        f["distinct_event_ids"],
        "{name}"
    );
    assert_eq!(
        count(&dir, "SELECT count(DISTINCT eventName) AS n FROM events", &[]),
        f["distinct_event_names"],
        "{name}"
    );
    assert_eq!(
        count(&dir, "SELECT count(DISTINCT awsRegion) AS n FROM events", &[]),
        f["distinct_aws_regions"],
        "{name}"
    );
    assert_eq!(
        count(&dir, "SELECT count(errorCode) AS n FROM events", &[]),
        f["events_with_any_errorCode"],
        "{name}"
    );
    assert_eq!(
        top(&dir, "eventName", 10),
        f["top10_event_names"],
        "{name}: top event names"
    );
    assert_eq!(
        top(&dir, "eventSource", 10),
        f["top10_event_sources"],
        "{name}: top event sources"
    );
    assert_eq!(
        pairs(
            &dir,
            "SELECT errorCode AS k, count(*) AS n FROM events WHERE errorCode IS NOT NULL GROUP BY 1 ORDER BY n DESC, k LIMIT 10"
        ),
        f["top10_error_codes"],
        "{name}: error codes"
    );
    assert_eq!(
        top(&dir, "userIdentity.type", 100),
        f["userIdentity_type_counts"],
        "{name}: identity types"
    );
    assert_eq!(
        top(&dir, "awsRegion", 1000),
        f["events_per_region"],
        "{name}: regions"
    );
    assert_eq!(
        top(&dir, "eventVersion", 100),
        f["eventVersion_counts"],
        "{name}: event versions"
    );
    assert_eq!(
        top(&dir, "eventType", 100),
        f["eventType_counts"],
        "{name}: event types"
    );
    assert_eq!(
        top(
            &dir,
            "CASE WHEN readOnly IS NULL THEN 'None' WHEN readOnly THEN 'True' ELSE 'False' END",
            10
        ),
        f["readOnly_counts"],
        "{name}: readOnly"
    );
    let times = query(
        &dir,
        "SELECT to_char(min(eventTime), '%Y-%m-%dT%H:%M:%SZ') AS lo, to_char(max(eventTime), '%Y-%m-%dT%H:%M:%SZ') AS hi FROM events",
        &[],
    );
    assert_eq!(times[0]["lo"], f["event_time_min"], "{name}");
    assert_eq!(times[0]["hi"], f["event_time_max"], "{name}");
    // Provenance from the path agrees with the records, as the facts say.
    let differs = count(
        &dir,
        "SELECT count(*) AS n FROM events WHERE objectAccount <> recipientAccountId",
        &[],
    );
    assert_eq!(
        differs, f["events_whose_recipientAccountId_differs_from_path_account"],
        "{name}"
    );
    let files = count(&dir, "SELECT count(DISTINCT objectKey) AS n FROM events", &[]);
    assert_eq!(files, f["files"], "{name}: files");
}

#[test]
fn realdata_matches_the_independent_facts() {
    let Some(root) = realdata() else { return };
    let facts: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("FACTS.json")).unwrap()).unwrap();
    let sets: Vec<String> = facts["datasets"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(sets.len(), 3);
    for name in sets {
        check_set(&root, &name, &facts);
    }
}
