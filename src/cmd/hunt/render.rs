//! Writing findings: JSON lines, a JSON array or CSV streamed as findings arrive (one record per finding),
//! or, with `--group` and for the table, one record per finding group (rule, principal, source IP) written
//! at the end. Findings below the level shown are counted, not written.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::Value;

use super::group::{Grouper, Section};
use crate::output::{Format, csv_field, csv_line};
use crate::sigma::finding::{Finding, KEY_COLUMNS};
use crate::sigma::rule::{Level, Rule};

/// What a writer writes.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// The format.
    pub format: Format,
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
    format: Format,
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
        let grouped = options.group || options.format == Format::Table;
        FindingWriter {
            format: options.format,
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
        match self.format {
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
        match (self.format, self.grouped) {
            (Format::Table, _) => write_table(out, &sections, events, &outcome.left_out)?,
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

/// "a (3), b (1), and 2 more" over (value, count) pairs, most frequent first; empty values are left out.
fn top(values: impl Iterator<Item = (String, u64)>, n: usize) -> String {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for (v, c) in values.filter(|(v, _)| !v.is_empty()) {
        *counts.entry(v).or_default() += c;
    }
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let more = v.len().saturating_sub(n);
    let mut s = v
        .into_iter()
        .take(n)
        .map(|(k, c)| format!("{k} ({c})"))
        .collect::<Vec<_>>()
        .join(", ");
    if more > 0 {
        s.push_str(&format!(", and {more} more"));
    }
    if s.is_empty() { "-".into() } else { s }
}

/// The first `n` values of a list for a table cell, saying when there are more.
fn brief(values: &[String], unlisted: u64, n: usize) -> String {
    if values.is_empty() {
        return if unlisted > 0 { "…".into() } else { "-".into() };
    }
    let mut s = values.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    let more = values.len().saturating_sub(n);
    if unlisted > 0 {
        s.push_str(", and others");
    } else if more > 0 {
        s.push_str(&format!(", +{more} more"));
    }
    s
}

fn time_cell(t: Option<i64>) -> String {
    t.map(crate::timezone::human).unwrap_or_else(|| "-".into())
}

fn or_dash(s: &str) -> String {
    if s.is_empty() { "-".into() } else { s.to_string() }
}

fn write_table(
    out: &mut dyn Write,
    sections: &[Section],
    events: u64,
    left_out: &BTreeMap<Level, u64>,
) -> std::io::Result<()> {
    let note = left_out_note(left_out);
    if sections.is_empty() {
        match &note {
            None => writeln!(out, "No findings.")?,
            Some(n) => writeln!(out, "No findings shown: {n}.")?,
        }
        return Ok(());
    }
    for s in sections {
        let rule = &s.rule;
        writeln!(
            out,
            "\n[{}] {}  ({} finding{})",
            rule.level.as_str().to_uppercase(),
            rule.title,
            s.findings,
            if s.findings == 1 { "" } else { "s" }
        )?;
        if is_noisy(s.findings, events) {
            writeln!(
                out,
                "  noisy: review or suppress ({:.1}% of the {events} events in the window)",
                share(s.findings, events)
            )?;
        }
        writeln!(
            out,
            "  rule {}  tags {}  author {}",
            rule.id,
            if rule.tags.is_empty() {
                "-".into()
            } else {
                rule.tags.join(" ")
            },
            rule.author.as_deref().unwrap_or("-")
        )?;
        let first = s.groups.iter().filter_map(|(_, g)| g.first).min();
        let last = s.groups.iter().filter_map(|(_, g)| g.last).max();
        writeln!(
            out,
            "  first {}  last {}  {} group{}",
            time_cell(first),
            time_cell(last),
            s.groups.len(),
            if s.groups.len() == 1 { "" } else { "s" }
        )?;
        writeln!(
            out,
            "  top principals: {}",
            top(s.groups.iter().map(|((p, _), g)| (p.clone(), g.count)), 3)
        )?;
        let mut actors: BTreeMap<String, u64> = BTreeMap::new();
        for (_, g) in &s.groups {
            for (a, n) in g.actors.by_count() {
                *actors.entry(a.to_string()).or_default() += n;
            }
        }
        writeln!(out, "  top actors: {}", top(actors.into_iter(), 3))?;
        writeln!(
            out,
            "  top source IPs: {}",
            top(s.groups.iter().map(|((_, ip), g)| (ip.clone(), g.count)), 3)
        )?;
        let samples: Vec<&str> = s
            .groups
            .iter()
            .filter_map(|(_, g)| {
                g.samples
                    .iter()
                    .map(|x| x.event_id.as_str())
                    .find(|e| !e.is_empty())
            })
            .take(3)
            .collect();
        if !samples.is_empty() {
            writeln!(out, "  sample eventIDs: {}", samples.join(", "))?;
        }
        let correlation = s.groups.first().and_then(|(_, g)| g.correlation.as_ref());
        let mut header: Vec<String> = vec!["count".into()];
        if correlation.is_some() {
            header.push("events".into());
        }
        let who = match correlation {
            Some((_, group)) if !group.is_empty() => group
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            _ => "principal".into(),
        };
        header.extend([
            "first".into(),
            "last".into(),
            who,
            "source IP".into(),
            "accounts".into(),
            "regions".into(),
            "event names".into(),
        ]);
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled);
        t.set_header(header);
        for ((principal, ip), g) in &s.groups {
            let mut row = vec![g.count.to_string()];
            if correlation.is_some() {
                row.push(g.events.to_string());
            }
            let accounts: Vec<String> = g.accounts.sorted().into_iter().map(str::to_string).collect();
            let regions: Vec<String> = g.regions.sorted().into_iter().map(str::to_string).collect();
            let names: Vec<String> = g
                .event_names
                .by_count()
                .into_iter()
                .map(|(k, c)| format!("{k} ({c})"))
                .collect();
            row.extend([
                time_cell(g.first),
                time_cell(g.last),
                or_dash(principal),
                or_dash(ip),
                brief(&accounts, g.accounts.unlisted(), 3),
                brief(&regions, g.regions.unlisted(), 3),
                brief(&names, g.event_names.unlisted(), 3),
            ]);
            t.add_row(row);
        }
        writeln!(out, "{t}")?;
    }
    if let Some(n) = note {
        writeln!(out, "\nNot shown: {n}.")?;
    }
    Ok(())
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
