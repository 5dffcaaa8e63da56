//! Writing findings: JSON lines, a JSON array or CSV streamed as findings arrive (one record per finding),
//! or, with `--group` and for the table, one record per finding group (rule, principal, source IP) written
//! at the end. Findings below the level shown are counted, not written.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use serde_json::Value;

use super::group::{Grouper, LIST_CAP, SMALL_CAP, Section};
use crate::output::{Fit, Format, Shrink, TextTable, csv_field, csv_line, wrap};
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
    /// How the table fits the terminal.
    fit: Fit,
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
            fit: crate::output::fit(),
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
            (Format::Table, _) => write_table(out, self.fit, &sections, events, &outcome.left_out)?,
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

/// Writes one line of a section's text, cut to the table width.
fn line(out: &mut dyn Write, fit: Fit, text: &str) -> std::io::Result<()> {
    writeln!(out, "{}", fit.clip(text))
}

/// Writes a note, wrapped to the table width.
fn note_lines(out: &mut dyn Write, fit: Fit, text: &str) -> std::io::Result<()> {
    match fit.width {
        Some(w) => {
            for l in wrap(text, w, 2) {
                writeln!(out, "{l}")?;
            }
            Ok(())
        }
        None => writeln!(out, "{text}"),
    }
}

/// Group-by fields of a correlation that the table's other columns do not already show.
fn unshown(group: &[(String, String)]) -> Vec<&(String, String)> {
    const SHOWN: &[&str] = &["recipientAccountId", "awsRegion", "sourceIPAddress"];
    group
        .iter()
        .filter(|(k, _)| !SHOWN.contains(&k.as_str()))
        .collect()
}

/// Values with their counts, most frequent first: `A (3), B (1)`.
fn counted<const N: usize>(c: &super::group::Capped<N>) -> Vec<String> {
    c.by_count()
        .into_iter()
        .map(|(k, n)| format!("{k} ({n})"))
        .collect()
}

/// Values most frequent first, without counts.
fn named<const N: usize>(c: &super::group::Capped<N>) -> Vec<String> {
    c.by_count().into_iter().map(|(k, _)| k.to_string()).collect()
}

