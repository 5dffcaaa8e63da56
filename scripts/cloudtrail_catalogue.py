#!/usr/bin/env python3
"""Generate data/cloudtrail-events.txt, the catalogue of CloudTrail event sources and event names that
`ctscan rules lint` checks rules against, from the AWS API models shipped in botocore.

Every operation of every service in botocore becomes an event name under the service's CloudTrail
`eventSource`, which is `<metadata.endpointPrefix>.amazonaws.com` except for the endpoint prefixes in
EVENT_SOURCES below. The hand-kept data/cloudtrail-events-extra.txt is merged in: event names CloudTrail
logs that are no API operation (`signin.amazonaws.com: ConsoleLogin`, ...), and `rename` lines for names
CloudTrail logs differently from the API (S3's sub-resources, Lambda's versioned names). A rename scoped to
a source (`rename s3.amazonaws.com: PutBucketLifecycleConfiguration -> PutBucketLifecycle`) also removes
the API name from that source, since CloudTrail never logs it there.

botocore is pinned (BOTOCORE_VERSION) so that a rerun writes the same file byte for byte:

    python3 -m venv ~/.cache/ctscan-botocore
    ~/.cache/ctscan-botocore/bin/pip install botocore==1.44.8
    ~/.cache/ctscan-botocore/bin/python scripts/cloudtrail_catalogue.py          # rewrite the catalogue
    ~/.cache/ctscan-botocore/bin/python scripts/cloudtrail_catalogue.py --check  # exit 1 if it is stale

To move to a newer botocore, install it, change BOTOCORE_VERSION and rerun.
"""

import argparse
import gzip
import json
import os
import sys
import textwrap

BOTOCORE_VERSION = "1.44.8"

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "data", "cloudtrail-events.txt")
EXTRA = os.path.join(ROOT, "data", "cloudtrail-events-extra.txt")
REGENERATE = "python3 scripts/cloudtrail_catalogue.py"

