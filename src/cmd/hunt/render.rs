//! Writing findings: JSON lines, a JSON array or CSV streamed as findings arrive, or, for people, a table
//! with one section per rule (by level, then title) that summarises who and where before listing events.

use std::collections::BTreeMap;
use std::io::Write;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use crate::output::Format;
use crate::sigma::event::format_time;
use crate::sigma::finding::{Finding, KEY_COLUMNS};
use crate::sigma::rule::Level;

/// Receives findings and writes them in one format.
pub struct FindingWriter {
    format: Format,
    out: Box<dyn Write>,
    written: u64,
    by_level: BTreeMap<Level, u64>,
    /// Findings held for the table, which needs them all.
    held: Vec<Finding>,
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

const CSV_RULE_COLUMNS: &[&str] = &["ruleId", "ruleTitle", "level", "tags", "author"];

impl FindingWriter {
    /// A writer for `format` to `out`.
    pub fn new(format: Format, out: Box<dyn Write>) -> FindingWriter {
        FindingWriter {
            format,
            out,
            written: 0,
            by_level: BTreeMap::new(),
            held: Vec::new(),
        }
    }

    /// Findings so far, by level.
    pub fn by_level(&self) -> &BTreeMap<Level, u64> {
        &self.by_level
    }

    /// Writes (or holds) one finding.
    pub fn push(&mut self, f: Finding) -> std::io::Result<()> {
        *self.by_level.entry(f.level()).or_default() += 1;
        let first = self.written == 0;
        self.written += 1;
        match self.format {
            Format::Table => self.held.push(f),
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
                    let mut header: Vec<&str> = CSV_RULE_COLUMNS.to_vec();
                    header.extend(KEY_COLUMNS.iter().map(|(n, _)| *n));
                    header.extend(["object", "event"]);
                    writeln!(self.out, "{}", header.join(","))?;
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
                cells.push(f.object.clone().unwrap_or_default());
                let ev = match (&f.correlation, j.get("events")) {
                    (Some(_), Some(evs)) => evs.to_string(),
                    _ => f.event.to_string(),
                };
                cells.push(ev);
                let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
                writeln!(self.out, "{}", line.join(","))?;
            }
        }
        if self.format != Format::Table {
            self.out.flush()?;
        }
        Ok(())
    }

    /// Ends the output; returns the number of findings.
    pub fn finish(mut self) -> std::io::Result<u64> {
        match self.format {
            Format::Json => {
                if self.written == 0 {
                    self.out.write_all(b"[")?;
                }
                self.out.write_all(b"\n]\n")?;
            }
            Format::Csv if self.written == 0 => {
                let mut header: Vec<&str> = CSV_RULE_COLUMNS.to_vec();
                header.extend(KEY_COLUMNS.iter().map(|(n, _)| *n));
                header.extend(["object", "event"]);
                writeln!(self.out, "{}", header.join(","))?;
            }
            Format::Table => {
                let held = std::mem::take(&mut self.held);
                write_table(&mut self.out, held)?;
            }
            _ => {}
        }
        self.out.flush()?;
        Ok(self.written)
    }
}

fn top(values: impl Iterator<Item = String>, n: usize) -> String {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for v in values.filter(|v| !v.is_empty()) {
        *counts.entry(v).or_default() += 1;
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

fn write_table(out: &mut dyn Write, mut findings: Vec<Finding>) -> std::io::Result<()> {
    if findings.is_empty() {
        writeln!(out, "No findings.")?;
        return Ok(());
    }
    findings.sort_by(|a, b| {
        b.rule
            .level
            .cmp(&a.rule.level)
            .then_with(|| a.rule.title.cmp(&b.rule.title))
            .then_with(|| a.rule.id.cmp(&b.rule.id))
            .then_with(|| a.time.cmp(&b.time))
    });
    let mut i = 0;
    while i < findings.len() {
        let id = findings[i].rule.id.clone();
        let end = findings[i..]
            .iter()
            .position(|f| f.rule.id != id)
            .map_or(findings.len(), |p| i + p);
        let section = &findings[i..end];
        let rule = &section[0].rule;
        let first = section.iter().filter_map(|f| f.time).min();
        let last = section.iter().filter_map(|f| f.time).max();
        writeln!(
            out,
            "\n[{}] {}  ({} finding{})",
            rule.level.as_str().to_uppercase(),
            rule.title,
            section.len(),
            if section.len() == 1 { "" } else { "s" }
        )?;
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
        writeln!(
            out,
            "  first {}  last {}",
            first.map(format_time).unwrap_or_else(|| "-".into()),
            last.map(format_time).unwrap_or_else(|| "-".into())
        )?;
        writeln!(
            out,
            "  top principals: {}",
            top(section.iter().map(|f| f.key("userIdentity.arn")), 3)
        )?;
        writeln!(
            out,
            "  top source IPs: {}",
            top(section.iter().map(|f| f.key("sourceIPAddress")), 3)
        )?;
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled);
        let mut header: Vec<&str> = KEY_COLUMNS.iter().map(|(n, _)| *n).collect();
        if section[0].correlation.is_some() {
            header.insert(0, "count");
            header.insert(1, "group");
        }
        t.set_header(header);
        for f in section {
            let mut row: Vec<String> = KEY_COLUMNS.iter().map(|(_, p)| f.key(p)).collect();
            if let Some(c) = &f.correlation {
                row.insert(0, c.count.to_string());
                row.insert(
                    1,
                    c.group
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
            t.add_row(row);
        }
        writeln!(out, "{t}")?;
        i = end;
    }
    Ok(())
}
