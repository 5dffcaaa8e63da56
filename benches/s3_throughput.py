#!/usr/bin/env python3
"""ctscan reading an archive from S3, next to the ceiling of the server itself and to local disk.

Serves one generated archive from moto (the S3-compatible server the tests use) on 127.0.0.1 and times,
each `--runs` times (median reported):
  1. the ceiling: a bare concurrent GET of every object (curl --parallel, same concurrency, no decoding);
  2. `ctscan ls --objects s3://...`: ctscan's fetch path alone (GET + SHA-256, no decompression);
  3. `ctscan query s3://...`: fetch, gunzip, JSON, Arrow and a filter + group-by, i.e. a full S3 scan;
  4. the same query on the same archive on local disk.
moto is slow (Python), so it sets the ceiling here; an S3 scan should reach at least 80% of it, meaning that
fetching, not decoding or scheduling, is what limits an S3 run.

Usage: python3 benches/s3_throughput.py [--objects 2000] [--per-file 100] [--concurrency 64] [--runs 3]
                                        [--bin target/release]   (directory holding the ctscan binary)
"""

import argparse
import gzip
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benches" / "data"
MOTO_VENV = Path.home() / ".cache" / "ctscan-moto"
BUCKET = "bench-archive"
SQL = ("SELECT eventSource, count(*) AS n, count(DISTINCT userIdentity.arn) AS principals FROM events "
       "WHERE errorCode IS NOT NULL OR readOnly = false GROUP BY 1 ORDER BY 2 DESC")


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def build(bin_dir):
    if bin_dir:
        return Path(bin_dir) / "ctscan"
    target = Path(os.environ.get("CARGO_TARGET_DIR", str(Path.home() / ".cache" / "ctscan-release")))
    sh(["cargo", "build", "--release", "--bin", "ctscan"], cwd=ROOT, env=dict(os.environ, CARGO_TARGET_DIR=str(target)))
    return target / "release" / "ctscan"


def moto_env():
    py = MOTO_VENV / "bin" / "python"
    if not py.exists():
        sh([sys.executable, "-m", "venv", str(MOTO_VENV)])
    if subprocess.run([str(py), "-c", "import moto, boto3, flask_cors"], capture_output=True).returncode != 0:
        sh([str(py), "-m", "pip", "install", "--quiet", "moto[s3,sts,iam,server]", "flask", "flask-cors"])
    return py, MOTO_VENV / "bin" / "moto_server"


