//! The incident report: one self-contained HTML page a responder hands over after a hunt (the archive at a
//! glance, the integrity verdict, a timeline, a heat map, the top actors, every finding group with its
//! events), built while the findings stream past and small however large the hunt, since identical findings
//! are grouped and each group lists a capped number of events with the count of the rest.

mod charts;
mod page;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::hunt::{HuntStats, Pack};
use crate::progress::Reporter;
use crate::sigma::finding::{Finding, actor_of, get_text, key_of};
use crate::sigma::rule::{Level, Rule};
use crate::source::Listing;
use crate::source::window::Scope;
use crate::verify::analyse::Verification;
use crate::verify::finding::{Status, Weight};

/// Events listed in full per finding group; the rest are counted.
pub const EVENTS_PER_GROUP: usize = 10;
/// Rows of each "top" list.
const TOP: usize = 10;

/// Levels from the most to the least severe, as the page orders them.
pub const LEVELS: [Level; 5] = [
    Level::Critical,
    Level::High,
    Level::Medium,
    Level::Low,
    Level::Informational,
];

/// One finding group: a rule's findings by one actor from one address.
#[derive(Debug, Default)]
struct Group {
    count: u64,
    first: Option<i64>,
    last: Option<i64>,
    events: Vec<Value>,
}

#[derive(Debug)]
struct RuleSection {
    rule: Arc<Rule>,
    count: u64,
    first: Option<i64>,
    last: Option<i64>,
    groups: BTreeMap<(String, String), Group>,
}

/// Everything the page shows, gathered during and after the hunt.
#[derive(Debug)]
pub struct Incident {
    sources: Vec<String>,
    scope: Scope,
    packs: Vec<String>,
    rules_run: usize,
    show_from: Level,
    findings: u64,
    hidden: u64,
    by_level: BTreeMap<Level, u64>,
    hourly: BTreeMap<i64, [u64; 5]>,
    heat: BTreeMap<(String, String), u64>,
    sections: BTreeMap<(Level, String), RuleSection>,
    actors: HashMap<String, u64>,
    ips: HashMap<String, u64>,
    agents: HashMap<String, u64>,
    glance: Value,
    integrity: Option<Value>,
    shaded: Vec<(i64, i64, String)>,
    run: Value,
}

fn level_index(l: Level) -> usize {
    LEVELS.iter().position(|x| *x == l).unwrap_or(4)
}