# Endpoint prefixes whose calls CloudTrail logs under another eventSource than
# `<endpointPrefix>.amazonaws.com`, each with the evidence (a CloudTrail record in the service's own
# guide unless said otherwise). Keyed by endpoint prefix, so every botocore service on that endpoint
# (ses, sesv2 and pinpoint-email all call email.<region>.amazonaws.com) follows.
EVENT_SOURCES = {
    # SES v1 and v2 (and the Pinpoint email API on the same endpoint): records such as GetSendQuota,
    # GetIdentityVerificationAttributes and GetAccountSendingEnabled carry ses.amazonaws.com.
    "email": ["ses.amazonaws.com"],
    # ECR's API host is api.ecr.<region>; its guide's CreateRepository and PutImage records say ecr.
    "api.ecr": ["ecr.amazonaws.com"],
    # ECR Public's guide: CreateRepository logged by ecr-public.amazonaws.com.
    "api.ecr-public": ["ecr-public.amazonaws.com"],
    # Detective's guide: AcceptInvitation logged by detective.amazonaws.com.
    "api.detective": ["detective.amazonaws.com"],
    # SageMaker's control plane (api.sagemaker): CreateTrainingJob, ListTags, ... by sagemaker.
    "api.sagemaker": ["sagemaker.amazonaws.com"],
    # SageMaker runtime: InvokeEndpoint records carry sagemaker.amazonaws.com.
    "runtime.sagemaker": ["sagemaker.amazonaws.com"],
    # SageMaker Feature Store guide: the PutRecord data event is logged by sagemaker.amazonaws.com.
    "featurestore-runtime.sagemaker": ["sagemaker.amazonaws.com"],
    # IAM Identity Center guide: access-portal calls (GetRoleCredentials, ListAccounts, ...) are logged
    # by sso.amazonaws.com although the portal API is portal.sso.<region>.
    "portal.sso": ["sso.amazonaws.com"],
    # IAM Identity Center guide: the OIDC CreateToken example carries sso.amazonaws.com (host oidc.*).
    "oidc": ["sso.amazonaws.com"],
    # Bedrock guide (its CloudTrail page covers the bedrock-runtime endpoint): InvokeModel, Converse, ...
    # are logged by bedrock.amazonaws.com.
    "bedrock-runtime": ["bedrock.amazonaws.com"],
    # Bedrock Agents and Knowledge Bases sign as bedrock and are covered by the same CloudTrail page;
    # their records (Retrieve, InvokeAgent, CreateAgent) carry bedrock.amazonaws.com.
    "bedrock-agent": ["bedrock.amazonaws.com"],
    "bedrock-agent-runtime": ["bedrock.amazonaws.com"],
    # Lex model building, V1 (models.lex: PutBot) and V2 (models-v2-lex: CreateBotAlias), both logged by
    # lex.amazonaws.com in the Lex guides.
    "models.lex": ["lex.amazonaws.com"],
    "models-v2-lex": ["lex.amazonaws.com"],
    # Aurora guide, RDS Data API: rdsdataapi.amazonaws.com for Serverless v2 and provisioned clusters
    # (data events), rdsdata.amazonaws.com for Serverless v1 (management events).
    "rds-data": ["rdsdata.amazonaws.com", "rdsdataapi.amazonaws.com"],
    # CloudHSM guide: the current (cloudhsmv2) API's CreateHsm with a clusterId is logged by
    # cloudhsm.amazonaws.com.
    "cloudhsmv2": ["cloudhsm.amazonaws.com"],
    # AppStream 2.0 guide: AssociateFleet logged by appstream.amazonaws.com (endpoint appstream2).
    "appstream2": ["appstream.amazonaws.com"],
    # MemoryDB guide: CreateCluster logged by memorydb.amazonaws.com (endpoint memory-db).
    "memory-db": ["memorydb.amazonaws.com"],
    # DynamoDB guide: the DynamoDB Streams GetRecords data event is logged by dynamodb.amazonaws.com.
    "streams.dynamodb": ["dynamodb.amazonaws.com"],
    # S3 Control signs as s3, and the S3 guide lists its account-level events
    # (Put/Get/DeleteAccountPublicAccessBlock) among the S3 events; they are logged by s3.amazonaws.com.
    # (The extra file keeps the older s3-control.amazonaws.com entries.)
    "s3-control": ["s3.amazonaws.com"],
    # Payment Cryptography guide: CreateKey, ImportKey, ... logged by payment-cryptography.amazonaws.com
    # (control-plane endpoint controlplane.payment-cryptography).
    "controlplane.payment-cryptography": ["payment-cryptography.amazonaws.com"],
    # Chime SDK guide: the identity API's AppInstanceUser events are logged by chime.amazonaws.com.
    "identity-chime": ["chime.amazonaws.com"],
}

WIDTH = 110


def fail(msg):
    sys.stderr.write(f"cloudtrail_catalogue: {msg}\n")
    sys.exit(2)


def load_botocore(data_dir=None):
    """(version, {service: (endpointPrefix, [operation names])}) from the newest API version of each
    service in botocore's data directory."""
    try:
        import botocore
    except ImportError:
        fail(
            f"botocore is not importable; install it: pip install botocore=={BOTOCORE_VERSION} "
            "(in a venv of your own) and run this script with that venv's python"
        )
    version = botocore.__version__
    if version != BOTOCORE_VERSION:
        fail(
            f"botocore {version} is installed but this script is pinned to {BOTOCORE_VERSION}: install "
            f"botocore=={BOTOCORE_VERSION}, or change BOTOCORE_VERSION to regenerate from {version}"
        )
    data_dir = data_dir or os.path.join(os.path.dirname(botocore.__file__), "data")
    services = {}
    for service in sorted(os.listdir(data_dir)):
        path = os.path.join(data_dir, service)
        if not os.path.isdir(path):
            continue
        model = None
        for api_version in sorted(os.listdir(path), reverse=True):
            for name in ("service-2.json", "service-2.json.gz"):
                f = os.path.join(path, api_version, name)
                if os.path.exists(f):
                    opener = gzip.open if f.endswith(".gz") else open
                    with opener(f, "rt", encoding="utf-8") as fh:
                        model = json.load(fh)
                    break
            if model is not None:
                break
        if model is None:
            continue
        prefix = model["metadata"].get("endpointPrefix")
        if not prefix:
            fail(f"{service}: no metadata.endpointPrefix")
        services[service] = (prefix, sorted(model["operations"]))
    return version, services


def event_sources(prefix):
    return EVENT_SOURCES.get(prefix, [f"{prefix}.amazonaws.com"])


