//! Output formats: what people and machines get on stdout.

use crate::util::*;

fn sample() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let events: Vec<_> = (0..3)
        .map(|i| event(&format!("E{i}"), &format!("2026-03-03T10:0{i}:00Z")))
        .collect();
    write(
        &log_path(dir.path(), "111122223333", "us-east-1", "2026-03-03", "a.json.gz"),
        &delivery(&events),
    );
    dir
}

const SQL: &str =
    "SELECT eventTime, eventName, userIdentity.userName AS who, readOnly FROM events ORDER BY eventTime";

fn out(format: &str) -> String {
    let dir = sample();
    let r = ctscan(&["query", "--format", format, dir.path().to_str().unwrap(), SQL]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
}

#[test]
fn jsonl_is_one_object_per_line_with_utc_times() {
    let rows = jsonl(&out("jsonl"));
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["eventName"], "E0");
    assert_eq!(rows[0]["who"], "alice");
    assert_eq!(rows[0]["readOnly"], true);
    assert!(
        rows[0]["eventTime"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-03T10:00:00"),
        "{}",
        rows[0]
    );
}

#[test]
fn json_is_one_array() {
    let v: serde_json::Value = serde_json::from_str(&out("json")).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    let dir = sample();
    let r = ctscan(&[
        "query",
        "--format",
        "json",
        dir.path().to_str().unwrap(),
        "SELECT * FROM events WHERE false",
    ]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap(),
        serde_json::json!([])
    );
}

#[test]
fn csv_has_a_header_and_iso_times() {
    let text = out("csv");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "eventTime,eventName,who,readOnly");
    assert_eq!(lines[1], "2026-03-03T10:00:00Z,E0,alice,true");
}

#[test]
fn table_is_for_people() {
    let text = out("table");
    assert!(text.contains("| eventName"), "{text}");
    assert!(text.contains("| E2 "), "{text}");
    assert!(text.contains("2026-03-03T10:02:00Z"), "{text}");
}

#[test]
fn without_a_terminal_the_default_is_jsonl_and_stderr_is_quiet() {
    let dir = sample();
    let r = ctscan(&["query", dir.path().to_str().unwrap(), SQL]);
    assert_eq!(jsonl(&r.stdout).len(), 3);
    assert!(
        r.stderr.is_empty(),
        "no progress or summary when stderr is not a terminal: {}",
        r.stderr
    );
}

/// Runs a command in a pseudo-terminal `cols` columns wide and prints what it wrote there (standard
/// error goes to the file named second). Python's standard library opens the terminal and sets its size.
const PTY: &str = r#"
import fcntl, os, pty, struct, sys, termios
cols, err, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    e = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(e, 2)
    os.execv(argv[0], argv)
out = bytearray()
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(bytes(out))
sys.exit(os.waitstatus_to_exitcode(status))
"#;

/// Width of the pseudo-terminal the tests run ctscan in.
const COLS: usize = 100;

/// Runs `ctscan` from the checkout's root with stdout on a terminal `cols` wide; `COLUMNS` is unset
/// unless `env` sets it.
fn on_terminal(cols: usize, args: &[&str], env: &[(&str, &str)]) -> Run {
    let err = tempfile::NamedTempFile::new().unwrap();
    let python = std::env::var_os("CTSCAN_PYTHON").unwrap_or_else(|| "python3".into());
    let mut cmd = std::process::Command::new(python);
    cmd.arg("-c")
        .arg(PTY)
        .arg(cols.to_string())
        .arg(err.path())
        .arg(env!("CARGO_BIN_EXE_ctscan"))
        .args(args)
        .env_remove("COLUMNS")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let r = run(&mut cmd);
    Run {
        code: r.code,
        // The terminal ends lines with CR LF.
        stdout: r.stdout.replace('\r', ""),
        stderr: std::fs::read_to_string(err.path()).unwrap_or_default() + &r.stderr,
    }
}

