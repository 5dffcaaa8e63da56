//! Building the credential chains of a run: one pass over the window reads every call's key and every
//! issuing event (on an archive, a row gate decodes the JSON columns of issuing events only); when keys
//! are left without their issuing event and the run is narrowed (a window start, accounts, regions), a
//! second pass reads only issuing events, everywhere in the archive, from 36 hours before the window.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::Duration;
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use super::chain::{Credential, Evidence, Origin};
use super::collect::{COLUMNS, Take, collect, issuing_names_sql};
use super::issuance::ISSUING_EVENTS;
use crate::decode::gate::{NameSet, RowGate};
use crate::events::copy_choice::{ChoiceMode, CopyChoice};
use crate::events::session::{push_filters_into_parquet, register_events_choosing};
use crate::input::Input;
use crate::schema::column_index;
use crate::source::window::{Scope, Window};

/// How far before the window issuing events are looked for: the longest a session token lives (role
/// sessions last at most 12 hours).
pub const LOOKBACK_HOURS: i64 = 36;

/// The credential chains of a run.
#[derive(Debug, Default)]
pub struct Sessions {
    /// What the data said.
    pub evidence: Evidence,
    /// The `sessions` rows, by key.
    pub credentials: Vec<Credential>,
    index: HashMap<String, usize>,
    children: HashMap<String, Vec<String>>,
    /// What the build wants the user to know (the look back and what it found).
    pub notes: Vec<String>,
    /// Duplicate deliveries folded while reading the window.
    pub duplicates: u64,
}

impl Sessions {
    /// Chains from evidence already gathered.
    pub fn from_evidence(evidence: Evidence) -> Sessions {
        let credentials = evidence.credentials();
        let index = credentials
            .iter()
            .enumerate()
            .map(|(i, c)| (c.key.clone(), i))
            .collect();
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        for i in evidence.issuances.values() {
            if let Some(p) = &i.caller.key {
                children.entry(p.clone()).or_default().push(i.key.clone());
            }
        }
        for c in children.values_mut() {
            c.sort();
        }
        Sessions {
            evidence,
            credentials,
            index,
            children,
            notes: Vec::new(),
            duplicates: 0,
        }
    }

    /// The row of a key.
    pub fn get(&self, key: &str) -> Option<&Credential> {
        self.index.get(key).map(|&i| &self.credentials[i])
    }

    /// The origin and hops of a key, whether or not it is a row (a parent used only before the window).
    pub fn origin(&self, key: &str) -> (Origin, u32) {
        match self.get(key) {
            Some(c) => (c.origin.clone(), c.hops),
            None => self.evidence.origin(key),
        }
    }

    /// The keys issued with these keys, their keys, and so on (the given keys included).
    pub fn descendants(&self, keys: &BTreeSet<String>) -> BTreeSet<String> {
        let mut out = keys.clone();
        let mut todo: Vec<String> = keys.iter().cloned().collect();
        while let Some(k) = todo.pop() {
            for c in self.children.get(&k).into_iter().flatten() {
                if out.insert(c.clone()) {
                    todo.push(c.clone());
                }
            }
        }
        out
    }
}

/// The events whose rows the chains need whole: those that issue credentials.
pub fn issuing_names() -> NameSet {
    NameSet::new(ISSUING_EVENTS.iter().copied())
}

/// The events-schema columns the chains read of every row (the others only of issuing events).
fn chain_columns() -> Vec<usize> {
    [
        "eventTime",
        "eventName",
        "errorCode",
        "eventID",
        "recipientAccountId",
        "awsRegion",
        "sourceIPAddress",
        "userIdentity",
    ]
    .iter()
    .filter_map(|c| column_index(c))
    .collect()
}

