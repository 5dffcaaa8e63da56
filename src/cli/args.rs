//! Flags shared by several subcommands and the exit codes, below both the parser (`cli`) and the
//! commands (`cmd`), so that neither has to import the other.

use std::io::IsTerminal;

use anyhow::Context;
use chrono::Utc;
use clap::Args;

use std::path::PathBuf;
use std::sync::Arc;

use crate::cluster::{ClusterChoice, Target};
use crate::hunt::{Pack, PackChoice};
use crate::output::{Fit, Format, Style};
use crate::progress::ReportOptions;
use crate::sigma::rule::Level;
use crate::source::window::{Scope, Window};
use crate::timezone::Zone;

/// Exit code: everything was read.
pub const EXIT_OK: i32 = 0;
/// Exit code: the run finished but some inputs could not be read (each was named on stderr).
pub const EXIT_PARTIAL: i32 = 1;
/// Exit code: usage error or fatal error.
pub const EXIT_FATAL: i32 = 2;
/// Exit code of `verify`: the archive contradicts its own digests (tampering evidence).
pub const EXIT_TAMPERED: i32 = 3;

/// Flags every subcommand accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// No progress bar and no summary on stderr (problems are still reported).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print the run summary on stderr even when it is not a terminal.
    #[arg(long, global = true, conflicts_with = "quiet")]
    pub stats: bool,
    /// Worker threads for decoding and queries [default: all cores].
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
    /// Stop at the first object that cannot be read, with exit code 2.
    #[arg(long, global = true)]
    pub strict: bool,
    /// Time zone of times in tables: an IANA name (Europe/Berlin), UTC or local. Machine formats (csv,
    /// json, jsonl) stay UTC.
    #[arg(long, global = true, value_name = "ZONE", default_value = "UTC", value_parser = crate::timezone::parse_zone)]
    pub timezone: crate::timezone::Zone,
    #[command(flatten)]
    pub s3: S3Args,
}

/// How `s3://bucket[/prefix]` SOURCEs are reached. Credentials come from the standard AWS chain
/// (environment, shared config and credentials files, SSO, web identity, container and instance roles).
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "S3 SOURCE options")]
pub struct S3Args {
    /// AWS profile from the shared config and credentials files (default: $AWS_PROFILE or "default").
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Region of the bucket (found automatically when not given). Not to be confused with --region, which
    /// selects CloudTrail regions inside the archive.
    #[arg(
        long = "s3-region",
        alias = "bucket-region",
        global = true,
        value_name = "REGION"
    )]
    pub s3_region: Option<String>,
    /// Assume this role to read the archive (e.g. a read role in the log-archive account).
    #[arg(long, global = true, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// External ID the role's trust policy requires.
    #[arg(long, global = true, value_name = "ID")]
    pub external_id: Option<String>,
    /// Session name of the assumed role [default: ctscan].
    #[arg(long, global = true, value_name = "NAME")]
    pub role_session_name: Option<String>,
    /// Endpoint of an S3-compatible store, e.g. http://127.0.0.1:9000 (path-style addressing is used).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Send unsigned requests (public buckets); no credentials are looked up.
    #[arg(long, global = true)]
    pub no_sign_request: bool,
    /// S3 requests in flight at once (GETs and listings).
    #[arg(
        long = "s3-concurrency",
        alias = "concurrency",
        global = true,
        value_name = "N",
        default_value_t = crate::source::s3::DEFAULT_CONCURRENCY
    )]
    pub s3_concurrency: usize,
}

