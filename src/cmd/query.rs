//! `ctscan query`: SQL over the `events` and `sessions` tables of an archive, from the command line, a file, or a named
//! query shipped in `queries/`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::{Context, bail};

use crate::attribution::sessions_table::SessionsTable;
use crate::cli::args::{EXIT_OK, EXIT_PARTIAL};
use crate::cli::context::RunContext;
use crate::cli::query::QueryArgs;
use crate::events::dedup::Copies;
use crate::events::session::{check_sources, register_events, runtime};
use crate::input::Input;
use crate::output::write_stream;
use crate::queries;

fn list_queries(out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    for q in queries::all() {
        writeln!(out, "{}\n    {}\n    {}", q.name, q.title, q.description)?;
        for p in &q.params {
            let default = p
                .default
                .as_deref()
                .map(|d| format!(" (default {d})"))
                .unwrap_or_default();
            writeln!(out, "    --param {}=...  {}{}", p.name, p.description, default)?;
        }
    }
    Ok(())
}

/// Splits the positional arguments into sources and SQL, and renders the SQL.
fn sources_and_sql(args: &QueryArgs) -> anyhow::Result<(Vec<String>, String)> {
    if let Some(name) = &args.name {
        let q = queries::find(name)?;
        let params = args
            .params
            .iter()
            .map(|p| queries::parse_param_arg(p))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok((args.args.clone(), q.render(&params)?));
    }
    if let Some(file) = &args.file {
        let sql = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        return Ok((args.args.clone(), sql));
    }
    match args.args.split_last() {
        Some((sql, sources)) if !sources.is_empty() => Ok((sources.to_vec(), sql.clone())),
        _ => bail!("give a SOURCE and the SQL, e.g. ctscan query AWSLogs/ \"SELECT count(*) FROM events\""),
    }
}

/// Whether a plan reads the table `name`.
fn scans_table(plan: &datafusion::logical_expr::LogicalPlan, name: &str) -> bool {
    use datafusion::common::tree_node::TreeNodeRecursion;
    use datafusion::logical_expr::LogicalPlan;
    let mut found = false;
    let _ = plan.apply_with_subqueries(|p| {
        if let LogicalPlan::TableScan(scan) = p
            && scan.table_name.table() == name
        {
            found = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

/// Runs `ctscan query`.
pub fn run(args: QueryArgs, ctx: &RunContext) -> anyhow::Result<i32> {
    if args.list {
        let (mut out, _) = args.output.open(ctx.zone)?;
        list_queries(&mut out)?;
        return Ok(EXIT_OK);
    }
    let (sources, sql) = sources_and_sql(&args)?;
    check_sources(&sources)?;
    let cluster = args
        .cluster
        .connect(&sources.iter().map(String::as_str).collect::<Vec<_>>())?;
    let exec = ctx.exec(cluster.as_ref());
    let threads = ctx.threads;
    let scope = args.scope.scope()?;
    let options = ctx.progress;
    let reporter = Arc::new(ctx.reporter());
    let config = ctx.scan_config(&args.read, scope);
    let (mut out, style) = args.output.open(ctx.zone)?;
    let rt = runtime(threads)?;
    let source = Input::open(&sources, config, reporter.clone(), exec.clone());
    let copies = match (args.dedup, options.summary) {
        (true, _) => Some(Copies::Fold),
        // On a cluster, counting copies would cost a shuffle of every row: only --dedup counts there.
        (false, _) if exec.is_cluster() => None,
        // Duplicates are counted for the summary only: counting costs a memory of every event.
        (false, true) => Some(Copies::Count),
        (false, false) => None,
    };
    let result = rt.block_on(async {
        let mut session = source.session()?;
        let table = source.table(source.scope().clone(), None).await?;
        let duplicates = match copies {
            Some(c) => Some(register_events(&mut session, table, c)?),
            None => {
                datafusion_functions_json::register_all(&mut session)?;
                session.register_table("events", table)?;
                None
            }
        };
        // On a cluster the sessions are resolved here from the rows the executors decode, before the
        // query is planned, and travel inside the plan.
        let sessions = Arc::new(SessionsTable::new(source.answering_here(), ctx.quiet));
        session.register_table("sessions", sessions.clone())?;
        let mut df = session.sql(&sql).await.context("query failed")?;
        if exec.is_cluster() && scans_table(df.logical_plan(), "sessions") {
            sessions.prepare().await.context("resolving sessions failed")?;
        }
        if let Some(n) = args.limit {
            df = df.limit(0, Some(n))?;
        }
        let stream = df.execute_stream().await.context("query failed")?;
        let stream = match &cluster {
            Some(target) => target.guard(stream),
            None => stream,
        };
        write_stream(stream, &style, &mut out).await?;
        Ok::<_, anyhow::Error>(duplicates)
    });
    reporter.finish();
    let duplicates = result?;
    if options.summary
        && let Some(d) = duplicates
    {
        let n = d.load(Ordering::Relaxed);
        eprintln!(
            "ctscan: {n} duplicate record{} (same eventID and recipientAccountId) {}",
            if n == 1 { "" } else { "s" },
            if args.dedup {
                "folded"
            } else {
                "kept; --dedup counts each event once"
            }
        );
    }
    Ok(if reporter.had_problems() {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
}
