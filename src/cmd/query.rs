//! `ctscan query`: SQL over the `events` and `sessions` tables of an archive, from the command line, a file, or a named
//! query shipped in `queries/`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::{Context, bail};
use clap::Args;

use crate::args::{EXIT_OK, EXIT_PARTIAL, GlobalArgs, OutputArgs, ReadArgs, ScopeArgs};
use crate::attribution::table::SessionsTable;
use crate::cluster::ClusterArgs;
use crate::dedup::Copies;
use crate::output::write_stream;
use crate::queries;
use crate::report::Reporter;
use crate::session::{Source, check_sources, register_events, runtime, session};

/// Arguments of `ctscan query`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  ctscan query AWSLogs/ \"SELECT eventName, count(*) FROM events GROUP BY 1 ORDER BY 2 DESC\"\n  \
ctscan query AWSLogs/ --name key-activity --param key=AKIAEXAMPLE\n  ctscan query --list"
)]
pub struct QueryArgs {
    /// SOURCE... then the SQL (unless -f or --name gives it).
    #[arg(value_name = "SOURCE... [SQL]", required_unless_present = "list")]
    pub args: Vec<String>,
    /// Read the SQL from a file.
    #[arg(short, long, value_name = "FILE", conflicts_with = "name")]
    pub file: Option<std::path::PathBuf>,
    /// Run a named query from the shipped collection (see --list).
    #[arg(short, long, value_name = "NAME")]
    pub name: Option<String>,
    /// A parameter of the named query, `key=value` (repeatable).
    #[arg(short, long = "param", value_name = "KEY=VALUE", requires = "name")]
    pub params: Vec<String>,
    /// List the named queries and their parameters.
    #[arg(long)]
    pub list: bool,
    /// Return at most N rows.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Count each event once: later copies of an (eventID, recipientAccountId) are left out of `events`.
    #[arg(long)]
    pub dedup: bool,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

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

/// Runs `ctscan query`.
pub fn run(args: QueryArgs, global: &GlobalArgs) -> anyhow::Result<i32> {
    if args.list {
        let (mut out, _) = args.output.open()?;
        list_queries(&mut out)?;
        return Ok(EXIT_OK);
    }
    let (sources, sql) = sources_and_sql(&args)?;
    check_sources(&sources)?;
    args.cluster
        .connect(&sources.iter().map(String::as_str).collect::<Vec<_>>())?;
    let threads = global.init_threads()?;
    let scope = args.scope.scope()?;
    let options = global.report_options();
    let reporter = Arc::new(Reporter::new(options));
    let config = args.read.scan_config(scope, global);
    let (mut out, format) = args.output.open()?;
    let rt = runtime(threads)?;
    let source = Source::open(&sources, config, reporter.clone());
    let copies = match (args.dedup, options.summary) {
        (true, _) => Some(Copies::Fold),
        // On a cluster, counting copies would cost a shuffle of every row: only --dedup counts there.
        (false, _) if crate::cluster::active().is_some() => None,
        // Duplicates are counted for the summary only: counting costs a memory of every event.
        (false, true) => Some(Copies::Count),
        (false, false) => None,
    };
    let result = rt.block_on(async {
        let mut ctx = session(threads);
        let table = source.table(source.scope().clone(), None).await?;
        let duplicates = match copies {
            Some(c) => Some(register_events(&mut ctx, table, c)?),
            None => {
                datafusion_functions_json::register_all(&mut ctx)?;
                ctx.register_table("events", table)?;
                None
            }
        };
        ctx.register_table(
            "sessions",
            Arc::new(SessionsTable::new(source.clone(), threads, global.quiet)),
        )?;
        let mut df = ctx.sql(&sql).await.context("query failed")?;
        if let Some(n) = args.limit {
            df = df.limit(0, Some(n))?;
        }
        let stream = df.execute_stream().await.context("query failed")?;
        write_stream(stream, format, &mut out).await?;
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
