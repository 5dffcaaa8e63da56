//! Writing findings: JSON lines, a JSON array or CSV streamed as findings arrive (one record per finding),
//! or, with `--group` and for the table, one record per finding group (rule, principal, source IP) written
//! at the end. Findings below the level shown are counted, not written.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use serde_json::Value;

use super::group::Grouper;
use super::sections::write_table;
use crate::output::{Format, Style, csv_field, csv_line};
use crate::sigma::finding::{Finding, KEY_COLUMNS};
use crate::sigma::rule::{Level, Rule};

/// What a writer writes.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// The format, how tables fit, and the zone of times in them.
    pub style: Style,
    /// One record per finding group instead of one per finding (the table is always grouped).
    pub group: bool,
    /// Findings of rules below this level are counted but not written.
    pub show_from: Level,
}

/// One rule's share of the findings written.
#[derive(Debug, Clone)]
pub struct RuleCount {
    /// The rule.
    pub rule: Arc<Rule>,
    /// Its findings.
    pub findings: u64,
    /// Its finding groups.
    pub groups: u64,
}

/// What was written, for the run summary.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Findings written (or shown in groups).
    pub findings: u64,
    /// Those findings by level.
    pub by_level: BTreeMap<Level, u64>,
    /// Findings left out because their level is below the level shown, by level.
    pub left_out: BTreeMap<Level, u64>,
    /// Findings and groups of each rule with findings, by level (highest first) then title.
    pub rules: Vec<RuleCount>,
}

/// Whether a rule's findings alone exceed 1% of the events in the window.
pub fn is_noisy(findings: u64, events: u64) -> bool {
    findings.saturating_mul(100) > events
}

/// `findings` as a percentage of `events`.
pub fn share(findings: u64, events: u64) -> f64 {
    if events == 0 {
        100.0
    } else {
        findings as f64 * 100.0 / events as f64
    }
}

/// How many findings were left out by level, and how to see them; `None` when none were.
pub fn left_out_note(left_out: &BTreeMap<Level, u64>) -> Option<String> {
    let total: u64 = left_out.values().sum();
    if total == 0 {
        return None;
    }
    let parts: Vec<String> = left_out.iter().rev().map(|(l, n)| format!("{n} {l}")).collect();
    let low = left_out.contains_key(&Level::Low);
    let info = left_out.contains_key(&Level::Informational);
    let hint = match (low, info) {
        (true, true) => "--min-level low shows the low ones, --min-level informational all of them",
        (false, true) => "--min-level informational shows them",
        _ => "--min-level low shows them",
    };
    Some(format!(
        "{total} finding{} left out by default ({}); {hint}",
        if total == 1 { "" } else { "s" },
        parts.join(", ")
    ))
}

/// Receives findings and writes them in one format.
pub struct FindingWriter {
    style: Style,
    /// One record per group, written at the end (always so for the table).
    grouped: bool,
    show_from: Level,
    out: Box<dyn Write>,
    /// Records streamed so far.
    written: u64,
    by_level: BTreeMap<Level, u64>,
    left_out: BTreeMap<Level, u64>,
    groups: Grouper,
}

const CSV_RULE_COLUMNS: &[&str] = &["ruleId", "ruleTitle", "level", "tags", "author"];

/// Columns of a group record in CSV, in order (nested values as JSON text, tags space-separated).
const GROUP_COLUMNS: &[&str] = &[
    "ruleId",
    "ruleTitle",
    "level",
    "tags",
    "author",
    "principal",
    "sourceIPAddress",
    "count",
    "events",
    "first",
    "last",
    "accounts",
    "regions",
    "eventNames",
    "accessKeys",
    "actors",
    "userAgents",
    "unlisted",
    "samples",
    "correlation",
];

fn csv_header(out: &mut dyn Write, grouped: bool) -> std::io::Result<()> {
    if grouped {
        return writeln!(out, "{}", GROUP_COLUMNS.join(","));
    }
    let mut header: Vec<&str> = CSV_RULE_COLUMNS.to_vec();
    header.extend(KEY_COLUMNS.iter().map(|(n, _)| *n));
    header.extend(["actorType", "actorArn", "actorHops", "object", "event"]);
    writeln!(out, "{}", header.join(","))
}

