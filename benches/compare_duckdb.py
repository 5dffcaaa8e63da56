#!/usr/bin/env python3
"""ctscan against DuckDB, against the floor and against its own targets, on the same files, in one run.

For each archive shape (--shape, default both) it generates the archive once with ctscan-gen, of --events events:
  uniform    --per-file 200 --accounts 10 --regions 4 --days 7 --seed 42 (the archive of earlier runs);
  realistic  --world realistic --per-file 100 --accounts 3 --regions 4 --days 2 --layout org --siblings --attacks
             --seed 42;
into benches/data/archive-SHAPE-EVENTS, exports it to its own lake benches/data/lake-SHAPE-EVENTS, and times each
command --runs times (median reported) with its peak RSS (wait4):
  measure                                                   target
  plain scan `SELECT count(*) FROM events` / the floor      <= 1.3x
  scan with filter + group-by: DuckDB / ctscan              >= 4x    (DuckDB read_json with the four columns
                                                                      given; the auto-format read is reported too)
  selective query (one event name in < 1% of objects):
    ctscan --parse-all / ctscan                             >= 2x    (the same query with every object parsed)
    DuckDB / ctscan                                         (none)   (read_json with the query's columns given)
  export to Parquet: DuckDB COPY / ctscan export            >= 3x    (DuckDB with preserve_insertion_order=false)
  three queries on the lake: DuckDB / ctscan                (none)
  `ctscan hunt` (built-in pack, actors included) / plain    <= 1.3x
  hunt on the raw archive / hunt on the lake                >= 10x
  `ctscan trace KEY` on the raw archive / on the lake       >= 10x
  hunt, a pack whose one rule matches most events: RSS      < 1 GiB
  peak RSS of every other ctscan command                    < 1 GiB (a hunt: < 512 MiB, see --memory)
and writes the hunt's JSON lines to benches/data/hunt-SHAPE-EVENTS.jsonl (one more run) to report its size
(target on the realistic shape: < 10 MB).
DuckDB reads the same log objects through a glob that leaves out the digest, Insights and Config siblings.
The floor is gunzip + simd-json tape on all cores, from `cargo bench --bench decode` on the same archive
(CTSCAN_BENCH_ARCHIVE); --no-floor skips it for a quick check. Each shape ends with its partitions line and a
markdown table: measure | ctscan s | reference s | ratio | target | met? | ctscan peak RSS | reference peak RSS.
A ratio is reference / ctscan (how many times faster ctscan is), except for an "at most" target, where it is
ctscan / reference (what ctscan costs over the reference).

Verify (in every shape's table; --verify-only measures nothing else): the shape's archive generated again with
--digests (benches/data/archive-SHAPE-EVENTS-digests, signed by the test keys), then
  measure                                                   target
  `ctscan verify` / (`ctscan ls --objects` + inflate)       <= 1.3x  (inflate alone with flate2 + zlib-rs, the
                                                                      inflater verify streams with, from `cargo
                                                                      bench --bench decode` on the same archive: in
                                                                      memory, all cores)
  `ctscan verify` / `ctscan ls --objects`                   (none)
Both read every log object; verify also reads the digests and hashes the decompressed bytes.

Attribution (in every shape's table; --attribution-only measures nothing else, on the archive and lake already in
benches/data, exporting the lake untimed if it is missing): the same archive and its lake in one run:
  measure                                                   target
  build `sessions` (`SELECT count(*) FROM sessions`) on the raw archive
    / a plain scan of eventTime and eventName               <= 1.2x
  `ctscan trace ARCHIVE KEY --format jsonl` / `SELECT count(*) FROM events` on the archive   (none)
  the same two on the lake                                                                  (none)
KEY is chosen by a query on the lake's `sessions`: of the credentials issued inside the archive (any credential if
none is), the one that made the most calls. The trace rows give ctscan's cost over the count, as the "at most" rows do.

Memory growth (--memory; on by default when --shape includes realistic): one hunt each over archives of
--memory-events events (default 1,000,000 and 4,000,000; add 16000000 for the full check) of the realistic shape and
of the uniform shape spread over 28 days, with its peak RSS against the < 512 MiB target.

--scan-only measures only the decoding rows (the floor's stages, the plain and filtered scans, the selective query
and export, each against DuckDB's best setup) on every --shape.

--hunt-only measures only the hunt rows (plain scan, hunt raw and on the lake, trace raw and on the lake, the
noisy pack, the output size) on the realistic shape's archive and lake, without DuckDB or the floor.

ctscan and ctscan-gen are built in release into CARGO_TARGET_DIR (default ~/.cache/ctscan-release), or taken
from the folder CTSCAN_BIN_DIR names (nothing is built then, except the floor's `cargo bench`). DuckDB is
installed from PyPI into ~/.cache/ctscan-venv if missing.

Usage: python3 benches/compare_duckdb.py [--events 1000000] [--runs 3] [--shape realistic|uniform|both]
                                         [--memory | --no-memory] [--memory-events N ...] [--no-floor]
                                         [--attribution-only | --verify-only | --hunt-only]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benches" / "data"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", str(Path.home() / ".cache" / "ctscan-release")))
VENV = Path.home() / ".cache" / "ctscan-venv"
RSS_LIMIT_MIB = 1024
HUNT_RSS_LIMIT_MIB = 512
HUNT_OUTPUT_LIMIT_MB = 10
MEMORY_EVENTS = (1_000_000, 4_000_000)
# A pack of one rule that matches most events of any archive: every call but the reads named List*/Describe*.
NOISY_RULE = """title: Any call that is not a List or Describe
id: 9d3c0f4e-bench-noisy-0001
status: test
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource|endswith: '.amazonaws.com'
  reads:
    eventName|startswith: ['List', 'Describe']
  condition: selection and not reads