impl S3Args {
    /// The options S3 SOURCEs are read with.
    pub fn options(&self) -> anyhow::Result<crate::source::s3::S3Options> {
        if self.s3_concurrency == 0 {
            anyhow::bail!("--s3-concurrency must be at least 1");
        }
        if self.role_arn.is_none() && (self.external_id.is_some() || self.role_session_name.is_some()) {
            anyhow::bail!("--external-id and --role-session-name need --role-arn");
        }
        if self.no_sign_request && (self.role_arn.is_some() || self.profile.is_some()) {
            anyhow::bail!(
                "--no-sign-request sends no credentials: it cannot be combined with --profile or --role-arn"
            );
        }
        Ok(crate::source::s3::S3Options {
            profile: self.profile.clone(),
            region: self.s3_region.clone(),
            role_arn: self.role_arn.clone(),
            external_id: self.external_id.clone(),
            role_session_name: self.role_session_name.clone(),
            endpoint_url: self.endpoint_url.clone(),
            no_sign_request: self.no_sign_request,
            concurrency: self.s3_concurrency,
        })
    }
}

impl GlobalArgs {
    /// How chatty the run is on stderr.
    pub fn report_options(&self) -> ReportOptions {
        let tty = std::io::stderr().is_terminal();
        ReportOptions {
            progress: tty && !self.quiet,
            summary: self.stats || (tty && !self.quiet),
        }
    }

    /// Worker threads for decoding and queries: `--threads`, else every core.
    pub fn threads(&self) -> anyhow::Result<usize> {
        let n = self
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        if n == 0 {
            anyhow::bail!("--threads must be at least 1");
        }
        Ok(n)
    }
}

/// The time window and account/region scope of commands that read events.
#[derive(Debug, Args, Clone, Default)]
pub struct ScopeArgs {
    /// Start of the window: RFC 3339 (2026-03-03T10:00:00Z) or a UTC date (2026-03-03).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// End of the window (exclusive); a bare date includes that whole day.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Only the last N units: 90m, 12h, 7d, 2w (combines with --from: the later start wins).
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// Only this account (repeatable, or comma-separated).
    #[arg(long = "account", value_name = "ID", value_delimiter = ',')]
    pub accounts: Vec<String>,
    /// Only this region (repeatable, or comma-separated).
    #[arg(long = "region", value_name = "REGION", value_delimiter = ',')]
    pub regions: Vec<String>,
}

impl ScopeArgs {
    /// The scope these flags select.
    pub fn scope(&self) -> anyhow::Result<Scope> {
        let window = Window::from_flags(
            self.from.as_deref(),
            self.to.as_deref(),
            self.since.as_deref(),
            Utc::now(),
        )?;
        if let Some(bad) = self
            .accounts
            .iter()
            .find(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
        {
            anyhow::bail!("invalid --account {bad:?}: an AWS account id has 12 digits");
        }
        Ok(Scope {
            window,
            accounts: self.accounts.clone(),
            regions: self.regions.clone(),
            ..Scope::default()
        })
    }
}

/// Flags of commands that decode objects.
#[derive(Debug, Args, Clone)]
pub struct ReadArgs {
    /// Largest decompressed size accepted for one object (bytes, or with K/M/G suffix); larger objects
    /// are reported and skipped.
    #[arg(long, value_name = "SIZE", default_value = "2G", value_parser = parse_size)]
    pub max_object_size: u64,
    /// Build the rows of every object, even of one whose text holds none of the literals a query's filter
    /// needs (such objects are otherwise only counted; results and counts are the same either way).
    #[arg(long)]
    pub parse_all: bool,
}

/// Parses `1048576`, `512K`, `64M`, `2G` (powers of 1024; an optional trailing `B`/`iB` is accepted).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim().trim_end_matches("iB").trim_end_matches(['B', 'b']);
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => return Err(format!("unknown size suffix in {s:?}")),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let n: u64 = num.trim().parse().map_err(|_| format!("invalid size {s:?}"))?;
    n.checked_mul(mult)
        .filter(|v| *v > 0)
        .ok_or_else(|| format!("invalid size {s:?}"))
}

/// Where and how results are written.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output format [default: table on a terminal, jsonl otherwise].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write results to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub table: TableArgs,
}

/// How tables are laid out.
#[derive(Debug, Args, Clone, Default)]
pub struct TableArgs {
    /// Tables in full: every column (hunt) and every value uncut, however wide the lines. Without it a
    /// table on a terminal fits its width ($COLUMNS, else the terminal's), cutting long values with "…".
    #[arg(long)]
    pub wide: bool,
}

