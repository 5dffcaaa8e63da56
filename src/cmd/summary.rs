//! `ctscan summary`: what each actor (or principal, key, source IP, account) did over the window, one
//! row each. By default rows are origin actors, so the many sessions of one stolen key are one row.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::Arc;

use anyhow::Context;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Int64Type, TimestampMicrosecondType};
use serde_json::{Value, json};

use crate::attribution::{
    self,
    actor::{ACTOR_SQL, ActorMap, Actors, actor_udf},
};
use crate::cli::args::{EXIT_OK, EXIT_PARTIAL};
use crate::cli::context::RunContext;
use crate::cli::summary::{By, SummaryArgs};
use crate::events::dedup::Copies;
use crate::events::session::{check_sources, register_events, runtime};
use crate::input::Input;
use crate::output::{Format, Shrink, TextTable, csv_line};
use crate::sigma::builtin::sensitive_event_names;
use crate::sigma::event::format_time;
use crate::text_column::TextColumn;

/// One summary row.
#[derive(Debug, Default)]
struct Group {
    events: u64,
    first: Option<i64>,
    last: Option<i64>,
    sensitive_ok: BTreeMap<String, u64>,
    sensitive_failed: BTreeMap<String, u64>,
    other: u64,
    regions: BTreeSet<String>,
    ips: BTreeMap<String, u64>,
    keys: BTreeSet<String>,
    agents: BTreeSet<String>,
    accounts: BTreeSet<String>,
    actors: BTreeMap<String, u64>,
}

fn group_expr(by: By) -> &'static str {
    match by {
        By::Actor => "actor",
        By::Principal => "coalesce(userIdentity.arn, userIdentity.invokedBy, userIdentity.principalId)",
        By::Key => "userIdentity.accessKeyId",
        By::Ip => "sourceIPAddress",
        By::Account => "recipientAccountId",
    }
}