level: low
"""

COUNT_SQL = "SELECT count(*) FROM events"
# The plain scan `sessions` is held against: the two columns every row is read for, and nothing else.
TIME_NAME_SQL = "SELECT count(*) FROM events WHERE eventName IS NOT NULL AND eventTime IS NOT NULL"
SESSIONS_SQL = "SELECT count(*) FROM sessions"
# The key `trace` follows: one issued inside the archive (so the trace has a chain to walk) if any, then the one
# with the most calls.
TRACE_KEY_SQL = ("SELECT accessKeyId AS k FROM sessions "
                 "ORDER BY issuedByEventID IS NOT NULL DESC, calls DESC, accessKeyId LIMIT 1")
SCAN_SQL = ("SELECT eventSource, count(*) AS n, count(DISTINCT userIdentity.arn) AS principals FROM events "
            "WHERE errorCode IS NOT NULL OR readOnly = false GROUP BY 1 ORDER BY 2 DESC")
DUCK_SCAN_SQL = ("SELECT r.eventSource, count(*) AS n, count(DISTINCT r.userIdentity.arn) AS principals FROM "
                 "(SELECT unnest(Records) AS r FROM {source}) "
                 "WHERE r.errorCode IS NOT NULL OR r.readOnly = false GROUP BY 1 ORDER BY 2 DESC")
# A query for one event name: {name} is chosen on the archive as the name held by the most objects among those
# held by fewer than 1% of them.
SELECTIVE_SQL = ("SELECT eventTime, userIdentity.arn AS arn, sourceIPAddress FROM events WHERE eventName = '{name}' "
                 "ORDER BY 1, 2, 3")
DUCK_SELECTIVE_SQL = ("SELECT r.eventTime, r.userIdentity.arn AS arn, r.sourceIPAddress FROM (SELECT unnest(Records) "
                      "AS r FROM read_json('{glob}', records='true', columns={{'Records': 'STRUCT(eventTime VARCHAR, "
                      "eventName VARCHAR, userIdentity STRUCT(arn VARCHAR), sourceIPAddress VARCHAR)[]'}})) "
                      "WHERE r.eventName = '{name}' ORDER BY 1, 2, 3")
RARE_NAMES_SQL = ("SELECT eventName AS name, count(DISTINCT objectKey) AS objects FROM events "
                  "WHERE eventName IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1")
DUCK_TYPED_JSON = ("read_json('{glob}', records='true', columns={{'Records': 'STRUCT(eventSource VARCHAR, "
                   "errorCode VARCHAR, readOnly BOOLEAN, userIdentity STRUCT(arn VARCHAR))[]'}})")
DUCK_AUTO_JSON = "read_json('{glob}', format='auto')"
DUCK_COPY_SQL = ("COPY (SELECT unnest(Records, recursive := false) AS r FROM read_json('{glob}', format='auto')) "
                 "TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
# (name, ctscan SQL, DuckDB SQL); {key} is an access key of the lake, {day} a day of the archive, {g} the lake glob.
LAKE_QUERIES = [
    ("lake: one access key's activity",
     "SELECT eventTime, eventName, sourceIPAddress FROM events WHERE userIdentity.accessKeyId = '{key}' "
     "ORDER BY eventTime",
     "SELECT eventTime, eventName, sourceIPAddress FROM read_parquet('{g}') WHERE userIdentity.accessKeyId = "
     "'{key}' ORDER BY eventTime"),
    ("lake: top callers in one day",
     "SELECT userIdentity.arn AS arn, count(*) AS n FROM events WHERE eventTime >= '{day}' "
     "AND eventTime < '{next_day}' GROUP BY 1 ORDER BY 2 DESC LIMIT 20",
     "SELECT userIdentity.arn AS arn, count(*) AS n FROM read_parquet('{g}') WHERE eventTime >= "
     "TIMESTAMPTZ '{day} 00:00:00+00' AND eventTime < TIMESTAMPTZ '{next_day} 00:00:00+00' "
     "GROUP BY 1 ORDER BY 2 DESC LIMIT 20"),
    ("lake: errors by event name",
     "SELECT eventName, errorCode, count(*) AS n FROM events WHERE errorCode IS NOT NULL GROUP BY 1, 2 "
     "ORDER BY 3 DESC",
     "SELECT eventName, errorCode, count(*) AS n FROM read_parquet('{g}') WHERE errorCode IS NOT NULL "
     "GROUP BY 1, 2 ORDER BY 3 DESC"),
]


@dataclass(frozen=True)
class Shape:
    """An archive shape: ctscan-gen arguments besides --out and --events, and a day inside the archive."""
    name: str
    gen_args: tuple[str, ...]
    day: date


MONTH = Shape("uniform-28d", ("--per-file", "200", "--accounts", "10", "--regions", "4", "--days", "28",
                               "--seed", "42"), date(2026, 3, 3))
UNIFORM = Shape("uniform", ("--per-file", "200", "--accounts", "10", "--regions", "4", "--days", "7",
                            "--seed", "42"), date(2026, 3, 3))
REALISTIC = Shape("realistic", ("--world", "realistic", "--per-file", "100", "--accounts", "3", "--regions", "4",
                                "--days", "2", "--layout", "org", "--siblings", "--attacks", "--seed", "42"),
                  date(2026, 3, 2))
SHAPES = {"uniform": [UNIFORM], "realistic": [REALISTIC], "both": [UNIFORM, REALISTIC]}


@dataclass(frozen=True)
class Run:
    """Median wall seconds of a command and its largest peak RSS, each None when not measured."""
    seconds: float | None
    rss_mib: float | None


NOT_MEASURED = Run(None, None)


@dataclass(frozen=True)
class Target:
    """A bound on a ratio: reference / ctscan at least `limit`, or with `at_most` ctscan / reference at most."""
    limit: float
    at_most: bool = False

    def met(self, ratio):
        return ratio <= self.limit if self.at_most else ratio >= self.limit

    def __str__(self):
        return f"{'≤' if self.at_most else '≥'} {self.limit:g}×"


@dataclass(frozen=True)
class Row:
    """One measure: ctscan's run, the reference's and the target on the ratio of their seconds. `cost` makes
    the ratio ctscan / reference without a target (what a command costs over a scan)."""
    measure: str
    ours: Run
    reference: Run
    target: Target | None = None
    cost: bool = False

    @property
    def ratio(self):
        if self.reference.seconds is None:
            return None
        if self.cost or (self.target is not None and self.target.at_most):
            return self.ours.seconds / self.reference.seconds
        return self.reference.seconds / self.ours.seconds

    @property
    def met(self):
        if self.target is None or self.ratio is None:
            return None
        return self.target.met(self.ratio)


@dataclass(frozen=True)
class Tools:
    """The binaries under test and the Python that has DuckDB."""
    ctscan: Path
    gen: Path
    duck_python: Path

    def ctscan_cmd(self, *args):
        return [str(self.ctscan), *map(str, args)]

    def hunt_cmd(self, source):
        return self.ctscan_cmd("hunt", "-q", "--format", "jsonl", source)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def build():
    """Builds ctscan and ctscan-gen in release into TARGET; returns the folder holding them."""
    sh(["cargo", "build", "--release", "--workspace", "--bins"], cwd=ROOT, env=dict(os.environ, CARGO_TARGET_DIR=str(TARGET)))
    return TARGET / "release"


def binaries():
    """ctscan and ctscan-gen: from $CTSCAN_BIN_DIR when set, else freshly built."""
    bin_dir = Path(os.environ["CTSCAN_BIN_DIR"]) if os.environ.get("CTSCAN_BIN_DIR") else build()
    found = bin_dir / "ctscan", bin_dir / "ctscan-gen"
    for path in found:
        if not path.is_file():
            raise SystemExit(f"{path}: no such binary")
    return found


def duck_python():
    py = VENV / "bin" / "python"
    if not py.exists():
        sh([sys.executable, "-m", "venv", str(VENV)])
    if subprocess.run([str(py), "-c", "import duckdb"], capture_output=True).returncode != 0:
        sh([str(py), "-m", "pip", "install", "--quiet", "duckdb"])
    return py


def duck_version(tools):
    return subprocess.run([str(tools.duck_python), "-c", "import duckdb; print(duckdb.__version__)"],
                          capture_output=True, text=True, check=True).stdout.strip()


def timed(cmd, runs, prepare=None, stdout=subprocess.DEVNULL):
    """Median wall seconds and largest peak RSS (MiB) over `runs` runs of a command that must exit with 0 or 1;
    `prepare` is called before each run, outside the timing."""
    times, rss = [], []
    for _ in range(runs):
        if prepare is not None:
            prepare()
        with tempfile.TemporaryFile() as err:
            t = time.perf_counter()
            p = subprocess.Popen(cmd, stdout=stdout, stderr=err)
            _, status, usage = os.wait4(p.pid, 0)
            times.append(time.perf_counter() - t)
            p.returncode = os.waitstatus_to_exitcode(status)
            if p.returncode not in (0, 1):
                err.seek(0)
                raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}\n{err.read().decode(errors='replace')}")
        rss.append(usage.ru_maxrss / 1024)
    return Run(statistics.median(times), max(rss))


def duck(tools, sql, runs, setup=""):
    """Times `sql` in DuckDB, on a fresh connection where the SQL `setup` ran first."""
    lines = ["import duckdb", "con = duckdb.connect()"]
    if setup:
        lines.append(f"con.execute({setup!r})")
    lines.append(f"con.sql({sql!r}).fetchall()")
    return timed([str(tools.duck_python), "-c", "\n".join(lines)], runs)


def archive_for(tools, shape, events):
    """The shape's archive of `events` events, generated on first use (in a scratch folder renamed when done)."""
    archive = DATA / f"archive-{shape.name}-{events}"
    if not archive.is_dir():
        scratch = archive.with_name(archive.name + ".partial")
        shutil.rmtree(scratch, ignore_errors=True)
        sh([str(tools.gen), "--out", str(scratch), "--events", str(events), *shape.gen_args])
        scratch.rename(archive)
    return archive


