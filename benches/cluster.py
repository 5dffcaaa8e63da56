#!/usr/bin/env python3
"""ctscan's hunt and export on a Ballista cluster (`--cluster df://HOST:PORT`) against the same runs without one.

On one archive (the --shape archive of --events events under benches/data, generated with ctscan-gen as
compare_duckdb.py does when missing) it times, --runs times each (median and best reported):
  `ctscan hunt ARCHIVE --format jsonl --threads 1 --stats`        (built-in pack; output to a file)
  `ctscan export ARCHIVE --out LAKE --threads 1 --stats`          (into a fresh lake each run, deleted after)
in three modes, each on one core per worker so that scaling is measured, not the machine's spare cores:
  local        no cluster, the run pinned to core 0 (`taskset -c 0`);
  1 executor   a scheduler and one executor pinned to core 0, with --task-slots 1 --threads 1;
  2 executors  the same with a second executor pinned to core 1;
where the cluster runs add `--cluster df://127.0.0.1:PORT --shared-fs` (every node runs on this machine). The
scheduler and the client are not pinned: they may share the cores. The nodes are `ctscan cluster scheduler`
and `ctscan cluster executor`, on free ports of 127.0.0.1, started before a mode's runs (scheduler first; each
node once its ports accept TCP, then 3 s for the executors to register) and stopped after them, whatever
happens.

Every cluster run is checked against the local one: the hunt's findings (lines, in any order) and exit code
must be the same, and the lake must hold as many events (`SELECT count(*) AS n FROM events` on it). A
difference is printed as MISMATCH at once and again at the end, and the script exits with 1.

It ends with the machine's cores, the archive's log objects, bytes and events, and a markdown table:
  measure | local s | 1 executor s | 2 executors s | 1 executor / local | 2 executors / 1 executor | tasks |
  plan bytes per task | bytes returned per 1M events
with the targets (one executor ≤ 1.3× local, two ≤ 0.6× one) met or not for each of hunt and export. The last
three columns come from the one-executor run's `--stats` line `cluster: N tasks, plan B bytes per task at
most, R bytes returned to the client` (summed over the run's cluster jobs; the plan is the largest a task
received: ctscan's operator and the task's share of the objects). It also gives each cluster mode's largest
executor peak RSS (VmHWM) over all its runs.

ctscan and ctscan-gen are taken from CTSCAN_BIN_DIR (default ~/.cache/ctscan-release/release); nothing is
built. --smoke runs the whole thing on a 20,000-event archive in a temporary folder, once, to check the script
quickly, e.g. with a debug build:
  CTSCAN_BIN_DIR=~/.cache/ctscan-target/debug python3 benches/cluster.py --smoke

Usage: python3 benches/cluster.py [--events 1000000] [--shape realistic|uniform] [--runs 3]
                                  [--what hunt,export] [--smoke]
"""

import argparse
import re
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_duckdb  # noqa: E402  (the archive shapes and their generation)

BIN_DIR = Path(os.environ.get("CTSCAN_BIN_DIR") or compare_duckdb.TARGET / "release")
SHAPES = {"realistic": compare_duckdb.REALISTIC, "uniform": compare_duckdb.UNIFORM}
MEASURES = ("hunt", "export")
COUNT_SQL = "SELECT count(*) AS n FROM events"
ONE_TARGET = 1.3  # one one-core executor / a local one-core run
TWO_TARGET = 0.6  # two one-core executors / one
# What a cluster run's `--stats` says it sent and got back (see `ctscan::cluster::traffic`).
TRAFFIC = re.compile(r"cluster: (\d+) tasks?, plan (\d+) bytes per task at most, (\d+) bytes returned to the client")
NODE_TIMEOUT_SECS = 60
REGISTRATION_SECS = 3
STOP_TIMEOUT_SECS = 10
SMOKE_EVENTS = 20_000


@dataclass(frozen=True)
class Mode:
    """Where the runs go: locally (no executors) or to a cluster of `executors` executors."""
    name: str
    executors: int

    def cores(self, i):
        """The core executor `i` (or, for the local mode, the run) is pinned to: one core each."""
        return str(i % (os.cpu_count() or 1))


