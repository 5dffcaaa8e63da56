//! `ctscan rules`: inspect and validate rule packs — list, show, lint, and test against test events.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::bail;

use serde_json::{Value, json};

use crate::cli::args::{EXIT_OK, EXIT_PARTIAL, OutputArgs};
use crate::cli::context::RunContext;
use crate::cli::rules::{PackArgs, RulesArgs, RulesCommand};
use crate::output::{Format, Shrink, TextTable, csv_line};
use crate::sigma::load::load_rules;
use crate::sigma::rule::{Rule, RuleKind, load_path, parse_text};
use crate::sigma::select::find;
use crate::sigma::{builtin, lint, testing};

fn kind(r: &Rule) -> &'static str {
    match &r.kind {
        RuleKind::Detection(_) => "detection",
        RuleKind::Correlation(c) => c.kind.as_str(),
    }
}

/// The columns of `rules list` in CSV and JSON.
const LIST_COLUMNS: &[&str] = &["id", "name", "level", "kind", "title", "tags", "author", "source"];

fn list(pack: &PackArgs, output: &OutputArgs, ctx: &RunContext) -> anyhow::Result<i32> {
    let (rules, failures) = load_rules(&pack.rules, !pack.no_builtin);
    let (mut out, style) = output.open(ctx.zone)?;
    // A listing for people unless a machine format is asked for, wherever it goes.
    let format = output.format.unwrap_or(Format::Table);
    let mut sorted: Vec<&Rule> = rules.iter().filter(|r| r.generate).collect();
    sorted.sort_by(|a, b| b.level.cmp(&a.level).then(a.title.cmp(&b.title)));
    let record = |r: &Rule| {
        json!({
            "id": r.id,
            "name": r.name,
            "level": r.level.as_str(),
            "kind": kind(r),
            "title": r.title,
            "tags": r.tags,
            "author": r.author,
            "source": r.source,
        })
    };
    match format {
        Format::Table => {
            use Shrink::{First, Last, Later};
            let mut t = TextTable::new([
                ("id", Later),
                ("name", Later),
                ("level", Last),
                ("kind", Last),
                ("title", Later),
                ("tags", First),
                ("source", First),
            ])
            .want("title", 40)
            .want("name", 30)
            .droppable(&["source", "tags", "id", "kind"]);
            for r in &sorted {
                t.add_row(vec![
                    r.id.clone(),
                    r.name.clone().unwrap_or_default(),
                    r.level.to_string(),
                    kind(r).to_string(),
                    r.title.clone(),
                    r.tags.join(" "),
                    r.source.clone(),
                ]);
            }
            writeln!(out, "{}", t.render(style.fit.width))?;
            writeln!(out, "{} rules", sorted.len())?;
        }
        Format::Jsonl => {
            for r in &sorted {
                serde_json::to_writer(&mut out, &record(r))?;
                out.write_all(b"\n")?;
            }
        }
        Format::Json => {
            let all: Vec<Value> = sorted.iter().map(|r| record(r)).collect();
            serde_json::to_writer_pretty(&mut out, &all)?;
            writeln!(out)?;
        }
        Format::Csv => {
            writeln!(out, "{}", LIST_COLUMNS.join(","))?;
            for r in &sorted {
                let cells = [
                    r.id.clone(),
                    r.name.clone().unwrap_or_default(),
                    r.level.to_string(),
                    kind(r).to_string(),
                    r.title.clone(),
                    r.tags.join(" "),
                    r.author.clone().unwrap_or_default(),
                    r.source.clone(),
                ];
                writeln!(out, "{}", csv_line(&cells))?;
            }
        }
    }
    out.flush()?;
    for f in &failures {
        eprintln!("ctscan: rule {}: {}", f.file, f.reason);
    }
    Ok(if failures.is_empty() {
        EXIT_OK
    } else {
        EXIT_PARTIAL
    })
}

fn source_text(source: &str) -> Option<String> {
    if let Some(path) = source.strip_prefix(builtin::PREFIX) {
        return builtin::files()
            .into_iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.to_string());
    }
    std::fs::read_to_string(source.split('#').next().unwrap_or(source)).ok()
}

fn show(id: &str, pack: &PackArgs) -> anyhow::Result<i32> {
    let (rules, _) = load_rules(&pack.rules, !pack.no_builtin);
    let Some(r) = rules.iter().find(|r| r.id == id || r.name.as_deref() == Some(id)) else {
        bail!("no rule with id or name {id:?} (see `ctscan rules list`)");
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "# {} ({}), {} {}", r.title, r.id, r.level, kind(r))?;
    writeln!(out, "# source: {}", r.source)?;
    match source_text(&r.source) {
        Some(t) => write!(out, "{t}")?,
        None => writeln!(out, "(source file not readable)")?,
    }
    Ok(EXIT_OK)
}