def log_objects(archive):
    """The CloudTrail log objects of an archive, without the digest, Insights and Config siblings."""
    return sorted(f for f in archive.rglob("*.json.gz") if "CloudTrail" in f.relative_to(archive).parts)


def log_glob(archive, objects):
    """A glob that matches exactly `objects` (one `*` per folder level), for DuckDB to read the same files."""
    folders = objects[0].relative_to(archive).parts[:-1]
    pattern = "/".join(p if p in ("AWSLogs", "CloudTrail") else "*" for p in folders) + "/*.json.gz"
    if sum(1 for _ in archive.glob(pattern)) != len(objects):
        raise SystemExit(f"{archive}: its log objects are not all matched by {pattern}")
    return f"{archive}/{pattern}"


def floor_seconds(archive):
    """Prints `cargo bench --bench decode` on the archive and returns its floor (gunzip + simd-json tape)."""
    return decode_bench(archive)["gunzip + simd-json tape (floor)"]


def floor_row(plain, floor):
    reference = NOT_MEASURED if floor is None else Run(floor, None)
    return Row("plain scan count(*) vs the floor (gunzip + simd-json tape)", plain, reference,
               Target(1.3, at_most=True))


def scan_rows(tools, archive, glob, runs):
    ours = timed(tools.ctscan_cmd("query", "-q", archive, SCAN_SQL), runs)
    typed = duck(tools, DUCK_SCAN_SQL.format(source=DUCK_TYPED_JSON.format(glob=glob)), runs)
    auto = duck(tools, DUCK_SCAN_SQL.format(source=DUCK_AUTO_JSON.format(glob=glob)), runs)
    return [
        Row("scan: filter + group-by vs DuckDB read_json, columns given", ours, typed, Target(4)),
        Row("scan: filter + group-by vs DuckDB read_json, auto format", ours, auto),
    ]


