//! `ctscan trace`: everything about one credential's lineage. Backwards, the chain of issuing events
//! from the origin identity to the credential; forwards, every credential descended from it and every
//! call each made, as one timeline across accounts.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, bail};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::TimestampMicrosecondType;
use serde_json::{Value, json};

use crate::attribution::{self, Sessions};
use crate::cli::args::{EXIT_OK, EXIT_PARTIAL, destination};
use crate::cli::context::RunContext;
use crate::cli::trace::{TraceArgs, TraceFormat};
use crate::events::dedup::Copies;
use crate::events::session::{check_sources, register_events, runtime};
use crate::input::Input;
use crate::output::{Fit, Shrink, TextTable, csv_line};
use crate::sigma::event::format_time;
use crate::text_column::TextColumn;
use crate::timezone::Zone;

/// One line of the trace: a hop of a chain or a call.
#[derive(Debug, Clone, Default)]
struct Row {
    record: &'static str,
    time: i64,
    key: String,
    hops: u32,
    account: String,
    region: String,
    event_source: String,
    event_name: String,
    principal: String,
    ip: String,
    user_agent: String,
    mfa: String,
    error: String,
    event_id: String,
    issued: String,
}

const CSV_COLUMNS: &[&str] = &[
    "record",
    "eventTime",
    "accessKeyId",
    "hops",
    "account",
    "region",
    "eventSource",
    "eventName",
    "principalArn",
    "sourceIPAddress",
    "userAgent",
    "mfa",
    "errorCode",
    "eventID",
    "issuedAccessKeyId",
];

impl Row {
    fn cells(&self) -> Vec<String> {
        vec![
            self.record.to_string(),
            format_time(self.time),
            self.key.clone(),
            self.hops.to_string(),
            self.account.clone(),
            self.region.clone(),
            self.event_source.clone(),
            self.event_name.clone(),
            self.principal.clone(),
            self.ip.clone(),
            self.user_agent.clone(),
            self.mfa.clone(),
            self.error.clone(),
            self.event_id.clone(),
            self.issued.clone(),
        ]
    }

    fn to_json(&self) -> Value {
        let v = self.cells();
        let mut m = serde_json::Map::new();
        for (k, v) in CSV_COLUMNS.iter().zip(v) {
            let value = match *k {
                "hops" => json!(self.hops),
                _ if v.is_empty() => Value::Null,
                _ => json!(v),
            };
            m.insert((*k).into(), value);
        }
        Value::Object(m)
    }

    fn timesketch(&self) -> Value {
        let mut v = self.to_json();
        let message = match self.record {
            "hop" => format!(
                "{} by {} from {} issued {}",
                self.event_name, self.principal, self.ip, self.issued
            ),
            _ => format!(
                "{} {} by {} ({}) from {}{}",
                self.event_source,
                self.event_name,
                self.principal,
                self.key,
                self.ip,
                if self.error.is_empty() {
                    String::new()
                } else {
                    format!(" failed: {}", self.error)
                }
            ),
        };
        v["datetime"] = json!(format_time(self.time));
        v["timestamp_desc"] = json!("Event Time");
        v["message"] = json!(message);
        v
    }
}

/// The keys TARGET names: a key itself, or the keys of matching ARNs, session names and addresses.
fn targets(s: &Sessions, target: &str) -> BTreeSet<String> {
    if s.get(target).is_some() || s.evidence.issuances.contains_key(target) {
        return BTreeSet::from([target.to_string()]);
    }
    s.credentials
        .iter()
        .filter(|c| {
            let is = |v: &Option<String>| v.as_deref() == Some(target);
            is(&c.arn)
                || is(&c.role_arn)
                || is(&c.session_name)
                || c.origin.arn == target
                || c.usage.as_ref().is_some_and(|u| u.ips.contains(target))
                || c.issuance
                    .as_ref()
                    .is_some_and(|i| is(&i.ip) || is(&i.caller.arn))
        })
        .map(|c| c.key.clone())
        .collect()
}