fn time_text(micros: Option<i64>) -> String {
    micros
        .and_then(DateTime::<Utc>::from_timestamp_micros)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

fn top(counts: &HashMap<String, u64>) -> Vec<Value> {
    let mut v: Vec<(&String, &u64)> = counts.iter().filter(|(k, _)| !k.is_empty()).collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.into_iter()
        .take(TOP)
        .map(|(k, n)| json!({"name": k, "count": n}))
        .collect()
}

impl Incident {
    /// A report of a hunt over `sources` in `scope` with `pack`.
    pub fn new(sources: &[String], scope: &Scope, pack: &Pack) -> Incident {
        let mut packs: Vec<String> = pack.paths.iter().map(|p| p.display().to_string()).collect();
        if pack.builtin {
            packs.insert(0, "built-in".into());
        }
        Incident {
            sources: sources.to_vec(),
            scope: scope.clone(),
            packs,
            rules_run: pack.engine.rule_count(),
            show_from: pack.show_from,
            findings: 0,
            hidden: 0,
            by_level: BTreeMap::new(),
            hourly: BTreeMap::new(),
            heat: BTreeMap::new(),
            sections: BTreeMap::new(),
            actors: HashMap::new(),
            ips: HashMap::new(),
            agents: HashMap::new(),
            glance: json!({}),
            integrity: None,
            shaded: Vec::new(),
            run: json!({}),
        }
    }

    /// Counts one finding and keeps it in its group (findings below the shown level are only counted).
    pub fn push(&mut self, f: &Finding) {
        let level = f.rule.level;
        if level < self.show_from {
            self.hidden += 1;
            return;
        }
        self.findings += 1;
        *self.by_level.entry(level).or_default() += 1;
        let e = &f.event;
        if let Some(t) = f.time {
            let hour = t.div_euclid(3_600_000_000) * 3600;
            self.hourly.entry(hour).or_default()[level_index(level)] += 1;
            let day = time_text(Some(t)).get(..10).unwrap_or_default().to_string();
            *self
                .heat
                .entry((key_of(e, "recipientAccountId"), day))
                .or_default() += 1;
        }
        let actor = actor_of(&f.actors, e);
        let actor_label = actor.as_ref().map(|(o, _)| o.label()).unwrap_or_default();
        let principal = get_text(e, "userIdentity.arn");
        let ip = get_text(e, "sourceIPAddress");
        *self.actors.entry(actor_label.clone()).or_default() += 1;
        *self.ips.entry(ip.clone()).or_default() += 1;
        *self.agents.entry(get_text(e, "userAgent")).or_default() += 1;
        let section = self
            .sections
            .entry((level, f.rule.id.clone()))
            .or_insert_with(|| RuleSection {
                rule: f.rule.clone(),
                count: 0,
                first: None,
                last: None,
                groups: BTreeMap::new(),
            });
        section.count += 1;
        section.first = section.first.into_iter().chain(f.time).min();
        section.last = section.last.into_iter().chain(f.time).max();
        let who = if actor_label.is_empty() {
            principal.clone()
        } else {
            actor_label.clone()
        };
        let group = section.groups.entry((who, ip.clone())).or_default();
        group.count += 1;
        group.first = group.first.into_iter().chain(f.time).min();
        group.last = group.last.into_iter().chain(f.time).max();
        if group.events.len() < EVENTS_PER_GROUP {
            group.events.push(json!({
                "time": time_text(f.time),
                "account": key_of(e, "recipientAccountId"),
                "region": get_text(e, "awsRegion"),
                "event": get_text(e, "eventName"),
                "principal": principal,
                "actor": actor.as_ref().map(|(o, hops)| json!({"type": o.kind, "arn": o.arn, "hops": hops})),
                "ip": ip,
                "error": get_text(e, "errorCode"),
                "object": f.object,
                "json": serde_json::to_string_pretty(e.as_ref()).unwrap_or_default(),
            }));
        }
    }

    /// The archive at a glance, from its listing.
    pub fn set_inventory(&mut self, listing: &Listing) {
        let mut accounts = BTreeSet::new();
        let mut regions = BTreeSet::new();
        let mut days = BTreeSet::new();
        for o in &listing.objects {
            if let Some(l) = &o.log {
                accounts.insert(l.account.clone());
                regions.insert(l.region.clone());
                days.insert(l.day);
            }
        }
        self.glance["accounts"] = json!(accounts);
        self.glance["regions"] = json!(regions);
        self.glance["days"] = json!(days.len());
        self.glance["first_day"] = json!(days.first().map(|d| d.to_string()));
        self.glance["last_day"] = json!(days.last().map(|d| d.to_string()));
        self.glance["objects"] = json!(listing.objects.len());
        self.glance["bytes"] = json!(listing.bytes());
        self.glance["digests"] = json!(listing.digests.len());
    }

    /// The integrity verdict per chain, and its gaps shaded on the timeline.
    pub fn set_verification(&mut self, v: &Verification, keys: usize) {
        let mut chains: BTreeMap<(String, String, String), BTreeMap<&'static str, u64>> = BTreeMap::new();
        for c in &v.chains {
            chains
                .entry((c.account.clone(), c.region.clone(), c.trail.clone()))
                .or_default();
        }
        let mut worst = Weight::Proven;
        for f in &v.findings {
            worst = worst.max(f.status.weight());
            let trail = f.trail.clone().unwrap_or_else(|| "(no digests)".into());
            *chains
                .entry((f.account.clone(), f.region.clone(), trail))
                .or_default()
                .entry(f.status.name())
                .or_default() += 1;
            if matches!(
                f.status,
                Status::Gap | Status::MissingDigest | Status::DeliveryGap
            ) && let (Some(a), Some(b)) = (f.from, f.to)
            {
                self.shaded.push((
                    a.timestamp(),
                    b.timestamp(),
                    format!("{} {} {}", f.status, f.account, f.region),
                ));
            }
        }
        let newest: HashMap<(String, String, String), String> = v
            .chains
            .iter()
            .map(|c| {
                (
                    (c.account.clone(), c.region.clone(), c.trail.clone()),
                    c.newest.to_rfc3339(),
                )
            })
            .collect();
        let rows: Vec<Value> = chains
            .into_iter()
            .map(|(k, counts)| {
                let verdict = counts
                    .keys()
                    .filter_map(|s| Status::ALL.iter().find(|x| x.name() == *s))
                    .map(|s| s.weight())
                    .max()
                    .unwrap_or(Weight::Incomplete);
                json!({
                    "account": k.0, "region": k.1, "trail": k.2,
                    "newest": newest.get(&k),
                    "verdict": weight_name(verdict),
                    "counts": counts.iter().map(|(s, n)| json!({"status": s, "count": n})).collect::<Vec<_>>(),
                })
            })
            .collect();
        self.integrity = Some(json!({
            "verdict": weight_name(worst),
            "keys": keys,
            "chains": rows,
        }));
    }

    /// Records what the hunt read and how long it took.
    pub fn finish(&mut self, stats: &HuntStats, reporter: &Reporter, elapsed: Duration) {
        self.glance["events"] = json!(stats.run.events);
        self.glance["duplicates"] = json!(stats.duplicates);
        self.glance["unreadable"] = json!(reporter.unreadable());
        let window = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_else(|| "open".into());
        self.run = json!({
            "version": env!("CARGO_PKG_VERSION"),
            "command": std::env::args().collect::<Vec<_>>().join(" "),
            "sources": self.sources,
            "window": format!("{} to {}", window(self.scope.window.from), window(self.scope.window.to)),
            "accounts": self.scope.accounts,
            "regions": self.scope.regions,
            "packs": self.packs,
            "rules": self.rules_run,
            "shown_from": self.show_from.as_str(),
            "hidden": self.hidden,
            "seconds": format!("{:.1}", elapsed.as_secs_f64()),
            "generated": Utc::now().to_rfc3339(),
        });
    }

    /// The data the page is rendered from (also embedded in it as JSON, for tools and tests).
    pub fn data(&self) -> Value {
        let sections: Vec<Value> = self
            .sections
            .iter()
            .rev()
            .map(|(_, s)| {
                let mut groups: Vec<(&(String, String), &Group)> = s.groups.iter().collect();
                groups.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
                json!({
                    "id": s.rule.id,
                    "title": s.rule.title,
                    "level": s.rule.level.as_str(),
                    "description": s.rule.description,
                    "author": s.rule.author,
                    "tags": s.rule.tags,
                    "count": s.count,
                    "first": time_text(s.first),
                    "last": time_text(s.last),
                    "groups": groups.into_iter().map(|((who, ip), g)| json!({
                        "actor": who, "ip": ip, "count": g.count,
                        "first": time_text(g.first), "last": time_text(g.last),
                        "events": g.events,
                        "unlisted": g.count.saturating_sub(g.events.len() as u64),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut top_rules: Vec<&RuleSection> = self.sections.values().collect();
        top_rules.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule.title.cmp(&b.rule.title)));
        json!({
            "findings": self.findings,
            "by_level": LEVELS.iter().map(|l| json!({"level": l.as_str(), "count": self.by_level.get(l).copied().unwrap_or(0)})).collect::<Vec<_>>(),
            "glance": self.glance,
            "integrity": self.integrity,
            "top_rules": top_rules.iter().take(TOP).map(|s| json!({"name": s.rule.title, "level": s.rule.level.as_str(), "count": s.count})).collect::<Vec<_>>(),
            "top_actors": top(&self.actors),
            "top_ips": top(&self.ips),
            "top_agents": top(&self.agents),
            "sections": sections,
            "run": self.run,
        })
    }

    /// Renders and writes the page.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let timeline = charts::timeline(&self.hourly, &self.shaded)?;
        let heat = charts::heat_map(&self.heat)?;
        let html = page::render(&self.data(), &timeline, &heat)?;
        std::fs::write(path, html).with_context(|| format!("cannot write {}", path.display()))
    }
}

fn weight_name(w: Weight) -> &'static str {
    match w {
        Weight::Proven => "proven",
        Weight::Incomplete => "incomplete",
        Weight::Tampering => "tampering evidence",
    }
}