def rare_name(tools, archive, objects):
    """The event name held by the most objects among those held by fewer than 1% of the archive's objects, or
    None when every name is in more (the uniform shape)."""
    out = sh(tools.ctscan_cmd("query", "-q", "--format", "jsonl", archive, RARE_NAMES_SQL),
             capture_output=True, text=True).stdout
    names = [json.loads(line) for line in out.splitlines() if line.strip()]
    rare = [n for n in names if n["objects"] < objects / 100]
    if not rare:
        print(f"selective query: no event name is in fewer than 1% of the {objects} objects; not measured",
              flush=True)
        return None
    print(f"selective query: eventName = {rare[0]['name']!r}, in {rare[0]['objects']} of {objects} objects",
          flush=True)
    return rare[0]["name"]


def selective_rows(tools, archive, glob, objects, runs):
    name = rare_name(tools, archive, objects)
    if name is None:
        return []
    sql = SELECTIVE_SQL.format(name=name)
    ours = timed(tools.ctscan_cmd("query", "-q", archive, sql), runs)
    parsed = timed(tools.ctscan_cmd("query", "-q", "--parse-all", archive, sql), runs)
    theirs = duck(tools, DUCK_SELECTIVE_SQL.format(glob=glob, name=name), runs)
    return [
        Row("selective query vs the same with --parse-all (every object parsed)", ours, parsed, Target(2)),
        Row("selective query vs DuckDB read_json, columns given", ours, theirs),
    ]


