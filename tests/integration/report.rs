//! `ctscan report` and `hunt --report`: the page's numbers are the hunt's, and in a real headless Chromium
//! it renders offline, without console errors or network requests, and is not blank.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::util::*;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/sample");
const KEYS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/digest-test-key/list-public-keys.json"
);

/// Findings per rule id in `ctscan hunt --format jsonl` output.
fn hunt_counts(args: &[&str]) -> (usize, BTreeMap<String, u64>) {
    let mut all = vec!["hunt", "--format", "jsonl"];
    all.extend(args);
    let r = ctscan(&all);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = jsonl(&r.stdout);
    let mut by_rule = BTreeMap::new();
    for f in &rows {
        *by_rule
            .entry(f["ruleId"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    (rows.len(), by_rule)
}

/// The JSON the page embeds.
fn embedded(html: &str) -> Value {
    let start = html
        .find(r#"<script type="application/json" id="report-data">"#)
        .unwrap();
    let body = &html[start..];
    let open = body.find('>').unwrap() + 1;
    let close = body.find("</script>").unwrap();
    serde_json::from_str(&body[open..close].replace("<\\/", "</")).unwrap()
}

fn page_counts(data: &Value) -> BTreeMap<String, u64> {
    data["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// `ctscan report` of the sample, with its test keys, written into `dir`.
fn sample_report(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("report.html");
    let r = ctscan(&[
        "report",
        SAMPLE,
        "--public-keys",
        KEYS,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    out
}

#[test]
fn the_report_holds_the_hunts_findings_and_the_integrity_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let out = sample_report(dir.path());
    let html = std::fs::read_to_string(&out).unwrap();
    let data = embedded(&html);
    let (n, by_rule) = hunt_counts(&[SAMPLE]);
    assert!(n > 0);
    assert_eq!(data["findings"], n as u64);
    assert_eq!(page_counts(&data), by_rule);
    assert_eq!(data["glance"]["accounts"].as_array().unwrap().len(), 3);
    assert_eq!(
        data["glance"]["events"],
        count(
            Path::new(SAMPLE),
            "SELECT count(DISTINCT eventID) AS n FROM events",
            &[]
        )
    );
    // The sample's chains verify, but mallory's StopLogging left a gap.
    assert_eq!(data["integrity"]["verdict"], "incomplete");
    assert_eq!(data["integrity"]["keys"], 2);
    // Self-contained: no external resource is referenced.
    for needle in [
        "<link",
        "src=\"http",
        "href=\"http",
        "<script src",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(needle), "{needle}");
    }
    // Listed events are capped per group, with the rest counted.
    for s in data["sections"].as_array().unwrap() {
        for g in s["groups"].as_array().unwrap() {
            let listed = g["events"].as_array().unwrap().len() as u64;
            assert!(listed <= 10);
            assert_eq!(
                listed + g["unlisted"].as_u64().unwrap(),
                g["count"].as_u64().unwrap()
            );
        }
    }
}

#[test]
fn hunt_writes_the_same_report_beside_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hunt.html");
    let r = ctscan(&[
        "hunt",
        "--format",
        "jsonl",
        "--min-level",
        "high",
        SAMPLE,
        "--report",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let data = embedded(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(data["findings"], jsonl(&r.stdout).len() as u64);
    let (_, by_rule) = hunt_counts(&["--min-level", "high", SAMPLE]);
    assert_eq!(page_counts(&data), by_rule);
    // No digests were verified by hunt.
    assert!(data["integrity"].is_null());
}

/// Node and the playwright-core package (`CTSCAN_NODE_MODULES`, set up by `.ci/run`) and Chromium.
fn browser() -> Option<(String, String)> {
    let modules = std::env::var("CTSCAN_NODE_MODULES").ok();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    match modules {
        Some(m) if Path::new(&m).join("playwright-core").is_dir() && Path::new(&chromium).exists() => {
            Some((m, chromium))
        }
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must provide Chromium and CTSCAN_NODE_MODULES with playwright-core (.ci/run does)"
            );
            eprintln!(
                "skipped: set CTSCAN_NODE_MODULES to a node_modules with playwright-core and install chromium"
            );
            None
        }
    }
}

#[test]
fn the_report_renders_in_headless_chromium_offline() {
    let Some((modules, chromium)) = browser() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = sample_report(dir.path());
    let shot = dir.path().join("report.png");
    let seen = run(std::process::Command::new("node")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/browser/check_report.js"
        ))
        .arg(&out)
        .arg(&shot)
        .env("NODE_PATH", &modules)
        .env("CHROMIUM", &chromium));
    assert_eq!(seen.code, 0, "{}", seen.stderr);
    let seen: Value = serde_json::from_str(seen.stdout.trim()).unwrap();
    assert_eq!(seen["errors"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["requests"], serde_json::json!([]), "{seen}");
    assert!(seen["colours"].as_u64().unwrap() > 20, "a blank page: {seen}");
    assert!(seen["svgs"].as_u64().unwrap() >= 2 && seen["details"].as_u64().unwrap() > 0);
    let (n, by_rule) = hunt_counts(&[SAMPLE]);
    assert_eq!(seen["findings"], n as u64);
    assert_eq!(seen["data"], n as u64);
    let rules: BTreeMap<String, u64> = serde_json::from_value(seen["rules"].clone()).unwrap();
    assert_eq!(rules, by_rule);
    assert_eq!(seen["integrity"], "incomplete");
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
}