def generate(out, objects, per_file):
    """A CloudTrail-like archive: 4 accounts x 2 regions x 7 days, `per_file` events per delivery."""
    rng = random.Random(42)
    names = ["GetObject", "PutObject", "AssumeRole", "DescribeInstances", "ConsoleLogin", "ListBuckets",
             "CreateUser", "GetCallerIdentity", "Decrypt", "RunInstances"]
    sources = ["s3.amazonaws.com", "sts.amazonaws.com", "ec2.amazonaws.com", "iam.amazonaws.com",
               "kms.amazonaws.com", "signin.amazonaws.com"]
    accounts = [f"{1000_0000_0000 + i * 1111_1111:012d}" for i in range(4)]
    regions = ["us-east-1", "eu-west-1"]
    for f in range(objects):
        account, region, day = accounts[f % 4], regions[(f // 4) % 2], 3 + (f // 8) % 7
        records = []
        for i in range(per_file):
            t = f"2026-03-{day:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"
            user = f"user{rng.randrange(50)}"
            records.append({
                "eventVersion": "1.09", "eventTime": t, "eventSource": rng.choice(sources),
                "eventName": rng.choice(names), "awsRegion": region,
                "sourceIPAddress": f"198.51.100.{rng.randrange(256)}", "userAgent": "aws-cli/2.15.0",
                "userIdentity": {"type": "IAMUser", "principalId": f"AIDA{user.upper()}",
                                 "arn": f"arn:aws:iam::{account}:user/{user}", "accountId": account,
                                 "accessKeyId": f"AKIA{rng.randrange(10**8):08d}", "userName": user},
                "requestParameters": {"bucketName": f"bucket-{rng.randrange(20)}", "key": f"k/{rng.randrange(10**6)}"},
                "responseElements": None, "requestID": f"{f}-{i}", "eventID": f"{f:06d}-{i:04d}",
                "readOnly": rng.random() < 0.7, "eventType": "AwsApiCall", "managementEvent": True,
                "recipientAccountId": account, "eventCategory": "Management",
                **({"errorCode": "AccessDenied", "errorMessage": "denied"} if rng.random() < 0.05 else {}),
            })
        path = out / f"AWSLogs/{account}/CloudTrail/{region}/2026/03/{day:02d}/{account}_CloudTrail_{region}_202603{day:02d}T0000Z_{f:06d}.json.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(json.dumps({"Records": records}).encode(), 6))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(server, port):
    p = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=2)
            return p
        except OSError:
            time.sleep(0.1)
    p.kill()
    raise SystemExit("moto did not start")


UPLOAD = r"""
import os, sys, boto3, concurrent.futures as cf
endpoint, bucket, root = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
s3.create_bucket(Bucket=bucket)
files = [os.path.join(d, n) for d, _, ns in os.walk(root) for n in ns]
def put(p):
    with open(p, "rb") as f:
        s3.put_object(Bucket=bucket, Key=os.path.relpath(p, root), Body=f.read())
with cf.ThreadPoolExecutor(16) as ex:
    list(ex.map(put, files))
"""


def timed(cmd, runs, env=None):
    """Median wall seconds over `runs` runs; the command must succeed."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        times.append(time.perf_counter() - t)
        if r.returncode != 0:
            raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{r.stderr.decode(errors='replace')}")
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=2000)
    ap.add_argument("--per-file", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bin", help="directory holding a built ctscan (default: cargo build --release)")
    args = ap.parse_args()
    ctscan = build(args.bin)
    py, server = moto_env()
    archive = DATA / f"s3-archive-{args.objects}x{args.per_file}"
    if not (archive / "AWSLogs").is_dir():
        shutil.rmtree(archive, ignore_errors=True)
        generate(archive, args.objects, args.per_file)
    files = sorted(archive.rglob("*.json.gz"))
    events = len(files) * args.per_file
    gz_bytes = sum(f.stat().st_size for f in files)

    port = free_port()
    moto = start_moto(server, port)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        sh([str(py), "-c", UPLOAD, endpoint, BUCKET, str(archive)])
        env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1",
                   AWS_EC2_METADATA_DISABLED="true")
        s3 = ["--endpoint-url", endpoint, "--concurrency", str(args.concurrency)]
        with tempfile.TemporaryDirectory() as tmp:
            urls = Path(tmp) / "urls.txt"
            urls.write_text("".join(
                f'url = "{endpoint}/{BUCKET}/{urllib.parse.quote(str(f.relative_to(archive)))}"\noutput = "/dev/null"\n'
                for f in files))
            # moto refuses anonymous GETs on a private bucket but does not check signatures.
            auth = "Authorization: AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
            ceiling = timed(["curl", "-sf", "--parallel", "--parallel-max", str(args.concurrency), "-H", auth,
                             "-K", str(urls)], args.runs)
        listing = timed([str(ctscan), "ls", "-q", f"s3://{BUCKET}/"] + s3, args.runs, env)
        fetch = timed([str(ctscan), "ls", "-q", "--objects", "--format", "csv", f"s3://{BUCKET}/"] + s3, args.runs, env)
        scan = timed([str(ctscan), "query", "-q", f"s3://{BUCKET}/", SQL] + s3, args.runs, env)
        local = timed([str(ctscan), "query", "-q", str(archive), SQL], args.runs)
    finally:
        moto.kill()
        moto.wait()

    n = len(files)
    print(f"{n} objects, {events} events, {gz_bytes / 1e6:.1f} MB gzip; {os.cpu_count()} cores; "
          f"--concurrency {args.concurrency}; moto on 127.0.0.1")
    print(f"listing alone (ctscan ls s3://, part of every ctscan run below): {listing:.2f} s")
    print("| run | seconds | objects/s | events/s | share of the ceiling | share, reading phase only |")
    print("|---|---|---|---|---|---|")
    for name, t in [("ceiling: bare concurrent GET (curl --parallel)", ceiling),
                    ("ctscan ls --objects s3:// (GET + SHA-256)", fetch),
                    ("ctscan query s3:// (full scan)", scan),
                    ("ctscan query, same archive on local disk", local)]:
        ours = "ctscan" in name and "local" not in name
        share = f"{ceiling / t * 100:.0f}%" if "local" not in name else "-"
        phase = f"{ceiling / max(t - listing, 1e-9) * 100:.0f}%" if ours else "-"
        print(f"| {name} | {t:.2f} | {n / t:.0f} | {events / t:.0f} | {share} | {phase} |")


if __name__ == "__main__":
    main()