def export_row(tools, archive, glob, lake, duck_parquet, runs):
    ours = timed(tools.ctscan_cmd("export", "-q", archive, "--out", lake), runs,
                 prepare=lambda: shutil.rmtree(lake, ignore_errors=True))
    theirs = duck(tools, DUCK_COPY_SQL.format(glob=glob, out=duck_parquet), runs,
                  setup="SET preserve_insertion_order = false")
    return Row("export to Parquet vs DuckDB COPY, preserve_insertion_order=false", ours, theirs, Target(3))


def lake_key(tools, lake):
    """An access key that occurs in the lake (NONE if there is none)."""
    out = sh(tools.ctscan_cmd("query", "-q", "--format", "jsonl", lake,
                              "SELECT userIdentity.accessKeyId AS k FROM events "
                              "WHERE userIdentity.accessKeyId LIKE 'AKIA%' LIMIT 1"),
             capture_output=True, text=True).stdout
    return json.loads(out)["k"] if out.strip() else "NONE"


def lake_rows(tools, lake, day, runs):
    values = {"key": lake_key(tools, lake), "day": day, "next_day": day + timedelta(days=1),
              "g": f"{lake}/events/**/*.parquet"}
    return [Row(name,
                timed(tools.ctscan_cmd("query", "-q", lake, ours.format(**values)), runs),
                duck(tools, theirs.format(**values), runs))
            for name, ours, theirs in LAKE_QUERIES]


def hunt_rows(tools, archive, lake, plain, runs):
    raw = timed(tools.hunt_cmd(archive), runs)
    on_lake = timed(tools.hunt_cmd(lake), runs)
    return [
        Row("hunt, built-in pack, raw archive vs the plain count(*) scan", raw, plain, Target(1.3, at_most=True)),
        Row("hunt on the lake vs hunt on the raw archive", on_lake, raw, Target(10)),
    ]


def noisy_rows(tools, archive, runs):
    """The hunt with a pack of one rule that matches most events, against the plain scan: time and peak RSS."""
    rules = DATA / "noisy-pack"
    rules.mkdir(parents=True, exist_ok=True)
    (rules / "noisy.yml").write_text(NOISY_RULE)
    cmd = tools.ctscan_cmd("hunt", "-q", "--format", "jsonl", "--no-builtin", "--rules", rules,
                           "--min-level", "low", archive)
    out = DATA / "hunt-noisy.jsonl"
    with open(out, "wb") as f:
        run = timed(cmd, runs, stdout=f)
    with open(out, "rb") as f:
        findings = sum(1 for _ in f)
    out.unlink()
    return run, findings


def trace_rows(tools, archive, lake, runs):
    key = trace_key(tools, lake)
    raw = timed(tools.ctscan_cmd("trace", "-q", archive, key, "--format", "jsonl"), runs)
    on_lake = timed(tools.ctscan_cmd("trace", "-q", lake, key, "--format", "jsonl"), runs)
    return [Row(f"trace {key} on the lake vs on the raw archive", on_lake, raw, Target(10))]


def bench_hunt(tools, shape, args):
    """Only the hunt's rows, on the shape's archive and lake (exported untimed if missing)."""
    print(f"## {shape.name}: hunt", flush=True)
    archive = archive_for(tools, shape, args.events)
    stem = f"{shape.name}-{args.events}"
    lake = lake_for(tools, archive, DATA / f"lake-{stem}")
    plain = timed(tools.ctscan_cmd("query", "-q", archive, COUNT_SQL), args.runs)
    lake_count = timed(tools.ctscan_cmd("query", "-q", lake, COUNT_SQL), args.runs)
    rows = []
    record(rows, [Row("plain count(*) on the lake vs on the raw archive", lake_count, plain)])
    record(rows, hunt_rows(tools, archive, lake, plain, args.runs))
    record(rows, trace_rows(tools, archive, lake, args.runs))
    noisy, noisy_findings = noisy_rows(tools, archive, 1)
    record(rows, [Row("hunt, one rule matching most events, raw archive vs the plain count(*) scan", noisy, plain,
                      cost=True)])
    findings, hunt_bytes = hunt_output(tools, archive, DATA / f"hunt-{stem}.jsonl")
    events = count_events(tools, lake)
    print()
    print(f"{shape.name}: {len(log_objects(archive))} log objects, {events} events; {os.cpu_count()} cores")
    print(f"hunt output: {findings} findings, {hunt_bytes / 1e6:.1f} MB of JSON lines "
          f"(target < {HUNT_OUTPUT_LIMIT_MB} MB: {verdict(hunt_bytes < HUNT_OUTPUT_LIMIT_MB * 1e6)})")
    print(f"noisy pack: {noisy_findings} findings ({noisy_findings / max(events, 1):.0%} of the events), peak RSS "
          f"{noisy.rss_mib:.0f} MiB (target < {RSS_LIMIT_MIB} MiB: {verdict(noisy.rss_mib < RSS_LIMIT_MIB)})")
    print_table(rows)
    print()