/// The hops of the chains leading to the targets, oldest first, each issuing event once.
fn chain_rows(s: &Sessions, keys: &BTreeSet<String>) -> Vec<Row> {
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for k in keys {
        for hop in s.evidence.lineage(k) {
            let Some(i) = s.evidence.issuances.get(&hop) else {
                continue;
            };
            if !seen.insert(i.event_id.clone()) {
                continue;
            }
            rows.push(Row {
                record: "hop",
                time: i.at,
                key: i.caller.key.clone().unwrap_or_default(),
                hops: s.origin(&hop).1,
                account: i.recipient.clone().unwrap_or_default(),
                event_name: i.event_name.clone(),
                principal: i
                    .caller
                    .arn
                    .clone()
                    .or_else(|| i.caller.invoked_by.clone())
                    .or_else(|| i.federated.as_ref().map(|f| f.1.clone()))
                    .unwrap_or_default(),
                ip: i.ip.clone().unwrap_or_default(),
                user_agent: i.user_agent.clone().unwrap_or_default(),
                mfa: i.mfa.clone().unwrap_or_default(),
                event_id: i.event_id.clone(),
                issued: i.key.clone(),
                ..Row::default()
            });
        }
    }
    rows.sort_by_key(|r| r.time);
    rows
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Every call signed by `keys`, ordered by time.
async fn timeline(source: &Input, s: &Sessions, keys: &BTreeSet<String>) -> anyhow::Result<Vec<Row>> {
    let mut ctx = source.session()?;
    let table = source.table(source.scope().clone(), None).await?;
    register_events(&mut ctx, table, Copies::Fold)?;
    let list = keys.iter().map(|k| quote(k)).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT eventTime, userIdentity.accessKeyId AS k, recipientAccountId, awsRegion, eventSource, eventName, \
userIdentity.arn AS principal, sourceIPAddress, userAgent, \
userIdentity.sessionContext.attributes.mfaAuthenticated AS mfa, errorCode, eventID \
FROM events WHERE userIdentity.accessKeyId IN ({list}) ORDER BY eventTime, eventID"
    );
    let batches = ctx.sql(&sql).await?.collect().await?;
    let mut rows = Vec::new();
    for b in &batches {
        let time = b.column(0).as_primitive::<TimestampMicrosecondType>();
        let cols = (1..b.num_columns())
            .map(|i| TextColumn::of(b.column(i).as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let get = |c: usize, i: usize| cols[c - 1].get(i).unwrap_or_default().to_string();
        for i in 0..b.num_rows() {
            let key = get(1, i);
            rows.push(Row {
                record: "event",
                time: if time.is_valid(i) { time.value(i) } else { 0 },
                hops: s.origin(&key).1,
                key,
                account: get(2, i),
                region: get(3, i),
                event_source: get(4, i),
                event_name: get(5, i),
                principal: get(6, i),
                ip: get(7, i),
                user_agent: get(8, i),
                mfa: get(9, i),
                error: get(10, i),
                event_id: get(11, i),
                issued: String::new(),
            });
        }
    }
    Ok(rows)
}

fn write_tables(
    out: &mut dyn Write,
    fit: Fit,
    zone: Zone,
    s: &Sessions,
    keys: &BTreeSet<String>,
    chain: &[Row],
    events: &[Row],
) -> std::io::Result<()> {
    use Shrink::{First, Last, Later};
    for k in keys {
        let (origin, hops) = s.origin(k);
        let line = format!(
            "{k}: origin {} ({hops} hop{})",
            origin.label(),
            if hops == 1 { "" } else { "s" }
        );
        writeln!(out, "{}", fit.clip(&line))?;
    }
    let mut t = TextTable::new([
        ("time", Last),
        ("event", Later),
        ("account", Last),
        ("by", Later),
        ("source IP", Last),
        ("user agent", First),
        ("MFA", Last),
        ("issued", Last),
    ])
    // A chain has a few hops: as records when its columns would be a few characters wide.
    .records_when_cramped();
    for r in chain {
        t.add_row(vec![
            zone.human(r.time),
            r.event_name.clone(),
            r.account.clone(),
            r.principal.clone(),
            r.ip.clone(),
            r.user_agent.clone(),
            r.mfa.clone(),
            r.issued.clone(),
        ]);
    }
    writeln!(
        out,
        "\nChain ({} hop{}):\n{}",
        chain.len(),
        if chain.len() == 1 { "" } else { "s" },
        t.render(fit.width)
    )?;
    let mut t = TextTable::new([
        ("time", Last),
        ("key", Later),
        ("hops", Last),
        ("account", Last),
        ("region", Last),
        ("event", Later),
        ("source IP", Last),
        ("error", First),
    ])
    // Often one key all along: said once when the timeline is narrow.
    .hoist_constant();
    for r in events {
        t.add_row(vec![
            zone.human(r.time),
            r.key.clone(),
            r.hops.to_string(),
            r.account.clone(),
            r.region.clone(),
            format!(
                "{}:{}",
                r.event_source.trim_end_matches(".amazonaws.com"),
                r.event_name
            ),
            r.ip.clone(),
            r.error.clone(),
        ]);
    }
    writeln!(
        out,
        "\nTimeline ({} call{}):\n{}",
        events.len(),
        if events.len() == 1 { "" } else { "s" },
        t.render(fit.width)
    )
}

/// Runs `ctscan trace`.
pub fn run(args: TraceArgs, ctx: &RunContext) -> anyhow::Result<i32> {
    let (target, sources) = args.args.split_last().context("give a SOURCE and a TARGET")?;
    check_sources(sources)?;
    let cluster = args
        .cluster
        .connect(&sources.iter().map(String::as_str).collect::<Vec<_>>())?;
    let threads = ctx.threads;
    let scope = args.scope.scope()?;
    let reporter = Arc::new(ctx.reporter());
    let config = ctx.scan_config(&args.read, scope);
    // On a cluster the executors decode the archive and the chains are resolved here, where every row
    // of the window meets.
    let exec = ctx.exec(cluster.as_ref()).answering_here();
    let source = Input::open(sources, config, reporter.clone(), exec);
    let rt = runtime(threads)?;
    let result = rt.block_on(async {
        let s = attribution::build(&source).await?;
        for n in &s.notes {
            reporter.println(&format!("ctscan: {n}"));
        }
        let keys = targets(&s, target);
        if keys.is_empty() {
            bail!("no credential in the window matches {target:?} (a key id, an ARN, a session name or a source IP)");
        }
        let all = s.descendants(&keys);
        let chain = chain_rows(&s, &keys);
        let events = timeline(&source, &s, &all).await?;
        Ok((s, keys, chain, events))
    });
    reporter.finish();
    let (s, keys, chain, events) = result?;
    if let Some(target) = &cluster {
        target.vouch("trace")?;
    }
    let (mut out, to_terminal) = destination(args.output.as_deref())?;
    let fit = args.table.fit(to_terminal);
    let format = args.format.unwrap_or(if to_terminal {
        TraceFormat::Table
    } else {
        TraceFormat::Jsonl
    });
    match format {
        TraceFormat::Table => write_tables(&mut out, fit, ctx.zone, &s, &keys, &chain, &events)?,
        TraceFormat::Jsonl | TraceFormat::Timesketch => {
            for r in chain.iter().chain(&events) {
                let v = if format == TraceFormat::Jsonl {
                    r.to_json()
                } else {
                    r.timesketch()
                };
                serde_json::to_writer(&mut out, &v)?;
                out.write_all(b"\n")?;
            }
        }
        TraceFormat::Csv => {
            writeln!(out, "{}", CSV_COLUMNS.join(","))?;
            for r in chain.iter().chain(&events) {
                writeln!(out, "{}", csv_line(&r.cells()))?;
            }
        }
    }
    out.flush()?;
    if ctx.progress.summary {
        let traced = s.descendants(&keys).len();
        eprintln!(
            "ctscan: {traced} credential{} traced, {} hop{}, {} call{}; {} duplicate records folded",
            if traced == 1 { "" } else { "s" },
            chain.len(),
            if chain.len() == 1 { "" } else { "s" },
            events.len(),
            if events.len() == 1 { "" } else { "s" },
            s.duplicates
        );
    }
    Ok(if reporter.had_problems() {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
}