/// `ctscan` from the checkout's root, with stdout a pipe.
fn piped(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ctscan"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

/// The text without ANSI escape sequences.
fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

/// The cells of a table or record line (the text between its vertical rules), trimmed.
fn cells(line: &str) -> Vec<&str> {
    line.split(['│', '┆', '|'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// Asserts that no line is wider than `width` characters and that every cut cell ends with `…`;
/// returns how many cells were cut.
fn assert_fits(text: &str, width: usize) -> usize {
    let mut cut = 0;
    for line in text.lines().map(strip_ansi) {
        let n = line.chars().count();
        assert!(
            n <= width,
            "a line of {n} characters, wider than {width}:\n{line}\n\n{text}"
        );
        for c in cells(&line).into_iter().filter(|c| c.contains('…')) {
            assert!(
                c.ends_with('…'),
                "a cut cell that does not end with …: {c:?}\n\n{text}"
            );
            cut += 1;
        }
    }
    cut
}

/// The header line of each table (the line after each top border).
fn headers(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .windows(2)
        .filter(|w| w[0].starts_with('┌') || w[0].starts_with("+-"))
        .map(|w| w[1].to_string())
        .collect()
}

#[test]
fn a_hunt_on_a_terminal_fits_its_width() {
    let r = on_terminal(COLS, &["-q", "hunt", "testdata/sample"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("[HIGH] CloudTrail Logging Stopped"),
        "{}",
        r.stdout
    );
    let cut = assert_fits(&r.stdout, COLS);
    assert!(cut > 0, "the actors do not fit in {COLS} columns:\n{}", r.stdout);
    let heads = headers(&r.stdout);
    assert!(!heads.is_empty(), "{}", r.stdout);
    for h in &heads {
        for column in ["count", "time", "account", "source IP"] {
            assert!(h.contains(column), "{column} missing from {h}");
        }
        for column in ["last", "user agents", "access keys"] {
            assert!(!h.contains(column), "{column} is a --wide column: {h}");
        }
    }
    // Times, accounts and addresses are whole; the free text gave up its width.
    assert!(
        r.stdout.contains("┆ 2026-03-01T00:00:07Z ┆ 111122223333 ┆"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("185.220.101.47"), "{}", r.stdout);
}

#[test]
fn hunt_wide_brings_back_every_column_in_full() {
    let r = on_terminal(COLS, &["-q", "hunt", "testdata/sample", "--wide"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let heads = headers(&r.stdout);
    assert!(!heads.is_empty(), "{}", r.stdout);
    for h in &heads {
        for column in [
            "first",
            "last",
            "actors",
            "source IP",
            "accounts",
            "regions",
            "event names",
            "errors",
            "access keys",
            "user agents",
        ] {
            assert!(h.contains(column), "{column} missing from {h}");
        }
    }
    assert!(
        r.stdout.lines().any(|l| l.chars().count() > COLS),
        "--wide does not fit the terminal:\n{}",
        r.stdout
    );
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with('│') && l.contains("IAMUser arn:aws:iam::111122223333:user/mallory")),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains('…'),
        "nothing is cut with --wide:\n{}",
        r.stdout
    );
}

#[test]
fn a_hunt_table_in_a_file_or_pipe_keeps_full_values() {
    // Only a terminal limits the width, even when COLUMNS is set.
    let r = piped(
        &["hunt", "--format", "table", "testdata/sample"],
        &[("COLUMNS", "60")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with('│') && l.contains("IAMUser arn:aws:iam::111122223333:user/mallory")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.lines().any(|l| l.chars().count() > 60), "{}", r.stdout);
}

#[test]
fn columns_sets_the_width_of_a_terminal() {
    let r = on_terminal(COLS, &["-q", "hunt", "testdata/sample"], &[("COLUMNS", "80")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_fits(&r.stdout, 80);
    assert!(r.stdout.lines().any(|l| l.chars().count() == 80), "{}", r.stdout);
}

#[test]
fn query_ls_summary_and_rules_tables_fit_a_terminal() {
    let runs: [&[&str]; 4] = [
        &["-q", "query", "testdata/sample", "SELECT * FROM events LIMIT 5"],
        &["-q", "ls", "testdata/sample"],
        &["-q", "summary", "testdata/sample"],
        &["-q", "rules", "list"],
    ];
    for args in runs {
        let r = on_terminal(COLS, args, &[]);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(!r.stdout.trim().is_empty(), "{args:?} printed nothing");
        assert_fits(&r.stdout, COLS);
    }
    // Every column of the query is there (as records, when the columns cannot share one line).
    let r = on_terminal(COLS, runs[0], &[]);
    for column in [
        "eventTime",
        "userIdentity",
        "userAgent",
        "recipientAccountId",
        "objectDay",
    ] {
        assert!(r.stdout.contains(column), "{column} missing:\n{}", r.stdout);
    }
    let r = on_terminal(COLS, runs[1], &[]);
    assert!(
        r.stdout.contains("skipped: Config log, not CloudTrail"),
        "{}",
        r.stdout
    );
    let r = on_terminal(COLS, runs[3], &[]);
    assert!(assert_fits(&r.stdout, COLS) > 0, "{}", r.stdout);
    assert!(r.stdout.contains("CloudTrail Logging Stopped"), "{}", r.stdout);
    // --wide cuts nothing.
    let r = on_terminal(COLS, &["-q", "rules", "list", "--wide"], &[]);
    assert!(!r.stdout.contains('…'), "{}", r.stdout);
    assert!(
        r.stdout.contains("builtin:rules/cloudtrail_logging_stopped.yml"),
        "{}",
        r.stdout
    );
}

#[test]
fn jsonl_on_a_terminal_is_the_same_as_in_a_pipe() {
    let sorted = |s: &str| {
        let mut v: Vec<String> = s.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    let runs: [&[&str]; 3] = [
        &["-q", "hunt", "--format", "jsonl", "testdata/sample"],
        &[
            "-q",
            "query",
            "--format",
            "jsonl",
            "testdata/sample",
            "SELECT * FROM events ORDER BY eventID LIMIT 5",
        ],
        &["-q", "summary", "--format", "jsonl", "testdata/sample"],
    ];
    for args in runs {
        let tty = on_terminal(COLS, args, &[]);
        let pipe = piped(args, &[]);
        assert_eq!(tty.code, 0, "{args:?}: {}", tty.stderr);
        assert!(!pipe.stdout.is_empty(), "{args:?}");
        assert_eq!(sorted(&tty.stdout), sorted(&pipe.stdout), "{args:?}");
        assert!(tty.stdout.lines().any(|l| l.chars().count() > COLS), "{args:?}");
        assert!(!tty.stdout.contains('…'), "{args:?}");
        jsonl(&tty.stdout);
    }
}

#[test]
fn rules_list_in_every_format() {
    let rows = jsonl(&ctscan(&["rules", "list", "--format", "jsonl"]).stdout);
    assert!(rows.len() >= 50, "{}", rows.len());
    let stop = rows
        .iter()
        .find(|r| r["title"] == "CloudTrail Logging Stopped")
        .expect("the rule is listed");
    assert_eq!(stop["level"], "high");
    assert_eq!(stop["kind"], "detection");
    assert_eq!(stop["source"], "builtin:rules/cloudtrail_logging_stopped.yml");
    assert!(stop["tags"].as_array().is_some_and(|t| !t.is_empty()), "{stop}");
    let all: serde_json::Value =
        serde_json::from_str(&ctscan(&["rules", "list", "--format", "json"]).stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), rows.len());
    let csv = ctscan(&["rules", "list", "--format", "csv"]).stdout;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,name,level,kind,title,tags,author,source");
    assert_eq!(lines.len(), rows.len() + 1);
    // In a pipe the listing is still a table unless a format is asked for.
    let table = ctscan(&["rules", "list"]).stdout;
    assert!(table.starts_with('┌'), "{table}");
    assert_eq!(
        table.lines().last(),
        Some(format!("{} rules", rows.len()).as_str())
    );
}