def count_events(tools, source):
    out = sh(tools.ctscan_cmd("query", "-q", "--format", "jsonl", source, "SELECT count(*) AS n FROM events"),
             capture_output=True, text=True).stdout
    return json.loads(out)["n"]


def trace_key(tools, lake):
    """The access key `trace` follows (TRACE_KEY_SQL on the lake's `sessions`)."""
    out = sh(tools.ctscan_cmd("query", "-q", "--format", "jsonl", lake, TRACE_KEY_SQL),
             capture_output=True, text=True).stdout
    if not out.strip():
        raise SystemExit(f"{lake}: no credential to trace")
    return json.loads(out)["k"]


def attribution_rows(tools, archive, lake, runs, plain=None, lake_count=None):
    """Building `sessions` against a plain eventTime, eventName scan, and `trace` against `count(*)` on the
    archive and on the lake; `plain` and `lake_count` are those counts when already measured."""
    key = trace_key(tools, lake)
    print(f"trace key: {key}", flush=True)
    sessions = timed(tools.ctscan_cmd("query", "-q", archive, SESSIONS_SQL), runs)
    time_name = timed(tools.ctscan_cmd("query", "-q", archive, TIME_NAME_SQL), runs)
    if plain is None:
        plain = timed(tools.ctscan_cmd("query", "-q", archive, COUNT_SQL), runs)
    trace = timed(tools.ctscan_cmd("trace", "-q", archive, key, "--format", "jsonl"), runs)
    if lake_count is None:
        lake_count = timed(tools.ctscan_cmd("query", "-q", lake, COUNT_SQL), runs)
    lake_trace = timed(tools.ctscan_cmd("trace", "-q", lake, key, "--format", "jsonl"), runs)
    return [
        Row("build sessions, raw archive vs a plain eventTime, eventName scan", sessions, time_name,
            Target(1.2, at_most=True)),
        Row("trace one key (jsonl), raw archive vs count(*)", trace, plain, cost=True),
        Row("trace one key (jsonl), lake vs count(*) on the lake", lake_trace, lake_count, cost=True),
    ]


def lake_for(tools, archive, lake):
    """The archive's lake, exported (untimed) when it is not there yet."""
    if not (lake / "_ctscan" / "manifest.jsonl").is_file():
        shutil.rmtree(lake, ignore_errors=True)
        sh(tools.ctscan_cmd("export", "-q", archive, "--out", lake))
    return lake


def bench_attribution(tools, shape, args):
    """Measures only the attribution rows of one shape, on its existing archive and lake."""
    print(f"## {shape.name}: attribution", flush=True)
    archive = archive_for(tools, shape, args.events)
    lake = lake_for(tools, archive, DATA / f"lake-{shape.name}-{args.events}")
    rows = []
    record(rows, attribution_rows(tools, archive, lake, args.runs))
    print()
    print(f"{shape.name}: {len(log_objects(archive))} log objects; {os.cpu_count()} cores")
    print_table(rows)
    print()


def hunt_output(tools, archive, out):
    """Runs the hunt once more into `out`; returns its number of findings (lines) and bytes."""
    with open(out, "wb") as f:
        timed(tools.hunt_cmd(archive), 1, stdout=f)
    with open(out, "rb") as f:
        findings = sum(1 for _ in f)
    return findings, out.stat().st_size


def partitions(tools, lake):
    """Days, day/account/region cells and events of the lake."""
    out = sh(tools.ctscan_cmd("query", "-q", "--format", "jsonl", lake,
                              "SELECT count(DISTINCT date_trunc('day', eventTime)) AS days, "
                              "count(DISTINCT concat(CAST(date_trunc('day', eventTime) AS VARCHAR), "
                              "recipientAccountId, awsRegion)) AS cells, count(*) AS n FROM events"),
             capture_output=True, text=True).stdout
    return json.loads(out)


def print_partitions(parts, lake):
    # Would account and region partitions pay? Count the folders and rows per folder each layout gives.
    files = sum(1 for _ in lake.rglob("*.parquet"))
    print(f"partitions: day only {parts['days']} folders, {files} files, {parts['n'] / files:.0f} rows per file; "
          f"day/account/region would be {parts['cells']} folders, at most {parts['n'] / parts['cells']:.0f} rows "
          f"per folder")


def cell(value, spec, unit=""):
    return "—" if value is None else f"{value:{spec}}{unit}"


def verdict(met):
    return "—" if met is None else ("yes" if met else "no")


def record(rows, new):
    """Prints each new row as soon as it is measured and adds it to `rows`."""
    for r in new:
        announce(r)
    rows.extend(new)