/// What a hunt's actors read of every row (columns, or members of them), besides the issuing events read
/// whole: the call's time and key, and the identity [`crate::attribution::usage::Usage::add_identity`] keeps.
pub const ACTOR_PATHS: &[&str] = &[
    "eventTime",
    "eventName",
    "errorCode",
    "eventID",
    "recipientAccountId",
    "userIdentity.type",
    "userIdentity.arn",
    "userIdentity.accessKeyId",
];

/// The gate that decodes the JSON columns only of issuing events.
fn issuing_gate() -> RowGate {
    RowGate::new(Box::new(issuing_names()), &chain_columns())
}

/// Runs `sql` over `ctx`'s `events`, partitions in parallel, and folds every batch into the evidence.
async fn gather(ctx: &SessionContext, sql: &str, take: Take, ev: &mut Evidence) -> anyhow::Result<()> {
    let streams = ctx.sql(sql).await?.execute_stream_partitioned().await?;
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|mut s| {
            tokio::spawn(async move {
                let mut part = Evidence::default();
                while let Some(batch) = s.next().await {
                    collect(&batch?, take, &mut part)?;
                }
                Ok::<_, datafusion::error::DataFusionError>(part)
            })
        })
        .collect();
    for t in tasks {
        ev.merge(t.await??);
    }
    Ok(())
}

async fn read(
    source: &Input,
    scope: Scope,
    take: Take,
    learn: Option<Arc<CopyChoice>>,
    ev: &mut Evidence,
) -> anyhow::Result<u64> {
    let mut ctx = source.session()?;
    if source.is_lake() {
        push_filters_into_parquet(&ctx).await?;
    }
    let table = source.table(scope, Some(issuing_gate())).await?;
    let learn = learn.map(|c| (c, ChoiceMode::Learn));
    let duplicates = register_events_choosing(&mut ctx, table.clone(), learn)?;
    let issuing = format!(
        "SELECT {COLUMNS} FROM events WHERE eventName IN ({}) AND errorCode IS NULL",
        issuing_names_sql()
    );
    // Two reads of a lake cost less than decoding every row's JSON columns. The first reads every row,
    // so that it alone learns the copies; the second folds its own copies without learning.
    let lake_use = match take {
        Take::Everything if source.is_lake() => Some((COLUMNS_OF_USE, Take::Use)),
        Take::Actors if source.is_lake() => Some((COLUMNS_OF_ACTORS, Take::Actors)),
        _ => None,
    };
    match (take, lake_use) {
        (_, Some((columns, use_take))) => {
            gather(&ctx, &format!("SELECT {columns} FROM events"), use_take, ev).await?;
            let mut plain = source.session()?;
            push_filters_into_parquet(&plain).await?;
            register_events_choosing(&mut plain, table, None)?;
            gather(&plain, &issuing, Take::IssuancesInWindow, ev).await?;
            if take == Take::Actors {
                for i in ev.issuances.values_mut() {
                    i.keep_only_what_names_actors();
                }
            }
        }
        (Take::Issuances, None) => gather(&ctx, &issuing, Take::Issuances, ev).await?,
        (Take::Everything | Take::Actors | Take::Use | Take::IssuancesInWindow, None) => {
            gather(&ctx, &format!("SELECT {COLUMNS} FROM events"), take, ev).await?
        }
    }
    Ok(duplicates.load(Ordering::Relaxed))
}

/// The columns of use alone, for lakes.
const COLUMNS_OF_USE: &str = "eventTime, recipientAccountId, awsRegion, sourceIPAddress, \
userIdentity.type AS uType, userIdentity.arn AS uArn, userIdentity.accountId AS uAccount, \
userIdentity.accessKeyId AS uKey, userIdentity.sessionContext.attributes.creationDate AS uCreated, \
userIdentity.sessionContext.sessionIssuer.arn AS uRoleArn, \
userIdentity.sessionContext.sessionIssuer.userName AS uRoleName, userIdentity.sessionContext.ec2RoleDelivery AS uEc2, \
userIdentity.sessionContext.sourceIdentity AS uSourceIdentity";