fn group_csv_row(record: &Value) -> String {
    let cells: Vec<String> = GROUP_COLUMNS
        .iter()
        .map(|c| match (&record[*c], *c) {
            (Value::Null, _) => String::new(),
            (Value::String(s), _) => csv_field(s),
            (Value::Array(tags), "tags") => csv_field(
                &tags
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            (v, _) => csv_field(&v.to_string()),
        })
        .collect();
    cells.join(",")
}

impl FindingWriter {
    /// A writer to `out`.
    pub fn new(options: WriterOptions, out: Box<dyn Write>) -> FindingWriter {
        let grouped = options.group || options.style.format == Format::Table;
        FindingWriter {
            style: options.style,
            grouped,
            show_from: options.show_from,
            out,
            written: 0,
            by_level: BTreeMap::new(),
            left_out: BTreeMap::new(),
            groups: Grouper::new(grouped),
        }
    }

    /// Counts one finding into its group and, unless grouping, writes it.
    pub fn push(&mut self, f: Finding) -> std::io::Result<()> {
        if f.level() < self.show_from {
            *self.left_out.entry(f.level()).or_default() += 1;
            return Ok(());
        }
        *self.by_level.entry(f.level()).or_default() += 1;
        self.groups.add(&f);
        if self.grouped {
            return Ok(());
        }
        let first = self.written == 0;
        self.written += 1;
        match self.style.format {
            Format::Table => {}
            Format::Jsonl => {
                serde_json::to_writer(&mut self.out, &f.to_json())?;
                self.out.write_all(b"\n")?;
            }
            Format::Json => {
                self.out.write_all(if first { b"[\n" } else { b",\n" })?;
                serde_json::to_writer(&mut self.out, &f.to_json())?;
            }
            Format::Csv => {
                if first {
                    csv_header(&mut self.out, false)?;
                }
                let j = f.to_json();
                let mut cells = vec![
                    f.rule.id.clone(),
                    f.rule.title.clone(),
                    f.rule.level.to_string(),
                    f.rule.tags.join(" "),
                    f.rule.author.clone().unwrap_or_default(),
                ];
                cells.extend(KEY_COLUMNS.iter().map(|(_, p)| f.key(p)));
                let (kind, arn, hops) = match f.actor() {
                    Some((o, h)) => (o.kind, o.arn, h.to_string()),
                    None => Default::default(),
                };
                cells.extend([kind, arn, hops]);
                cells.push(f.object.clone().unwrap_or_default());
                let ev = match (&f.correlation, j.get("events")) {
                    (Some(_), Some(evs)) => evs.to_string(),
                    _ => f.event.to_string(),
                };
                cells.push(ev);
                writeln!(self.out, "{}", csv_line(&cells))?;
            }
        }
        self.out.flush()
    }

    /// Ends the output (writing the groups when grouping); `events` is the number of events in the window.
    pub fn finish(mut self, events: u64) -> std::io::Result<Outcome> {
        let sections = std::mem::take(&mut self.groups).sections();
        let outcome = Outcome {
            findings: self.by_level.values().sum(),
            by_level: std::mem::take(&mut self.by_level),
            left_out: std::mem::take(&mut self.left_out),
            rules: sections
                .iter()
                .map(|s| RuleCount {
                    rule: s.rule.clone(),
                    findings: s.findings,
                    groups: s.groups.len() as u64,
                })
                .collect(),
        };
        let out = &mut self.out;
        match (self.style.format, self.grouped) {
            (Format::Table, _) => write_table(out, &self.style, &sections, events, &outcome.left_out)?,
            (Format::Jsonl, true) => {
                for s in &sections {
                    for ((principal, ip), g) in &s.groups {
                        serde_json::to_writer(&mut *out, &g.to_json(&s.rule, principal, ip))?;
                        out.write_all(b"\n")?;
                    }
                }
            }
            (Format::Json, true) => {
                let mut first = true;
                out.write_all(b"[")?;
                for s in &sections {
                    for ((principal, ip), g) in &s.groups {
                        out.write_all(if first { b"\n" } else { b",\n" })?;
                        first = false;
                        serde_json::to_writer(&mut *out, &g.to_json(&s.rule, principal, ip))?;
                    }
                }
                out.write_all(b"\n]\n")?;
            }
            (Format::Csv, true) => {
                csv_header(out, true)?;
                for s in &sections {
                    for ((principal, ip), g) in &s.groups {
                        writeln!(out, "{}", group_csv_row(&g.to_json(&s.rule, principal, ip)))?;
                    }
                }
            }
            (Format::Json, false) => {
                if self.written == 0 {
                    out.write_all(b"[")?;
                }
                out.write_all(b"\n]\n")?;
            }
            (Format::Csv, false) if self.written == 0 => csv_header(out, false)?,
            _ => {}
        }
        out.flush()?;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noisy_means_more_than_one_percent() {
        assert!(!is_noisy(10, 1000));
        assert!(is_noisy(11, 1000));
        assert!(is_noisy(1, 0));
        assert!(!is_noisy(0, 0));
    }

    #[test]
    fn the_note_says_how_to_see_what_was_left_out() {
        assert_eq!(left_out_note(&BTreeMap::new()), None);
        let low = BTreeMap::from([(Level::Low, 3)]);
        assert_eq!(
            left_out_note(&low).unwrap(),
            "3 findings left out by default (3 low); --min-level low shows them"
        );
        let both = BTreeMap::from([(Level::Low, 1), (Level::Informational, 1)]);
        let n = left_out_note(&both).unwrap();
        assert!(
            n.starts_with("2 findings left out by default (1 low, 1 informational)"),
            "{n}"
        );
        assert!(n.contains("--min-level informational"), "{n}");
    }
}