def announce(row):
    ref = row.reference
    line = f"{row.measure}: ctscan {row.ours.seconds:.2f} s {row.ours.rss_mib:.0f} MiB"
    if ref.seconds is not None:
        line += f", reference {ref.seconds:.2f} s"
        line += "" if ref.rss_mib is None else f" {ref.rss_mib:.0f} MiB"
        line += f", ratio {row.ratio:.2f}×"
    if row.met is not None:
        line += f" (target {row.target}: {'met' if row.met else 'missed'})"
    print(line, flush=True)


def print_table(rows):
    print("| measure | ctscan s | reference s | ratio | target | met? | ctscan peak RSS | reference peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        ref = r.reference
        print(f"| {r.measure} | {r.ours.seconds:.2f} | {cell(ref.seconds, '.2f')} | "
              f"{cell(r.ratio, '.2f', '×')} | {r.target or '—'} | {verdict(r.met)} | "
              f"{cell(r.ours.rss_mib, '.0f', ' MiB')} | {cell(ref.rss_mib, '.0f', ' MiB')} |")
    peak = max(rows, key=lambda r: r.ours.rss_mib)
    print(f"| peak RSS, every ctscan command (largest: {peak.measure}) | — | — | — | < {RSS_LIMIT_MIB} MiB | "
          f"{verdict(peak.ours.rss_mib < RSS_LIMIT_MIB)} | {peak.ours.rss_mib:.0f} MiB | — |")


TEST_KEYS = ROOT / "testdata" / "digest-test-key" / "list-public-keys.json"


def digest_archive_for(tools, shape, events):
    """The shape's archive with signed digest chains, generated on first use."""
    archive = DATA / f"archive-{shape.name}-{events}-digests"
    if not archive.is_dir():
        scratch = archive.with_name(archive.name + ".partial")
        shutil.rmtree(scratch, ignore_errors=True)
        sh([str(tools.gen), "--out", str(scratch), "--events", str(events), *shape.gen_args, "--digests"])
        scratch.rename(archive)
    return archive


def decode_bench(archive):
    """`cargo bench --bench decode` on the archive: its table's seconds by stage."""
    env = dict(os.environ, CARGO_TARGET_DIR=str(TARGET), CTSCAN_BENCH_ARCHIVE=str(archive))
    out = sh(["cargo", "bench", "--bench", "decode"], cwd=ROOT, env=env, capture_output=True, text=True).stdout
    print(out, flush=True)
    return {line.split("|")[1].strip(): float(line.split("|")[2]) for line in out.splitlines()
            if line.startswith("| ") and line.split("|")[2].strip().replace(".", "", 1).isdigit()}


def verify_rows(tools, shape, args):
    archive = digest_archive_for(tools, shape, args.events)
    ours = timed(tools.ctscan_cmd("verify", "-q", "--format", "jsonl", "--public-keys", TEST_KEYS, archive),
                 args.runs)
    ls = timed(tools.ctscan_cmd("ls", "-q", "--objects", "--format", "jsonl", archive), args.runs)
    inflate = decode_bench(archive).get("inflate alone, flate2 + zlib-rs")
    reference = NOT_MEASURED if inflate is None else Run(ls.seconds + inflate, None)
    return [
        Row("verify vs ls --objects + inflate (same files)", ours, reference, Target(1.3, at_most=True)),
        Row("verify vs ls --objects alone", ours, ls, cost=True),
    ]


def bench_verify(tools, shape, args):
    print(f"## {shape.name}: verify", flush=True)
    rows = []
    record(rows, verify_rows(tools, shape, args))
    print_table(rows)
    print()


def decoding_rows(tools, shape, args):
    """The shape's archive, its log objects and lake, the plain scan, and the decoding rows: the floor's stages,
    the scans, the selective query and export (which writes the lake the later rows read)."""
    archive = archive_for(tools, shape, args.events)
    objects = log_objects(archive)
    glob = log_glob(archive, objects)
    stem = f"{shape.name}-{args.events}"
    lake = DATA / f"lake-{stem}"
    floor = None if args.no_floor else floor_seconds(archive)
    plain = timed(tools.ctscan_cmd("query", "-q", archive, COUNT_SQL), args.runs)
    rows = []
    record(rows, [floor_row(plain, floor)])
    record(rows, scan_rows(tools, archive, glob, args.runs))
    record(rows, selective_rows(tools, archive, glob, len(objects), args.runs))
    record(rows, [export_row(tools, archive, glob, lake, DATA / f"duck-{stem}.parquet", args.runs)])
    return archive, objects, lake, plain, rows


def bench_shape(tools, shape, args):
    """Measures one shape and prints its partitions, summary and table."""
    print(f"## {shape.name}", flush=True)
    archive, objects, lake, plain, rows = decoding_rows(tools, shape, args)
    record(rows, lake_rows(tools, lake, shape.day, args.runs))
    record(rows, hunt_rows(tools, archive, lake, plain, args.runs))
    record(rows, trace_rows(tools, archive, lake, args.runs))
    record(rows, attribution_rows(tools, archive, lake, args.runs, plain=plain))
    record(rows, verify_rows(tools, shape, args))
    findings, hunt_bytes = hunt_output(tools, archive, DATA / f"hunt-{shape.name}-{args.events}.jsonl")

    parts = partitions(tools, lake)
    print_partitions(parts, lake)
    gz_bytes = sum(f.stat().st_size for f in objects)
    lake_bytes = sum(f.stat().st_size for f in lake.rglob("*.parquet"))
    print()
    print(f"{shape.name}: {len(objects)} log objects, {parts['n']} events, {gz_bytes / 1e6:.0f} MB gzip; "
          f"lake {lake_bytes / 1e6:.0f} MB; hunt output {findings} findings, {hunt_bytes / 1e6:.1f} MB of JSON "
          f"lines; {os.cpu_count()} cores; DuckDB {duck_version(tools)}")
    print_table(rows)
    print()


def bench_scan(tools, shape, args):
    """The decoding rows of one shape."""
    print(f"## {shape.name}: decoding", flush=True)
    _, objects, _, _, rows = decoding_rows(tools, shape, args)
    gz_bytes = sum(f.stat().st_size for f in objects)
    print()
    print(f"{shape.name}: {len(objects)} log objects, {gz_bytes / 1e6:.0f} MB gzip; {os.cpu_count()} cores; "
          f"DuckDB {duck_version(tools)}")
    print_table(rows)
    print()


def memory_growth(tools, sizes):
    """Hunts once over archives of each size, of the realistic shape and of the uniform shape over 28 days, and
    prints the peak RSS of each."""
    for shape in (REALISTIC, MONTH):
        print(f"## memory growth: hunt, built-in pack, {shape.name} archives", flush=True)
        runs = [(events, timed(tools.hunt_cmd(archive_for(tools, shape, events)), 1)) for events in sizes]
        print("| events | hunt s | hunt peak RSS | target | met? |")
        print("|---|---|---|---|---|")
        for events, run in runs:
            print(f"| {events:,} | {run.seconds:.2f} | {run.rss_mib:.0f} MiB | < {HUNT_RSS_LIMIT_MIB} MiB | "
                  f"{verdict(run.rss_mib < HUNT_RSS_LIMIT_MIB)} |")
        (small, first), (large, last) = runs[0], runs[-1]
        print(f"peak RSS {last.rss_mib / first.rss_mib:.2f}× for {large / small:.0f}× the events")
        print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000, help="events of each shape's archive")
    ap.add_argument("--runs", type=int, default=3, help="runs of each command (median reported)")
    ap.add_argument("--shape", choices=SHAPES, default="both", help="archive shape(s) to measure")
    ap.add_argument("--memory", action=argparse.BooleanOptionalAction, default=None,
                    help="hunt peak RSS at 1M and 4M realistic events (default: on when --shape has realistic)")
    ap.add_argument("--memory-events", type=int, nargs="+", default=list(MEMORY_EVENTS),
                    help="archive sizes of the memory growth runs")
    ap.add_argument("--hunt-only", action="store_true",
                    help="only the hunt rows, on the realistic archive and lake (no DuckDB, no floor)")
    ap.add_argument("--scan-only", action="store_true",
                    help="only the decoding rows (floor, scans, selective query, export) on each shape")
    ap.add_argument("--no-floor", action="store_true", help="skip `cargo bench --bench decode` (the floor)")
    ap.add_argument("--attribution-only", action="store_true",
                    help="only the attribution rows (sessions build, trace), on the existing archive and lake")
    ap.add_argument("--verify-only", action="store_true",
                    help="only the verify rows, on the shape's archive with digests (generated if missing)")
    args = ap.parse_args()
    shapes = SHAPES[args.shape]
    ctscan, gen = binaries()
    if args.verify_only:
        tools = Tools(ctscan, gen, Path(sys.executable))
        for shape in shapes:
            bench_verify(tools, shape, args)
        return
    if args.hunt_only:
        tools = Tools(ctscan, gen, Path(sys.executable))
        bench_hunt(tools, REALISTIC, args)
        if args.memory:
            memory_growth(tools, args.memory_events)
        return
    if args.attribution_only:
        # No DuckDB, floor or memory growth: nothing here needs them.
        tools = Tools(ctscan, gen, Path(sys.executable))
        for shape in shapes:
            bench_attribution(tools, shape, args)
        return
    tools = Tools(ctscan, gen, duck_python())
    if args.scan_only:
        for shape in shapes:
            bench_scan(tools, shape, args)
        return
    memory = REALISTIC in shapes if args.memory is None else args.memory
    for shape in shapes:
        bench_shape(tools, shape, args)
    if memory:
        memory_growth(tools, args.memory_events)


if __name__ == "__main__":
    main()