/// The columns of use that name actors, for lakes: the identity members of [`ACTOR_PATHS`], as the SQL of a
/// lake's read.
const COLUMNS_OF_ACTORS: &str = "eventTime, userIdentity.type AS uType, userIdentity.arn AS uArn, \
userIdentity.accessKeyId AS uKey";

/// Builds the chains of the run's window, looking back before it when needed.
pub async fn build(source: &Input) -> anyhow::Result<Sessions> {
    build_learning(source, None).await
}

/// [`build`], its read of the window also learning which copy of each duplicated event the run keeps
/// (see [`CopyChoice`]): the chains read every event of the window anyway.
pub async fn build_learning(source: &Input, learn: Option<Arc<CopyChoice>>) -> anyhow::Result<Sessions> {
    let found = evidence_learning(source, learn).await?;
    let mut sessions = Sessions::from_evidence(found.evidence);
    sessions.notes = found.notes;
    sessions.duplicates = found.duplicates;
    Ok(sessions)
}

/// The evidence of a run's chains, without the `sessions` rows built from it: what a hunt needs to name
/// actors ([`crate::attribution::actor::ActorMap::of_evidence`]).
#[derive(Debug, Default)]
pub struct Found {
    /// What the data said.
    pub evidence: Evidence,
    /// What the build wants the user to know (the look back and what it found).
    pub notes: Vec<String>,
    /// Duplicate deliveries folded while reading the window.
    pub duplicates: u64,
}

/// The evidence of the run's window (looking back when needed), its read also learning which copy of each
/// duplicated event the run keeps.
pub async fn evidence_learning(source: &Input, learn: Option<Arc<CopyChoice>>) -> anyhow::Result<Found> {
    evidence_taking(source, Take::Everything, learn).await
}

/// [`evidence_learning`], keeping of the evidence only what names actors (see [`Take::Actors`]): what a
/// hunt that builds its chains before its pass needs, read from fewer columns.
pub async fn actor_evidence_learning(
    source: &Input,
    learn: Option<Arc<CopyChoice>>,
) -> anyhow::Result<Found> {
    evidence_taking(source, Take::Actors, learn).await
}

async fn evidence_taking(
    source: &Input,
    take: Take,
    learn: Option<Arc<CopyChoice>>,
) -> anyhow::Result<Found> {
    let mut ev = Evidence::default();
    let duplicates = read(source, source.scope().clone(), take, learn.clone(), &mut ev).await?;
    if let Some(choice) = &learn {
        choice.settle();
    }
    let mut found = look_back(source, ev).await?;
    found.duplicates = duplicates;
    Ok(found)
}

/// Completes the evidence of a read of the window already done (a hunt's own pass reads it): when keys
/// were left without their issuing event and the run is narrowed, looks for those events before the
/// window, everywhere in the archive.
pub async fn look_back(source: &Input, mut ev: Evidence) -> anyhow::Result<Found> {
    let scope = source.scope().clone();
    let missing = ev.missing_links();
    let narrowed = scope.window.from.is_some() || !scope.accounts.is_empty() || !scope.regions.is_empty();
    let mut notes = Vec::new();
    if !missing.is_empty() && narrowed {
        let from = scope.window.from.map(|f| f - Duration::hours(LOOKBACK_HOURS));
        let wider = Scope {
            window: Window {
                from,
                to: scope.window.to,
            },
            ..Scope::default()
        };
        read(source, wider, Take::Issuances, None, &mut ev).await?;
        let found = missing.iter().filter(|k| ev.issuances.contains_key(*k)).count();
        notes.push(format!(
            "issuing events of {} credential{} were not in the window: looked for them {}in every account and \
region; found {found}, the rest stay unresolved",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            match scope.window.from {
                Some(_) => format!("up to {LOOKBACK_HOURS} h before the window "),
                None => String::new(),
            },
        ));
    }
    Ok(Found {
        evidence: ev,
        notes,
        duplicates: 0,
    })
}