/// (file label, rules, load failures) per rule file of the given paths, or of the built-in pack.
fn rule_files(paths: &[PathBuf]) -> Vec<(String, PathBuf, Vec<Rule>, Vec<String>)> {
    let mut out = Vec::new();
    if paths.is_empty() {
        for (path, text) in builtin::files() {
            let label = format!("{}{path}", builtin::PREFIX);
            let (rules, failures) = parse_text(text, &label);
            out.push((
                label,
                PathBuf::from(path),
                rules,
                failures.into_iter().map(|f| f.reason).collect(),
            ));
        }
        return out;
    }
    for p in paths {
        let files: Vec<PathBuf> = if p.is_dir() {
            let mut v: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path())
                .filter(|f| matches!(f.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")))
                .collect();
            v.sort();
            v
        } else {
            vec![p.clone()]
        };
        for f in files {
            let (rules, failures) = load_path(&f);
            out.push((
                f.display().to_string(),
                f.clone(),
                rules,
                failures.into_iter().map(|x| x.reason).collect(),
            ));
        }
    }
    out
}

fn lint_cmd(paths: &[PathBuf]) -> anyhow::Result<i32> {
    let mut out = std::io::stdout().lock();
    let (mut files, mut problems) = (0, 0);
    let loaded = rule_files(paths);
    // References resolve across every file linted together, as a hunt loading the folder would.
    let all: Vec<Rule> = loaded
        .iter()
        .flat_map(|(_, _, rules, _)| rules.iter().cloned())
        .collect();
    let fed: HashSet<&str> = all
        .iter()
        .filter_map(|r| match &r.kind {
            RuleKind::Correlation(c) => Some(c.rules.iter()),
            _ => None,
        })
        .flatten()
        .filter_map(|x| find(&all, x))
        .map(|b| b.id.as_str())
        .collect();
    for (label, _, rules, failures) in &loaded {
        files += 1;
        for f in failures {
            problems += 1;
            writeln!(out, "{label}: error: {f}")?;
        }
        for r in rules {
            let base = fed.contains(r.id.as_str());
            for w in lint::lint(r, !base)
                .into_iter()
                .chain(lint::reference_warnings(r, &all))
            {
                problems += 1;
                writeln!(out, "{label}: {}: {w}", r.id)?;
            }
        }
    }
    writeln!(out, "{files} files, {problems} problems")?;
    Ok(if problems == 0 { EXIT_OK } else { EXIT_PARTIAL })
}

fn test_text(label_path: &Path, events_dir: Option<&Path>, builtin_pack: bool) -> Option<String> {
    let stem = label_path.file_stem()?.to_string_lossy().to_string();
    if builtin_pack {
        return builtin::tests_for(&stem).map(String::from);
    }
    let dir = events_dir.map_or_else(|| PathBuf::from("testdata/rules"), Path::to_path_buf);
    std::fs::read_to_string(dir.join(format!("{stem}.json")))
        .or_else(|_| std::fs::read_to_string(label_path.with_extension("tests.json")))
        .ok()
}

fn test_cmd(paths: &[PathBuf], events: Option<&Path>, ctx: &RunContext) -> anyhow::Result<i32> {
    let threads = ctx.threads;
    let files = rule_files(paths);
    let all: Vec<Rule> = files.iter().flat_map(|(_, _, r, _)| r.clone()).collect();
    let rt = crate::events::session::runtime(threads)?;
    let mut out = std::io::stdout().lock();
    let (mut pass, mut fail, mut untested) = (0, 0, 0);
    for (label, path, rules, failures) in &files {
        for f in failures {
            fail += 1;
            writeln!(out, "FAIL  {label}: {f}")?;
        }
        if rules.is_empty() {
            continue;
        }
        let Some(text) = test_text(path, events, paths.is_empty()) else {
            untested += 1;
            writeln!(out, "NONE  {label}: no test events")?;
            continue;
        };
        let outcome = match testing::parse(&text) {
            Ok(case) => match testing::subject(&case, rules) {
                Some(rule) => rt.block_on(testing::test_rule(rule, &all, &case)),
                None => testing::Outcome {
                    rule: case.rule.clone().unwrap_or_default(),
                    title: label.clone(),
                    failures: vec!["the test names a rule that is not in this file".into()],
                },
            },
            Err(e) => testing::Outcome {
                rule: String::new(),
                title: label.clone(),
                failures: vec![e.to_string()],
            },
        };
        if outcome.failures.is_empty() {
            pass += 1;
            writeln!(out, "PASS  {} {}", outcome.rule, outcome.title)?;
        } else {
            fail += 1;
            writeln!(out, "FAIL  {} {} ({label})", outcome.rule, outcome.title)?;
            for f in &outcome.failures {
                writeln!(out, "        {f}")?;
            }
        }
    }
    writeln!(
        out,
        "{pass} passed, {fail} failed, {untested} without test events"
    )?;
    Ok(if fail == 0 && untested == 0 {
        EXIT_OK
    } else {
        EXIT_PARTIAL
    })
}

/// Runs `ctscan rules`.
pub fn run(args: RulesArgs, ctx: &RunContext) -> anyhow::Result<i32> {
    match &args.command {
        RulesCommand::List { pack, output } => list(pack, output, ctx),
        RulesCommand::Show { id, pack } => show(id, pack),
        RulesCommand::Lint { paths } => lint_cmd(paths),
        RulesCommand::Test { paths, events } => test_cmd(paths, events.as_deref(), ctx),
    }
}
