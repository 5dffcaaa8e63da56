//! The pass of a hunt. On a raw archive (on one machine or decoded by a cluster's executors), with rules
//! that do not read the `actor` field, the window is read once: the same gated read feeds the rules and
//! gathers the credential chains' evidence, folds duplicate deliveries as they come while learning which
//! copy sorts first, and the findings, held until the pass ends, are given their actors and the object of
//! that copy when they are handed on. Otherwise (a lake, rules that read `actor`) the chains are built by
//! a read of their own before the rules' pass, which keeps the copies that read chose.

use std::sync::Arc;

use anyhow::Context;
use datafusion::arrow::array::RecordBatch;

use super::Pack;
use super::order::Ordered;
use super::source::{ArchiveSource, LakeSource};
use crate::attribution::actor::ActorMap;
use crate::attribution::build::{ACTOR_PATHS, Found, actor_evidence_learning, issuing_names, look_back};
use crate::attribution::chain::Evidence;
use crate::attribution::collect::{EventsCollector, Take};
use crate::events::copy_choice::{ChoiceMode, CopyChoice};
use crate::input::Input;
use crate::progress::Reporter;
use crate::schema::events_schema;
use crate::sigma::SigmaError;
use crate::sigma::engine::{HuntSource, Rider, RunStats};

/// What one hunt read.
#[derive(Debug, Clone, Default)]
pub struct HuntStats {
    /// The engine's counts.
    pub run: RunStats,
    /// Copies of events folded (same eventID and recipientAccountId).
    pub duplicates: u64,
}

/// Runs the pack over the source with credential chains resolved. The findings come back held, to be
/// handed on in the order [`super::order`] defines once the caller has checked the run.
pub async fn run(pack: &Pack, source: &Input, reporter: &Reporter) -> anyhow::Result<(HuntStats, Ordered)> {
    // An archive's rows meet here even on a cluster (its executors decode them), so copies are folded
    // and chosen as on one machine; a lake on a cluster is filtered by the executors' Parquet readers.
    let here;
    let source = match source {
        Input::Archive { .. } => {
            here = source.answering_here();
            &here
        }
        Input::Lake { .. } => source,
    };
    match source {
        Input::Archive { .. } if !pack.engine.reads_actors() => one_read(pack, source, reporter).await,
        _ => chains_first(pack, source, reporter).await,
    }
}

/// Tells what the chains' build noted, and gives the run its actors (the evidence is dropped after).
fn name_actors(pack: &Pack, reporter: &Reporter, found: Found) {
    for n in &found.notes {
        reporter.println(&format!("ctscan: actors: {n}"));
    }
    pack.engine.actors().set(ActorMap::of_evidence(&found.evidence));
}

fn archive_source(source: &Input, choice: Option<(Arc<CopyChoice>, ChoiceMode)>) -> ArchiveSource {
    let Input::Archive {
        sources,
        config,
        reporter,
        exec,
    } = source
    else {
        unreachable!("an archive source is made of an archive");
    };
    ArchiveSource {
        sources: sources.clone(),
        config: (**config).clone(),
        reporter: reporter.clone(),
        exec: exec.clone(),
        choice,
        folded: Default::default(),
    }
}

/// The rules and the chains in one read of the window.
async fn one_read(pack: &Pack, source: &Input, reporter: &Reporter) -> anyhow::Result<(HuntStats, Ordered)> {
    let choice = Arc::new(CopyChoice::default());
    let reader = archive_source(source, Some((choice.clone(), ChoiceMode::Learn)));
    let collector = EventsCollector::new(events_schema(), Take::Actors)
        .await
        .context("resolving credential chains failed")?;
    let mut evidence = Evidence::default();
    let mut gather = |batch: &RecordBatch| {
        collector
            .collect(batch, &mut evidence)
            .map_err(|e| SigmaError::Invalid(format!("gathering credential chains: {e}")))
    };
    let rider = Rider {
        names: issuing_names(),
        paths: ACTOR_PATHS.to_vec(),
        on_batch: &mut gather,
    };
    let mut ordered = Ordered::new(pack.engine.actors().clone());
    let run = pack
        .engine
        .run_with(&reader, Some(rider), &mut |f| ordered.push(f))
        .await
        .context("hunt failed")?;
    choice.settle();
    ordered.name_copies(choice);
    let found = look_back(source, evidence)
        .await
        .context("resolving credential chains failed")?;
    name_actors(pack, reporter, found);
    let stats = HuntStats {
        run,
        duplicates: reader.duplicates(),
    };
    Ok((stats, ordered))
}

/// The chains by a read of their own, then the rules' pass.
async fn chains_first(
    pack: &Pack,
    source: &Input,
    reporter: &Reporter,
) -> anyhow::Result<(HuntStats, Ordered)> {
    // Findings and `group-by: actor` correlations name the origin of each credential. The chains' read of
    // the window also learns which copy of each duplicated event to keep, so every run keeps (and names)
    // the same one. A lake on a cluster folds copies where they meet.
    let choice = (!source.exec().is_cluster()).then(|| Arc::new(CopyChoice::default()));
    let found = actor_evidence_learning(source, choice.clone())
        .await
        .context("resolving credential chains failed")?;
    let duplicates = found.duplicates;
    name_actors(pack, reporter, found);
    let keep = choice.map(|c| (c, ChoiceMode::Keep));
    let reader: Box<dyn HuntSource> = match source {
        Input::Lake { .. } => Box::new(LakeSource {
            lake: source.clone(),
            choice: keep,
        }),
        Input::Archive { .. } => Box::new(archive_source(source, keep)),
    };
    let mut ordered = Ordered::new(pack.engine.actors().clone());
    let run = pack
        .engine
        .run(reader.as_ref(), &mut |f| ordered.push(f))
        .await
        .context("hunt failed")?;
    let stats = HuntStats { run, duplicates };
    Ok((stats, ordered))
}
