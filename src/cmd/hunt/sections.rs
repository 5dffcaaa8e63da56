//! The table a hunt prints for people: per rule with findings, what the rule is, when it fired, its top
//! principals, actors and addresses, then one row per finding group, fitted to the terminal.

use std::collections::BTreeMap;
use std::io::Write;

use super::group::{Capped, LIST_CAP, SMALL_CAP, Section};
use super::render::{is_noisy, left_out_note, share};
use crate::output::{Fit, Shrink, Style, TextTable, wrap};
use crate::sigma::rule::Level;
use crate::timezone::Zone;

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

fn time_cell(zone: Zone, t: Option<i64>) -> String {
    t.map(|t| zone.human(t)).unwrap_or_else(|| "-".into())
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
fn counted<const N: usize>(c: &Capped<N>) -> Vec<String> {
    c.by_count()
        .into_iter()
        .map(|(k, n)| format!("{k} ({n})"))
        .collect()
}

/// Values most frequent first, without counts.
fn named<const N: usize>(c: &Capped<N>) -> Vec<String> {
    c.by_count().into_iter().map(|(k, _)| k.to_string()).collect()
}

/// One section's table: by default the columns a responder reads first (count, time, account, region,
/// event, actor, source IP, error); with `--wide` every column of the group.
fn section_table(s: &Section, wide: bool, zone: Zone) -> TextTable {
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
            row.extend([time_cell(zone, g.first), time_cell(zone, g.last)]);
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
            row.push(time_cell(zone, g.first));
            if who.is_some() {
                row.push(or_dash(&who_cell));
            }
            row.extend([accounts, regions, names, actors, or_dash(ip), errors]);
        }
        t.add_row(row);
    }
    t
}

/// The table format of a hunt: per rule with findings, a few lines on the rule and its groups, then the
/// groups' table.
pub fn write_table(
    out: &mut dyn Write,
    style: &Style,
    sections: &[Section],
    events: u64,
    left_out: &BTreeMap<Level, u64>,
) -> std::io::Result<()> {
    let fit = style.fit;
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
                time_cell(style.zone, first),
                time_cell(style.zone, last),
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
        writeln!(
            out,
            "{}",
            section_table(s, fit.wide, style.zone).render(fit.width)
        )?;
    }
    if let Some(n) = note {
        writeln!(out)?;
        note_lines(out, fit, &format!("Not shown: {n}."))?;
    }
    Ok(())
}