fn by_count(m: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = m.iter().map(|(k, n)| (k.clone(), *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

fn counted(m: &BTreeMap<String, u64>) -> Value {
    Value::Array(
        by_count(m)
            .into_iter()
            .map(|(k, n)| json!({"value": k, "count": n}))
            .collect(),
    )
}

impl Group {
    fn actor(&self) -> String {
        by_count(&self.actors)
            .into_iter()
            .next()
            .map(|a| a.0)
            .unwrap_or_default()
    }

    fn to_json(&self, by: By, name: &str) -> Value {
        let total = |m: &BTreeMap<String, u64>| m.values().sum::<u64>();
        json!({
            "by": format!("{by:?}").to_lowercase(),
            "group": name,
            "actor": self.actor(),
            "events": self.events,
            "first": self.first.map(format_time),
            "last": self.last.map(format_time),
            "sensitiveSucceeded": total(&self.sensitive_ok),
            "sensitiveFailed": total(&self.sensitive_failed),
            "otherCalls": self.other,
            "sensitiveCalls": counted(&self.sensitive_ok),
            "sensitiveFailures": counted(&self.sensitive_failed),
            "regions": self.regions,
            "sourceIPs": counted(&self.ips),
            "accessKeys": self.keys,
            "userAgents": self.agents,
            "accounts": self.accounts,
        })
    }
}

const CSV_COLUMNS: &[&str] = &[
    "group",
    "actor",
    "events",
    "first",
    "last",
    "sensitiveSucceeded",
    "sensitiveFailed",
    "otherCalls",
    "sensitiveCalls",
    "regions",
    "sourceIPs",
    "accessKeys",
    "userAgents",
    "accounts",
];

fn list(v: &Value) -> String {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::Object(o) => format!(
                    "{} ({})",
                    o.get("value").and_then(Value::as_str).unwrap_or_default(),
                    o.get("count").cloned().unwrap_or_default()
                ),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn brief(v: &Value, n: usize) -> String {
    let Value::Array(items) = v else {
        return list(v);
    };
    let head = Value::Array(items.iter().take(n).cloned().collect());
    let more = items.len().saturating_sub(n);
    if more > 0 {
        format!("{} +{more}", list(&head))
    } else {
        list(&head)
    }
}

/// Reads the grouped counts into summary rows.
async fn summarise(source: &Input, by: By, actors: Actors) -> anyhow::Result<BTreeMap<String, Group>> {
    let mut ctx = source.session()?;
    let table = source.table(source.scope().clone(), None).await?;
    register_events(&mut ctx, table, Copies::Fold)?;
    ctx.register_udf(actor_udf(actors));
    let sql = format!(
        "WITH e AS (SELECT {ACTOR_SQL} AS actor, * FROM events) \
SELECT {g} AS g, actor, eventName, errorCode IS NULL AS ok, sourceIPAddress, userIdentity.accessKeyId AS k, \
userAgent, recipientAccountId, awsRegion, min(eventTime) AS first, max(eventTime) AS last, count(*) AS n \
FROM e GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9",
        g = group_expr(by)
    );
    let sensitive = sensitive_event_names();
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for b in ctx.sql(&sql).await?.collect().await? {
        let text = |i: usize| TextColumn::of(b.column(i).as_ref());
        let (g, a, name, ip, key, agent, account, region) = (
            text(0)?,
            text(1)?,
            text(2)?,
            text(4)?,
            text(5)?,
            text(6)?,
            text(7)?,
            text(8)?,
        );
        let ok = b.column(3).as_boolean();
        let first = b.column(9).as_primitive::<TimestampMicrosecondType>();
        let last = b.column(10).as_primitive::<TimestampMicrosecondType>();
        let n = b.column(11).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            let grp = groups.entry(g.get(i).unwrap_or("-").to_string()).or_default();
            let count = n.value(i) as u64;
            grp.events += count;
            if first.is_valid(i) {
                grp.first = Some(grp.first.map_or(first.value(i), |f| f.min(first.value(i))));
                grp.last = Some(grp.last.map_or(last.value(i), |l| l.max(last.value(i))));
            }
            let event = name.get(i).unwrap_or_default();
            if sensitive.contains(&event.to_lowercase()) {
                let slot = if ok.is_valid(i) && ok.value(i) {
                    &mut grp.sensitive_ok
                } else {
                    &mut grp.sensitive_failed
                };
                *slot.entry(event.to_string()).or_default() += count;
            } else {
                grp.other += count;
            }
            for (set, v) in [
                (&mut grp.regions, region.get(i)),
                (&mut grp.keys, key.get(i)),
                (&mut grp.agents, agent.get(i)),
                (&mut grp.accounts, account.get(i)),
            ] {
                if let Some(v) = v {
                    set.insert(v.to_string());
                }
            }
            if let Some(v) = ip.get(i) {
                *grp.ips.entry(v.to_string()).or_default() += count;
            }
            if let Some(v) = a.get(i) {
                *grp.actors.entry(v.to_string()).or_default() += count;
            }
        }
    }
    Ok(groups)
}

/// Runs `ctscan summary`.
pub fn run(args: SummaryArgs, ctx: &RunContext) -> anyhow::Result<i32> {
    check_sources(&args.sources)?;
    let cluster = args
        .cluster
        .connect(&args.sources.iter().map(String::as_str).collect::<Vec<_>>())?;
    let threads = ctx.threads;
    let scope = args.scope.scope()?;
    let options = ctx.progress;
    let reporter = Arc::new(ctx.reporter());
    let config = ctx.scan_config(&args.read, scope);
    // On a cluster the executors decode the archive and the groups are counted here, where every row
    // of the window meets.
    let exec = ctx.exec(cluster.as_ref()).answering_here();
    let source = Input::open(&args.sources, config, reporter.clone(), exec);
    let (mut out, style) = args.output.open(ctx.zone)?;
    let rt = runtime(threads)?;
    let result = rt.block_on(async {
        let s = attribution::build(&source)
            .await
            .context("resolving credential chains failed")?;
        for n in &s.notes {
            reporter.println(&format!("ctscan: actors: {n}"));
        }
        let duplicates = s.duplicates;
        let actors = Actors::of(ActorMap::of(&s));
        Ok::<_, anyhow::Error>((summarise(&source, args.by, actors).await?, duplicates))
    });
    reporter.finish();
    let (groups, duplicates) = result?;
    if let Some(target) = &cluster {
        target.vouch("summary")?;
    }
    let mut rows: Vec<(String, Group)> = groups.into_iter().collect();
    rows.sort_by(|a, b| b.1.events.cmp(&a.1.events).then(a.0.cmp(&b.0)));
    let records: Vec<Value> = rows.iter().map(|(k, g)| g.to_json(args.by, k)).collect();
    match style.format {
        Format::Table => {
            use Shrink::{First, Last, Later};
            let head = if args.by == By::Actor { "actor" } else { "group" };
            let mut t = TextTable::new([
                (head, Later),
                ("events", Last),
                ("first", Last),
                ("last", Last),
                ("sensitive ok/failed", Last),
                ("other", Last),
                ("source IPs", First),
                ("regions", First),
                ("keys", First),
            ])
            .records_when_cramped();
            for (r, (_, g)) in records.iter().zip(&rows) {
                t.add_row(vec![
                    r["group"].as_str().unwrap_or_default().to_string(),
                    g.events.to_string(),
                    g.first.map(|t| style.zone.human(t)).unwrap_or_default(),
                    g.last.map(|t| style.zone.human(t)).unwrap_or_default(),
                    format!("{}/{}", r["sensitiveSucceeded"], r["sensitiveFailed"]),
                    g.other.to_string(),
                    brief(&r["sourceIPs"], 2),
                    brief(&r["regions"], 3),
                    brief(&r["accessKeys"], 2),
                ]);
            }
            writeln!(out, "{}", t.render(style.fit.width))?;
        }
        Format::Jsonl => {
            for r in &records {
                serde_json::to_writer(&mut out, r)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &records)?;
            writeln!(out)?;
        }
        Format::Csv => {
            writeln!(out, "{}", CSV_COLUMNS.join(","))?;
            for r in &records {
                let cells: Vec<String> = CSV_COLUMNS.iter().map(|c| list(&r[*c])).collect();
                writeln!(out, "{}", csv_line(&cells))?;
            }
        }
    }
    out.flush()?;
    if options.summary {
        eprintln!(
            "ctscan: {} group{}; {duplicates} duplicate record{} folded (each event counted once)",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" },
            if duplicates == 1 { "" } else { "s" }
        );
    }
    Ok(if reporter.had_problems() {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
}