def parse_catalogue(text):
    """({source: [names]}, [(scope or None, wrong, logged)]) from catalogue-format text, read the way
    src/sigma/catalogue.rs reads it, plus scoped renames."""
    names, renames = {}, []
    current = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("rename "):
            rest = line[len("rename ") :]
            scope = None
            head, sep, tail = rest.partition(":")
            if sep and "." in head and " " not in head.strip() and "->" not in head:
                scope, rest = head.strip().lower(), tail
            wrong, arrow, logged = rest.partition("->")
            if not arrow:
                fail(f"bad rename line: {raw!r}")
            renames.append((scope, wrong.strip(), logged.strip()))
            continue
        head, sep, tail = line.partition(":")
        if sep and "." in head and " " not in head:
            current = head.strip().lower()
            line = tail
        if current is None:
            fail(f"names before any event source: {raw!r}")
        names.setdefault(current, []).extend(line.split())
    return names, renames


def build(services, extra_text):
    """The catalogue: {source: sorted names} and the rename lines."""
    catalogue = {}
    for _service, (prefix, ops) in services.items():
        for source in event_sources(prefix):
            catalogue.setdefault(source, {}).update((op.lower(), op) for op in ops)
    extra, renames = parse_catalogue(extra_text)
    for scope, wrong, _logged in renames:
        if scope is not None:
            catalogue.get(scope, {}).pop(wrong.lower(), None)
    for source, names in extra.items():
        have = catalogue.setdefault(source, {})
        for name in names:
            have.setdefault(name.lower(), name)
    sources = {s: sorted(n.values(), key=lambda x: (x.lower(), x)) for s, n in catalogue.items()}
    lines = sorted({(w, l) for _s, w, l in renames}, key=lambda r: (r[0].lower(), r[0], r[1]))
    return sources, lines


def render(version, services, sources, renames):
    n_ops = sum(len(ops) for _prefix, ops in services.values())
    n_names = sum(len(v) for v in sources.values())
    about = (
        f"Generated by `{REGENERATE}` (with botocore=={version} installed) from the API models of botocore: "
        "every operation of every "
        f"service ({len(services)} services, {n_ops} operations), keyed by its CloudTrail eventSource, merged "
        "with data/cloudtrail-events-extra.txt (event names that are no API operation, and the renames): "
        f"{len(sources)} event sources, {n_names} event names. Do not edit this file: edit the extra file or "
        "the script, and rerun it."
    )
    fmt = (
        "Format: `<eventSource>: Name Name ...`, continued on following lines until the next source; `#` "
        "starts a comment; `rename Wrong -> Logged` records an action or API name that CloudTrail logs under "
        "another name."
    )
    out = ["# CloudTrail event names by event source, for `ctscan rules lint`.", "#"]
    out += textwrap.wrap(about, WIDTH, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False)
    out.append("#")
    out += textwrap.wrap(fmt, WIDTH, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False)
    out.append("")
    out += [f"rename {w} -> {l}" for w, l in renames]
    out.append("")
    for source in sorted(sources):
        line = f"{source}:"
        for name in sources[source]:
            if len(line) + 1 + len(name) > WIDTH and line.strip() and not line.endswith(":"):
                out.append(line)
                line = " "
            line += " " + name
        out.append(line)
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=OUT, help="catalogue to write (default: data/cloudtrail-events.txt)")
    ap.add_argument("--extra", default=EXTRA, help="hand-kept extras (default: data/cloudtrail-events-extra.txt)")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if --out differs")
    args = ap.parse_args()
    version, services = load_botocore()
    with open(args.extra, encoding="utf-8") as fh:
        extra_text = fh.read()
    sources, renames = build(services, extra_text)
    text = render(version, services, sources, renames)
    if args.check:
        try:
            with open(args.out, encoding="utf-8") as fh:
                current = fh.read()
        except FileNotFoundError:
            current = None
        if current != text:
            sys.stderr.write(f"{args.out} is not what `{REGENERATE}` writes; rerun it\n")
            sys.exit(1)
        return
    with open(args.out, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    n = sum(len(v) for v in sources.values())
    sys.stderr.write(
        f"wrote {args.out}: botocore {version}, {len(services)} services, {len(sources)} event sources, {n} names\n"
    )


if __name__ == "__main__":
    main()
