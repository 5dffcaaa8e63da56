#!/usr/bin/env python3
"""ctscan against DuckDB on the same files, in one run.

Generates (once) a CloudTrail archive with the project's generator, installs DuckDB from PyPI into a virtual
environment if missing, then times, each at least 3 runs (median reported) with peak RSS:
  1. a full scan with a filter and a group-by: `ctscan query` vs DuckDB read_json + unnest(Records);
  2. conversion to Parquet: `ctscan export` vs DuckDB COPY ... TO (FORMAT parquet);
  3. three typical queries on Parquet: ctscan on its lake vs DuckDB on the same lake files;
and the floor (gunzip + JSON parsing on all cores, from `cargo bench --bench decode`).

Usage: python3 benches/compare_duckdb.py [--events 1000000] [--runs 3]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benches" / "data"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", str(Path.home() / ".cache" / "ctscan-release")))
VENV = Path.home() / ".cache" / "ctscan-venv"


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def build():
    env = dict(os.environ, CARGO_TARGET_DIR=str(TARGET))
    sh(["cargo", "build", "--release", "--bins"], cwd=ROOT, env=env)
    return TARGET / "release" / "ctscan", TARGET / "release" / "ctscan-gen"


def duck_python():
    py = VENV / "bin" / "python"
    if not py.exists():
        sh([sys.executable, "-m", "venv", str(VENV)])
    if subprocess.run([str(py), "-c", "import duckdb"], capture_output=True).returncode != 0:
        sh([str(py), "-m", "pip", "install", "--quiet", "duckdb"])
    return py


def timed(cmd, runs, env=None):
    """Median wall seconds and max peak RSS (MiB) over `runs` runs of a command."""
    times, rss = [], []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        times.append(time.perf_counter() - t)
        err = p.stderr.read().decode(errors="replace")
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{err}")
        rss.append(usage.ru_maxrss / 1024)
    return statistics.median(times), max(rss)


def duck(py, sql, runs, setup=""):
    script = f"import duckdb\ncon = duckdb.connect()\n{setup}\ncon.sql({sql!r}).fetchall()\n"
    return timed([str(py), "-c", script], runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    ctscan, gen = build()
    py = duck_python()
    archive = DATA / f"archive-{args.events}"
    if not (archive / "AWSLogs").is_dir():
        sh([str(gen), "--out", str(archive), "--events", str(args.events), "--per-file", "200",
            "--accounts", "10", "--regions", "4", "--days", "7", "--seed", "42"])
    files = sorted(archive.rglob("*.json.gz"))
    gz_bytes = sum(f.stat().st_size for f in files)
    glob = f"{archive}/AWSLogs/**/*.json.gz"
    rows = []

    def row(name, ours, theirs):
        rows.append((name, ours, theirs))
        print(f"{name}: ctscan {ours[0]:.2f}s {ours[1]:.0f} MiB, duckdb {theirs[0]:.2f}s {theirs[1]:.0f} MiB, "
              f"ratio {theirs[0] / ours[0]:.2f}x", flush=True)

    scan_sql = ("SELECT eventSource, count(*) AS n, count(DISTINCT userIdentity.arn) AS principals FROM events "
                "WHERE errorCode IS NOT NULL OR readOnly = false GROUP BY 1 ORDER BY 2 DESC")
    duck_scan = (f"SELECT r.eventSource, count(*) AS n, count(DISTINCT r.userIdentity.arn) AS principals FROM "
                 f"(SELECT unnest(Records) AS r FROM read_json('{glob}', format='auto')) "
                 f"WHERE r.errorCode IS NOT NULL OR r.readOnly = false GROUP BY 1 ORDER BY 2 DESC")
    row("scan: filter + group-by over .json.gz",
        timed([str(ctscan), "query", "-q", str(archive), scan_sql], args.runs),
        duck(py, duck_scan, args.runs))

    # The floor on the same files: gunzip + JSON parsing alone, on all cores.
    env = dict(os.environ, CARGO_TARGET_DIR=str(TARGET), CTSCAN_BENCH_ARCHIVE=str(archive))
    floor_out = subprocess.run(["cargo", "bench", "--bench", "decode"], cwd=ROOT, env=env, check=True,
                               capture_output=True, text=True).stdout
    print(floor_out, flush=True)
    floor = next(float(line.split("|")[2]) for line in floor_out.splitlines() if "(floor)" in line)

    lake = DATA / "lake"
    duck_lake = DATA / "duck.parquet"

    def export_once():
        shutil.rmtree(lake, ignore_errors=True)
        return [str(ctscan), "export", "-q", str(archive), "--out", str(lake)]

    times, rss = [], []
    for _ in range(args.runs):
        t, r = timed(export_once(), 1)
        times.append(t)
        rss.append(r)
    ours = (statistics.median(times), max(rss))
    copy = (f"COPY (SELECT unnest(Records, recursive := false) AS r FROM read_json('{glob}', format='auto')) "
            f"TO '{duck_lake}' (FORMAT parquet, COMPRESSION zstd)")
    row("export: archive to Parquet", ours, duck(py, copy, args.runs))

    lake_glob = f"{lake}/events/**/*.parquet"
    queries = [
        ("lake: one access key's activity",
         "SELECT eventTime, eventName, sourceIPAddress FROM events WHERE userIdentity.accessKeyId = 'AKIA{k}' ORDER BY eventTime",
         "SELECT eventTime, eventName, sourceIPAddress FROM read_parquet('{g}') WHERE userIdentity.accessKeyId = 'AKIA{k}' ORDER BY eventTime"),
        ("lake: top callers in one day",
         "SELECT userIdentity.arn AS arn, count(*) AS n FROM events WHERE eventTime >= '2026-03-03' AND eventTime < '2026-03-04' GROUP BY 1 ORDER BY 2 DESC LIMIT 20",
         "SELECT userIdentity.arn AS arn, count(*) AS n FROM read_parquet('{g}') WHERE eventTime >= TIMESTAMPTZ '2026-03-03 00:00:00+00' AND eventTime < TIMESTAMPTZ '2026-03-04 00:00:00+00' GROUP BY 1 ORDER BY 2 DESC LIMIT 20"),
        ("lake: errors by event name",
         "SELECT eventName, errorCode, count(*) AS n FROM events WHERE errorCode IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC",
         "SELECT eventName, errorCode, count(*) AS n FROM read_parquet('{g}') WHERE errorCode IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC"),
    ]
    key = subprocess.run([str(ctscan), "query", "--format", "jsonl", str(lake),
                          "SELECT userIdentity.accessKeyId AS k FROM events WHERE userIdentity.accessKeyId LIKE 'AKIA%' LIMIT 1"],
                         capture_output=True, text=True).stdout
    k = json.loads(key)["k"][4:] if key.strip() else "NONE"
    for name, ours_sql, duck_sql in queries:
        row(name,
            timed([str(ctscan), "query", "-q", str(lake), ours_sql.format(k=k)], args.runs),
            duck(py, duck_sql.format(g=lake_glob, k=k), args.runs))

    # Hunting: the whole built-in pack against a plain scan of the same archive, and on the lake.
    plain = timed([str(ctscan), "query", "-q", str(archive),
                   "SELECT count(*) FROM events WHERE eventName IS NOT NULL"], args.runs)
    hunt_raw = timed([str(ctscan), "hunt", "-q", "--format", "jsonl", str(archive)], args.runs)
    hunt_lake = timed([str(ctscan), "hunt", "-q", "--format", "jsonl", str(lake)], args.runs)
    all_cols = timed([str(ctscan), "query", "-q", str(archive),
                      "SELECT count(*) FROM events WHERE extras IS NULL OR extras IS NOT NULL"], args.runs)
    hunt_rows = [
        ("plain scan (eventName only)", plain),
        ("scan decoding every column", all_cols),
        ("hunt, built-in pack, raw archive", hunt_raw),
        ("hunt, built-in pack, lake", hunt_lake),
    ]
    for name, (t, r) in hunt_rows:
        print(f"{name}: {t:.2f}s {r:.0f} MiB", flush=True)

    lake_bytes = sum(f.stat().st_size for f in lake.rglob("*.parquet"))
    # Would account and region partitions pay? Count the folders and rows per folder each layout gives.
    parts = subprocess.run([str(ctscan), "query", "--format", "jsonl", str(lake),
                            "SELECT count(DISTINCT date_trunc('day', eventTime)) AS days, "
                            "count(DISTINCT concat(CAST(date_trunc('day', eventTime) AS VARCHAR), recipientAccountId, awsRegion)) AS cells, "
                            "count(*) AS n FROM events"], capture_output=True, text=True, check=True).stdout
    p = json.loads(parts)
    lake_files = len(list(lake.rglob("*.parquet")))
    print(f"partitions: day only {p['days']} folders, {lake_files} files, {p['n'] / lake_files:.0f} rows per file; "
          f"day/account/region would be {p['cells']} folders, at most {p['n'] / p['cells']:.0f} rows per folder")
    print()
    print(f"{len(files)} objects, {args.events} events, {gz_bytes / 1e6:.0f} MB gzip; lake {lake_bytes / 1e6:.0f} MB; "
          f"{os.cpu_count()} cores; DuckDB {subprocess.run([str(py), '-c', 'import duckdb; print(duckdb.__version__)'], capture_output=True, text=True).stdout.strip()}")
    print("| task | ctscan s | DuckDB s | DuckDB / ctscan | ctscan peak RSS | DuckDB peak RSS |")
    print("|---|---|---|---|---|---|")
    for name, ours, theirs in rows:
        print(f"| {name} | {ours[0]:.2f} | {theirs[0]:.2f} | {theirs[0] / ours[0]:.2f}x | {ours[1]:.0f} MiB | {theirs[1]:.0f} MiB |")
    print()
    print("| hunting | seconds | peak RSS |")
    print("|---|---|---|")
    for name, (t, r) in hunt_rows:
        print(f"| {name} | {t:.2f} | {r:.0f} MiB |")
    print(f"pack over every-column scan: +{(hunt_raw[0] / all_cols[0] - 1) * 100:.0f}%; "
          f"over the plain scan: +{(hunt_raw[0] / plain[0] - 1) * 100:.0f}%; "
          f"lake hunt {hunt_raw[0] / hunt_lake[0]:.1f}x faster than raw")
    print()
    print(f"floor (gunzip + simd-json tape, all cores, same files): {floor:.2f}s; "
          f"ctscan scan / floor = {rows[0][1][0] / floor:.2f}x")


if __name__ == "__main__":
    main()