LOCAL = Mode("local", 0)
ONE = Mode("1 executor", 1)
MODES = (LOCAL, ONE, Mode("2 executors", 2))


@dataclass(frozen=True)
class Timing:
    """Median and best wall seconds of a command's runs."""
    median: float
    best: float

    @staticmethod
    def of(seconds):
        return Timing(statistics.median(seconds), min(seconds))


class Failed(Exception):
    """A command or a node that failed; the message says which and holds its stderr."""


def tail(path, lines=20):
    text = Path(path).read_text(errors="replace").splitlines() if Path(path).exists() else []
    return "\n".join(text[-lines:])


def free_ports(n):
    """`n` distinct ports that were free on 127.0.0.1 (held together while they are picked)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_port(port, proc, what, log):
    """Waits until `port` on 127.0.0.1 accepts TCP; fails if `proc` exits first or it takes too long."""
    deadline = time.monotonic() + NODE_TIMEOUT_SECS
    while True:
        if proc.poll() is not None:
            raise Failed(f"{what} exited ({proc.returncode}) before port {port} accepted connections:\n{tail(log)}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise Failed(f"{what}: port {port} did not accept connections in {NODE_TIMEOUT_SECS} s:\n"
                             f"{tail(log)}")
            time.sleep(0.2)


class Cluster:
    """A scheduler and `mode.executors` executors of `ctscan cluster`, started on entry and stopped on exit."""

    def __init__(self, ctscan, mode, scratch):
        self.ctscan, self.mode = ctscan, mode
        self.dir = scratch / f"nodes-{mode.executors}"
        self.procs = []  # (what, process, log path)
        self.port = None

    @property
    def url(self):
        return f"df://127.0.0.1:{self.port}"

    def _start(self, what, args, log_name, pin=None):
        log = self.dir / log_name
        taskset = ["taskset", "-c", pin] if pin is not None else []
        with open(log, "wb") as f:
            proc = subprocess.Popen([*taskset, str(self.ctscan), "cluster", *map(str, args)],
                                    stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT)
        self.procs.append((what, proc, log))
        return proc, log

    def __enter__(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        try:
            ports = free_ports(1 + 2 * self.mode.executors)
            self.port = ports[0]
            proc, log = self._start("scheduler", ["scheduler", "--bind", f"127.0.0.1:{self.port}"], "scheduler.log")
            wait_port(self.port, proc, "scheduler", log)
            for i in range(self.mode.executors):
                flight, grpc = ports[1 + 2 * i], ports[2 + 2 * i]
                work = self.dir / f"executor-{i}"
                work.mkdir()
                what = f"executor {i} (Flight {flight}, gRPC {grpc})"
                proc, log = self._start(what, ["executor", "--scheduler", f"127.0.0.1:{self.port}",
                                               "--bind", f"127.0.0.1:{flight}", "--grpc-port", grpc,
                                               "--task-slots", 1, "--threads", 1,
                                               "--work-dir", work], f"executor-{i}.log",
                                        pin=self.mode.cores(i))
                wait_port(flight, proc, what, log)
                wait_port(grpc, proc, what, log)
            time.sleep(REGISTRATION_SECS)
            self.check_alive()
        except BaseException:
            self.stop()
            raise
        print(f"{self.mode.name}: scheduler on 127.0.0.1:{self.port}, {self.mode.executors} executor(s) with "
              f"--task-slots 1 --threads 1, each pinned to one core", flush=True)
        return self

    def peak_rss_mib(self):
        """The largest peak RSS (VmHWM) of this cluster's executors so far, MiB; None when unreadable."""
        peaks = []
        for what, proc, _ in self.procs:
            if not what.startswith("executor") or proc.poll() is not None:
                continue
            try:
                status = Path(f"/proc/{proc.pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks) if peaks else None

    def check_alive(self):
        for what, proc, log in self.procs:
            if proc.poll() is not None:
                raise Failed(f"{what} exited ({proc.returncode}):\n{tail(log)}")

    def logs(self):
        return "\n".join(f"--- {what} log (last lines):\n{tail(log)}" for what, _, log in self.procs)

    def stop(self):
        """Stops the nodes, executors first: SIGTERM, then SIGKILL for any still running after a while."""
        for _, proc, _ in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for _, proc, _ in reversed(self.procs):
            try:
                proc.wait(STOP_TIMEOUT_SECS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = []

    def __exit__(self, *exc):
        self.stop()


def run_timed(cmd, stdout=subprocess.DEVNULL):
    """Wall seconds, exit code and stderr of one run of `cmd`, which must exit with 0 or 1 (1: partial, some
    input had problems)."""
    cmd = [str(c) for c in cmd]
    with tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        code = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err).returncode
        seconds = time.perf_counter() - t
        err.seek(0)
        text = err.read().decode(errors="replace")
        if code not in (0, 1):
            raise Failed(f"failed ({code}): {' '.join(cmd)}\n{text[-4000:]}")
    return seconds, code, text


def count_events(ctscan, source):
    """`SELECT count(*) AS n FROM events` on a source, locally."""
    out = subprocess.run([str(ctscan), "query", "-q", "--format", "jsonl", str(source), COUNT_SQL],
                         capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout.strip():
        raise Failed(f"count on {source} failed ({out.returncode}):\n{out.stderr[-4000:]}")
    return json.loads(out.stdout)["n"]


class Bench:
    """The runs of every mode on one archive, with the local runs as the reference the others are held to."""

    def __init__(self, ctscan, archive, args, scratch):
        self.ctscan, self.archive, self.args, self.scratch = ctscan, archive, args, scratch
        self.results = {}  # (measure, mode name) -> Timing
        self.mismatches = []
        self.failures = []
        self.hunt_reference = None  # (sorted lines, exit code) of the first local hunt
        self.lake_reference = None  # events of the first local lake
        self.traffics = {}  # (measure, mode name) -> (tasks, plan bytes per task, bytes returned) of the last run
        self.peaks = {}  # mode name -> the largest executor peak RSS over the mode's runs, MiB

    def mismatch(self, text):
        print(f"\n!!! MISMATCH: {text}\n", flush=True)
        self.mismatches.append(text)

    def common(self, cluster):
        extra = ["--threads", 1, "--stats"]
        return extra + (["--cluster", cluster.url, "--shared-fs"] if cluster else [])

    def traffic(self, what, mode, stderr):
        """Keeps what the run's summary says the cluster jobs sent and returned, summed over its jobs."""
        found = [tuple(map(int, m.groups())) for m in TRAFFIC.finditer(stderr)]
        if mode != LOCAL and found:
            self.traffics[(what, mode.name)] = (sum(f[0] for f in found), max(f[1] for f in found),
                                                sum(f[2] for f in found))

    @staticmethod
    def pinned(mode, cmd):
        """The local run on one core; a cluster's client is left free (the issue allows it to share cores)."""
        return ["taskset", "-c", LOCAL.cores(0), *cmd] if mode == LOCAL else cmd

    def hunt(self, mode, cluster):
        seconds = []
        for i in range(self.args.runs):
            out = self.scratch / f"hunt-{mode.executors}-{i}.jsonl"
            with open(out, "wb") as f:
                s, code, err = run_timed(self.pinned(mode, [self.ctscan, "hunt", self.archive, "--format", "jsonl",
                                                            *self.common(cluster)]), stdout=f)
            seconds.append(s)
            self.traffic("hunt", mode, err)
            lines = sorted(out.read_text(errors="replace").splitlines())
            out.unlink()
            if self.hunt_reference is None and mode == LOCAL:
                self.hunt_reference = (lines, code)
                print(f"hunt: {len(lines)} findings locally (exit {code})", flush=True)
                continue
            if self.hunt_reference is None:
                self.mismatch(f"hunt, {mode.name}: no local hunt to compare with")
                continue
            ref, ref_code = self.hunt_reference
            if lines != ref:
                only_here, only_ref = set(lines) - set(ref), set(ref) - set(lines)
                example = next(iter(only_here or only_ref), "")[:300]
                self.mismatch(f"hunt, {mode.name}, run {i + 1}: {len(lines)} findings against {len(ref)} "
                              f"locally; {len(only_here)} lines only here, {len(only_ref)} only locally; "
                              f"e.g. {example}")
            if code != ref_code:
                self.mismatch(f"hunt, {mode.name}, run {i + 1}: exit {code}, locally {ref_code}")
        return Timing.of(seconds)

    def export(self, mode, cluster):
        seconds = []
        for i in range(self.args.runs):
            lake = self.scratch / f"lake-{mode.executors}-{i}"
            shutil.rmtree(lake, ignore_errors=True)
            try:
                s, _, err = run_timed(self.pinned(mode, [self.ctscan, "export", self.archive, "--out", lake,
                                                         *self.common(cluster)]))
                seconds.append(s)
                self.traffic("export", mode, err)
                events = count_events(self.ctscan, lake)
            finally:
                shutil.rmtree(lake, ignore_errors=True)
            if self.lake_reference is None and mode == LOCAL:
                self.lake_reference = events
                print(f"export: {events} events in the local lake", flush=True)
            elif self.lake_reference is None:
                self.mismatch(f"export, {mode.name}: no local lake to compare with")
            elif events != self.lake_reference:
                self.mismatch(f"export, {mode.name}, run {i + 1}: the lake holds {events} events, the local "
                              f"one {self.lake_reference}")
        return Timing.of(seconds)

    def measure(self, mode, cluster):
        for what in self.args.what:
            try:
                t = getattr(self, what)(mode, cluster)
            except Failed as e:
                logs = f"\n{cluster.logs()}" if cluster else ""
                print(f"\n!!! FAILED: {what}, {mode.name}: {e}{logs}\n", flush=True)
                self.failures.append(f"{what}, {mode.name}")
                continue
            self.results[(what, mode.name)] = t
            print(f"{what}, {mode.name}: median {t.median:.2f} s, best {t.best:.2f} s", flush=True)

    def run(self):
        for mode in MODES:
            print(f"## {mode.name}", flush=True)
            if mode.executors == 0:
                self.measure(mode, None)
                continue
            try:
                with Cluster(self.ctscan, mode, self.scratch) as cluster:
                    self.measure(mode, cluster)
                    self.peaks[mode.name] = cluster.peak_rss_mib()
            except Failed as e:
                print(f"\n!!! FAILED: cluster of {mode.name}: {e}\n", flush=True)
                self.failures.append(f"cluster of {mode.name}")

    def ratio(self, what, mode, base=LOCAL):
        ours, theirs = self.results.get((what, mode.name)), self.results.get((what, base.name))
        return None if ours is None or theirs is None else ours.median / theirs.median

    def print_table(self, events):
        names = [m.name for m in MODES]
        two = MODES[2]
        print(f"| measure | {' | '.join(f'{n} s' for n in names)} | {ONE.name} / local | {two.name} / {ONE.name} "
              f"| tasks | plan bytes per task | bytes returned per 1M events |")
        print("|---" * (1 + len(MODES) + 5) + "|")
        for what in self.args.what:
            secs = [self.results.get((what, n)) for n in names]
            cells = ["FAILED" if t is None else f"{t.median:.2f} (best {t.best:.2f})" for t in secs]
            ratios = [compare_duckdb.cell(self.ratio(what, ONE), ".2f", "×"),
                      compare_duckdb.cell(self.ratio(what, two, ONE), ".2f", "×")]
            traffic = self.traffics.get((what, ONE.name))
            sent = (["not reported"] * 3 if traffic is None else
                    [str(traffic[0]), f"{traffic[1]:,}", f"{traffic[2] * 1_000_000 / max(events, 1):,.0f}"])
            print(f"| {what} | {' | '.join(cells)} | {' | '.join(ratios)} | {' | '.join(sent)} |")
        verdicts = []
        for what in self.args.what:
            one, two_r = self.ratio(what, ONE), self.ratio(what, two, ONE)
            verdicts.append(f"{what}: one/local " + ("not measured" if one is None else
                            f"{one:.2f}× {'met' if one <= ONE_TARGET else 'MISSED'}") + ", two/one " +
                            ("not measured" if two_r is None else
                             f"{two_r:.2f}× {'met' if two_r <= TWO_TARGET else 'MISSED'}"))
        peaks = ", ".join(f"{name} {'unknown' if mib is None else f'{mib:,.0f} MiB'}"
                          for name, mib in self.peaks.items())
        print(f"executor peak RSS over all of a mode's runs: {peaks or 'not measured'}")
        print(f"targets: one one-core executor ≤ {ONE_TARGET:g}× a local one-core run; two ≤ {TWO_TARGET:g}× one: "
              f"{'; '.join(verdicts)}")


def archive_stats(ctscan, archive):
    objects = compare_duckdb.log_objects(archive)
    return len(objects), sum(f.stat().st_size for f in objects), count_events(ctscan, archive)


def binaries():
    """ctscan and ctscan-gen from BIN_DIR (never built here)."""
    found = BIN_DIR / "ctscan", BIN_DIR / "ctscan-gen"
    for path in found:
        if not path.is_file():
            raise SystemExit(f"{path}: no such binary (build it, or set CTSCAN_BIN_DIR to the folder holding it)")
    return found


def what_list(text):
    items = [w.strip() for w in text.split(",") if w.strip()]
    bad = [w for w in items if w not in MEASURES]
    if bad or not items:
        raise argparse.ArgumentTypeError(f"give a comma-separated list of {', '.join(MEASURES)}")
    return [w for w in MEASURES if w in items]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000, help="events of the archive")
    ap.add_argument("--shape", choices=SHAPES, default="realistic", help="archive shape (as compare_duckdb.py)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each command (median and best reported)")
    ap.add_argument("--what", type=what_list, default=list(MEASURES), help="hunt,export (default both)")
    ap.add_argument("--smoke", action="store_true",
                    help=f"a {SMOKE_EVENTS}-event archive in a temporary folder and 1 run: checks the script")
    args = ap.parse_args()
    if args.runs < 1:
        raise SystemExit("--runs must be at least 1")
    if (os.cpu_count() or 1) < 2 or shutil.which("taskset") is None:
        raise SystemExit("this benchmark pins two executors to two cores with taskset: it needs both")
    ctscan, gen = binaries()
    shape = SHAPES[args.shape]
    scratch = Path(tempfile.mkdtemp(prefix="ctscan-cluster-bench-"))
    try:
        if args.smoke:
            args.events, args.runs = SMOKE_EVENTS, 1
            archive = scratch / f"archive-{shape.name}-{args.events}"
            compare_duckdb.sh([str(gen), "--out", str(archive), "--events", str(args.events), *shape.gen_args],
                              stdout=subprocess.DEVNULL)
        else:
            tools = compare_duckdb.Tools(ctscan, gen, Path(sys.executable))
            archive = compare_duckdb.archive_for(tools, shape, args.events)
        objects, gz_bytes, events = archive_stats(ctscan, archive)
        print(f"ctscan {ctscan}; {os.cpu_count()} cores; every run and executor on one core; {args.runs} run(s) each")
        print(f"archive {archive}: {objects} log objects, {gz_bytes / 1e6:.1f} MB gzip, {events} events", flush=True)
        bench = Bench(ctscan, archive, args, scratch)
        bench.run()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print()
    print(f"{shape.name}, {events} events, {objects} log objects, {gz_bytes / 1e6:.1f} MB gzip; "
          f"{os.cpu_count()} cores; one core per run or executor; seconds: median of {args.runs} run(s)")
    bench.print_table(events)
    problems = [f"MISMATCH: {m}" for m in bench.mismatches] + [f"FAILED: {f}" for f in bench.failures]
    if problems:
        print()
        print("\n".join(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