/// One section's table: by default the columns a responder reads first (count, time, account, region,
/// event, actor, source IP, error); with `--wide` every column of the group.
fn section_table(s: &Section, wide: bool) -> TextTable {
    use Shrink::{First, Last, Later};
    let correlation = s.groups.first().and_then(|(_, g)| g.correlation.as_ref());
    let mut columns: Vec<(String, Shrink)> = vec![("count".into(), Last)];
    if correlation.is_some() {
        columns.push(("events".into(), Last));
    }
    let fields = |group: &[&(String, String)]| {
        group
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    // The correlation's group-by fields: all of them with --wide, else those no other column shows.
    let who = match correlation {
        Some((_, group)) if wide && !group.is_empty() => Some(fields(&group.iter().collect::<Vec<_>>())),
        Some((_, group)) if !unshown(group).is_empty() => Some(fields(&unshown(group))),
        Some(_) | None if wide => Some("principal".to_string()),
        _ => None,
    };
    if wide {
        columns.extend([("first".into(), Last), ("last".into(), Last)]);
        columns.extend(who.clone().map(|w| (w, Later)));
        columns.extend([
            ("actors".into(), First),
            ("source IP".into(), Last),
            ("accounts".into(), Last),
            ("regions".into(), Last),
            ("event names".into(), First),
            ("errors".into(), First),
            ("access keys".into(), Later),
            ("user agents".into(), First),
        ]);
    } else {
        columns.push(("time".into(), Last));
        columns.extend(who.clone().map(|w| (w, Later)));
        columns.extend([
            ("account".into(), Last),
            ("region".into(), Last),
            ("event".into(), First),
            ("actor".into(), First),
            ("source IP".into(), Last),
            ("error".into(), First),
        ]);
    }
    let mut t = TextTable::new(columns)
        .want("event", 20)
        .want("actor", 20)
        .want(who.as_deref().unwrap_or_default(), 20)
        // On a narrow terminal these go first (the section's lines above name the top actors and
        // principals).
        .droppable(&["actor", who.as_deref().unwrap_or_default(), "error", "region"]);
    // --wide lists every value a group kept; the default the first few.
    let (few, some) = if wide { (LIST_CAP, LIST_CAP) } else { (3, 2) };
    for ((principal, ip), g) in &s.groups {
        let mut row = vec![g.count.to_string()];
        if correlation.is_some() {
            row.push(g.events.to_string());
        }
        let who_cell = match &g.correlation {
            Some((_, group)) if !wide => unshown(group)
                .iter()
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            _ => principal.clone(),
        };
        let accounts: Vec<String> = g.accounts.sorted().into_iter().map(str::to_string).collect();
        let regions: Vec<String> = g.regions.sorted().into_iter().map(str::to_string).collect();
        let names = brief(&counted(&g.event_names), g.event_names.unlisted(), few);
        let actors = brief(&named(&g.actors), g.actors.unlisted(), some);
        let errors = brief(&counted(&g.errors), g.errors.unlisted(), some);
        let accounts = brief(&accounts, g.accounts.unlisted(), few);
        let regions = brief(&regions, g.regions.unlisted(), few);
        if wide {
            row.extend([time_cell(g.first), time_cell(g.last)]);
            if who.is_some() {
                row.push(or_dash(&who_cell));
            }
            let keys: Vec<String> = g.access_keys.sorted().into_iter().map(str::to_string).collect();
            let agents: Vec<String> = g.user_agents.sorted().into_iter().map(str::to_string).collect();
            row.extend([
                actors,
                or_dash(ip),
                accounts,
                regions,
                names,
                errors,
                brief(&keys, g.access_keys.unlisted(), SMALL_CAP),
                brief(&agents, g.user_agents.unlisted(), SMALL_CAP),
            ]);
        } else {
            row.push(time_cell(g.first));
            if who.is_some() {
                row.push(or_dash(&who_cell));
            }
            row.extend([accounts, regions, names, actors, or_dash(ip), errors]);
        }
        t.add_row(row);
    }
    t
}

fn write_table(
    out: &mut dyn Write,
    fit: Fit,
    sections: &[Section],
    events: u64,
    left_out: &BTreeMap<Level, u64>,
) -> std::io::Result<()> {
    let note = left_out_note(left_out);
    if sections.is_empty() {
        match &note {
            None => writeln!(out, "No findings.")?,
            Some(n) => note_lines(out, fit, &format!("No findings shown: {n}."))?,
        }
        return Ok(());
    }
    for s in sections {
        let rule = &s.rule;
        writeln!(out)?;
        line(
            out,
            fit,
            &format!(
                "[{}] {}  ({} finding{})",
                rule.level.as_str().to_uppercase(),
                rule.title,
                s.findings,
                if s.findings == 1 { "" } else { "s" }
            ),
        )?;
        if is_noisy(s.findings, events) {
            line(
                out,
                fit,
                &format!(
                    "  noisy: review or suppress ({:.1}% of the {events} events in the window)",
                    share(s.findings, events)
                ),
            )?;
        }
        line(
            out,
            fit,
            &format!(
                "  rule {}  author {}  tags {}",
                rule.id,
                rule.author.as_deref().unwrap_or("-"),
                if rule.tags.is_empty() {
                    "-".into()
                } else {
                    rule.tags.join(" ")
                },
            ),
        )?;
        let first = s.groups.iter().filter_map(|(_, g)| g.first).min();
        let last = s.groups.iter().filter_map(|(_, g)| g.last).max();
        line(
            out,
            fit,
            &format!(
                "  first {}  last {}  {} group{}",
                time_cell(first),
                time_cell(last),
                s.groups.len(),
                if s.groups.len() == 1 { "" } else { "s" }
            ),
        )?;
        line(
            out,
            fit,
            &format!(
                "  top principals: {}",
                top(s.groups.iter().map(|((p, _), g)| (p.clone(), g.count)), 3)
            ),
        )?;
        let mut actors: BTreeMap<String, u64> = BTreeMap::new();
        for (_, g) in &s.groups {
            for (a, n) in g.actors.by_count() {
                *actors.entry(a.to_string()).or_default() += n;
            }
        }
        line(out, fit, &format!("  top actors: {}", top(actors.into_iter(), 3)))?;
        line(
            out,
            fit,
            &format!(
                "  top source IPs: {}",
                top(s.groups.iter().map(|((_, ip), g)| (ip.clone(), g.count)), 3)
            ),
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
            line(out, fit, &format!("  sample eventIDs: {}", samples.join(", ")))?;
        }
        writeln!(out, "{}", section_table(s, fit.wide).render(fit.width))?;
    }
    if let Some(n) = note {
        writeln!(out)?;
        note_lines(out, fit, &format!("Not shown: {n}."))?;
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