impl TableArgs {
    /// The table layout for output that goes to a terminal or not.
    pub fn fit(&self, to_terminal: bool) -> Fit {
        Fit::new(to_terminal, self.wide)
    }
}

impl OutputArgs {
    /// Opens the destination and settles how results look there: the format, how tables fit, and the
    /// run's time zone.
    pub fn open(&self, zone: Zone) -> anyhow::Result<(Box<dyn std::io::Write>, Style)> {
        let (out, to_terminal) = destination(self.output.as_deref())?;
        let style = Style {
            format: Format::resolve(self.format, to_terminal),
            fit: self.table.fit(to_terminal),
            zone,
        };
        Ok((out, style))
    }
}

/// Opens `-o FILE`, else stdout; says whether the results go to a terminal (which decides the default
/// format).
pub fn destination(path: Option<&std::path::Path>) -> anyhow::Result<(Box<dyn std::io::Write>, bool)> {
    match path {
        Some(path) => {
            let f =
                std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            Ok((Box::new(std::io::BufWriter::new(f)), false))
        }
        None => Ok((
            Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            std::io::stdout().is_terminal(),
        )),
    }
}

/// Which rules run and what they may not flag.
#[derive(Debug, Args, Clone)]
pub struct RuleArgs {
    /// A Sigma rule file or a folder of them (repeatable); loaded with the built-in pack.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Leave out the built-in rule pack.
    #[arg(long)]
    pub no_builtin: bool,
    /// Only rules at this level or above run and are shown. Without it every rule runs, but low and
    /// informational findings are left out of the output (the summary counts them).
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub min_level: Option<Level>,
    /// Only this rule id or name (repeatable).
    #[arg(long = "rule", value_name = "ID")]
    pub rule: Vec<String>,
    /// Never this rule id or name (repeatable).
    #[arg(long = "exclude-rule", value_name = "ID")]
    pub exclude_rule: Vec<String>,
    /// Only rules with this tag or a sub-technique of it, e.g. attack.t1562 (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    pub tag: Vec<String>,
    /// Suppressions for known-good activity: YAML list of {rule, reason, match} entries.
    #[arg(long, value_name = "FILE")]
    pub allow: Option<PathBuf>,
}

impl RuleArgs {
    /// The rule pack these flags choose.
    pub fn choice(&self) -> PackChoice {
        PackChoice {
            rules: self.rules.clone(),
            no_builtin: self.no_builtin,
            min_level: self.min_level,
            rule: self.rule.clone(),
            exclude_rule: self.exclude_rule.clone(),
            tag: self.tag.clone(),
            allow: self.allow.clone(),
        }
    }

    /// Loads, selects and compiles the pack these flags choose.
    pub fn pack(&self) -> anyhow::Result<Pack> {
        self.choice().pack()
    }
}

/// The `--cluster` flags of `query`, `hunt` and `export`.
#[derive(Debug, Args, Clone, Default)]
pub struct ClusterArgs {
    /// Run the plan on a Ballista cluster started with `ctscan cluster`: the scheduler's df://HOST:PORT.
    #[arg(long, value_name = "df://HOST:PORT")]
    pub cluster: Option<String>,
    /// Local SOURCE, lake and --out paths are on a filesystem every executor mounts at the same path.
    #[arg(long, requires = "cluster")]
    pub shared_fs: bool,
    /// The address executors reach this machine at for their read reports (default: the address this
    /// machine reaches the scheduler from).
    #[arg(long, value_name = "HOST", requires = "cluster")]
    pub report_host: Option<String>,
}

impl ClusterArgs {
    /// Connects the run to the cluster these flags name, if any (see [`ClusterChoice::connect`]).
    pub fn connect(&self, paths: &[&str]) -> anyhow::Result<Option<Arc<Target>>> {
        ClusterChoice {
            cluster: self.cluster.clone(),
            shared_fs: self.shared_fs,
            report_host: self.report_host.clone(),
        }
        .connect(paths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("2gb"), Ok(2 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("lots").is_err());
    }
}
