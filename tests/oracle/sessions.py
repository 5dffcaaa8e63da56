#!/usr/bin/env python3
"""Reference implementation of docs/attribution.md (the `sessions` table), used by tests as an oracle.

    python3 tests/oracle/sessions.py [--from RFC3339] [--to RFC3339] PATH...

Prints one JSON object per line, sorted by accessKeyId. Standard library only, Python 3.10+.

Readings chosen where docs/attribution.md leaves room (each is what an incident responder would want:
nothing invented, nothing silently dropped):

 1. Input. Files ending `.json.gz` or `.json` under the PATHs, in sorted path order; anything with a
    `CloudTrail-Digest` path component is skipped, and so is any file that does not decode to an object
    whose `Records` is a list (a warning goes to stderr). Non-object records are ignored. Records whose
    eventTime does not parse are ignored (counted on stderr): they cannot be placed in a window.
    A record with no eventID is deduplicated on its whole content.
 2. Windows. The window is [--from, --to); either bound may be missing (open). Issuing events are searched
    in [from - 36h, to) with --from, in (-inf, to) without it: an issuance after the window's end is never
    used, even without --from. The lookback is announced on stderr.
 3. Success = `errorCode` absent, null or "". An issuing event whose response carries no new key id
    (null or redacted responseElements) issues nothing. eventSource must match the table
    (sts / sso / iam.amazonaws.com).
 4. One issuance per new key. Among successful copies the one logged in the caller's account
    (recipientAccountId == userIdentity.accountId) wins, then the earliest eventTime, then the smallest
    eventID. The chosen copy is both `issuedByEventID` and the one walked. A key counts as ISSUED in the
    window when any successful copy lies in the window.
 5. Walk. A caller-key issuance (AssumeRole by a non-service, GetSessionToken, GetFederationToken,
    CreateAccessKey) continues through the caller's key whenever that key has an issuance in the searched
    range, whatever the caller's type, AWSAccount included (a role-account copy that only shows
    `AWSAccount` still leads on when the parent key's own issuance is known). Otherwise the caller's
    identity in the issuing event ends the walk: IAMUser/Root -> that user (hops +0 for AKIA, +1 for ASIA,
    i.e. the console sign-in / GetSessionToken that is not in the data); AWSAccount -> its accountId;
    AWSService -> its invokedBy; anything else (AssumedRole, FederatedUser, Unknown, ...) -> `unresolved`
    with the caller's ARN (principalId when there is no ARN). hops = 1 + hops of the parent.
    A CreateAccessKey key is attributed to the creator (the walk goes through it), not to the IAM user
    that owns the new key. A cycle in issuances (impossible in real data) stops the walk as if the
    repeated key had no issuance.
 6. Used-only credentials take their identity from their earliest call in the window. AWSAccount ->
    origin AWSAccount (accountId), hops 0; AWSService -> AWSService (invokedBy), hops 0; other types than
    IAMUser/Root/AssumedRole/FederatedUser -> `unresolved` like AssumedRole. Kind of a used-only key whose
    usage rules do not cover it (e.g. an ASIA key seen only as `AWSAccount`): "unknown".
 7. Role name for the `AWSReservedSSO_*` test: sessionContext.sessionIssuer.userName, else the role
    segment of the assumed-role ARN (anonymised data mangles the ARN but keeps sessionIssuer).
 8. originArn details. AWSService with no invokedBy: the event's sourceIPAddress. SAML/web identity: the
    two parts joined with ":", a missing part left empty. GetRoleCredentials (not given by the spec):
    `<onBehalfOf.identityStoreArn>:<onBehalfOf.userId>` when present, else userIdentity.userName, else
    principalId.
 9. roleArn: requestParameters.roleArn of the chosen issuance (AssumeRole*), else the
    sessionContext.sessionIssuer.arn of the key's earliest window call when it is an AssumedRole, else null.
    issuerAccessKeyId: the caller's key of a caller-key issuance, else null.
10. Usage columns count every call signed by the key in the window, failed calls included. `calls` counts
    distinct (eventID, recipientAccountId) pairs, so the two copies of a cross-account call count twice.
    sourceIPs keep every non-empty sourceIPAddress string verbatim (service names, anonymised values).
    Times are printed in UTC as YYYY-MM-DDTHH:MM:SSZ.
"""
import argparse
import gzip
import json
import os
import re
import sys
from datetime import datetime, timedelta, timezone

LOOKBACK = timedelta(hours=36)
STS, SSO, IAM = "sts.amazonaws.com", "sso.amazonaws.com", "iam.amazonaws.com"
CALLER_KEY_ISSUERS = {("GetSessionToken", STS): "session-token",
                      ("GetFederationToken", STS): "federation-token",
                      ("CreateAccessKey", IAM): "long-term-key"}
TIME_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


# ---------------------------------------------------------------- small helpers

def get(obj, *path):
    """obj[path[0]][path[1]]..., or None as soon as a step is missing or not an object."""
    for step in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(step)
    return obj


def parse_time(text):
    """RFC 3339 timestamp -> aware UTC datetime, or None."""
    m = TIME_RE.fullmatch(text) if isinstance(text, str) else None
    if not m:
        return None
    y, mo, d, h, mi, s, frac, tz = m.groups()
    offset = timedelta(0)
    if tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        offset = sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
    try:
        dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=timezone.utc)
    except ValueError:
        return None
    return dt - offset + timedelta(seconds=float(frac or 0))


def format_time(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


def in_range(t, lo, hi):
    return (lo is None or t >= lo) and (hi is None or t < hi)


def rfc3339_arg(text):
    t = parse_time(text)
    if t is None:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 timestamp: {text!r}")
    return t


# ---------------------------------------------------------------- reading

def log_files(paths):
    """Every candidate log file under the PATHs, sorted, digest folders excluded."""
    found = set()
    for path in paths:
        if os.path.isfile(path):
            found.add(path)
        for root, _dirs, files in os.walk(path):
            found.update(os.path.join(root, f) for f in files)
    return sorted(f for f in found
                  if f.endswith((".json.gz", ".json")) and "CloudTrail-Digest" not in f.split(os.sep))


def read_records(path):
    """The Records list of one CloudTrail log file, or None when the file is not one."""
    try:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError, EOFError) as err:
        print(f"warning: skipped {path}: {err}", file=sys.stderr)
        return None
    records = doc.get("Records") if isinstance(doc, dict) else None
    if not isinstance(records, list):
        print(f"warning: skipped {path}: not a CloudTrail log", file=sys.stderr)
        return None
    return [r for r in records if isinstance(r, dict)]


def load_events(paths):
    """Distinct events (by eventID, recipientAccountId) as (time, record) pairs, sorted by time."""
    events, untimed = {}, 0
    for path in log_files(paths):
        for rec in read_records(path) or []:
            t = parse_time(rec.get("eventTime"))
            if t is None:
                untimed += 1
                continue
            key = ((rec["eventID"], rec.get("recipientAccountId")) if rec.get("eventID")
                   else ("", json.dumps(rec, sort_keys=True)))
            events.setdefault(key, (t, rec))
    if untimed:
        print(f"warning: ignored {untimed} records without a valid eventTime", file=sys.stderr)
    return sorted(events.values(), key=lambda e: (e[0], e[1].get("eventID") or ""))


# ---------------------------------------------------------------- issuances

def service_name(rec):
    return get(rec, "userIdentity", "invokedBy") or rec.get("sourceIPAddress")


def issuance_of(t, rec):
    """The issuance an event performs, as a dict, or None when it issues nothing."""
    if rec.get("errorCode"):
        return None
    name, source = rec.get("eventName"), rec.get("eventSource")
    caller = rec.get("userIdentity") if isinstance(rec.get("userIdentity"), dict) else {}
    req, resp = rec.get("requestParameters"), rec.get("responseElements")
    new_key = get(resp, "credentials", "accessKeyId")
    out = {"time": t, "event": rec, "parent": None, "origin": None, "roleArn": get(req, "roleArn")}
    if (name, source) == ("AssumeRole", STS) and caller.get("type") == "AWSService":
        by = service_name(rec)
        out.update(kind="instance-role" if by == "ec2.amazonaws.com" else "service-issued",
                   origin=("AWSService", by))
    elif (name, source) == ("AssumeRole", STS):
        out.update(kind="role-session", parent=caller.get("accessKeyId") or None)
    elif (name, source) == ("AssumeRoleWithSAML", STS):
        principal = get(req, "principalArn") or ""
        sso = "saml-provider/AWSSSO_" in principal
        out.update(kind="sso-role-credentials" if sso else "role-session",
                   origin=("IdentityCenterUser" if sso else "SAMLUser",
                           f"{principal}:{get(resp, 'subject') or ''}"))
    elif (name, source) == ("AssumeRoleWithWebIdentity", STS):
        provider = get(resp, "provider") or caller.get("identityProvider") or ""
        subject = get(resp, "subjectFromWebIdentityToken") or caller.get("userName") or ""
        out.update(kind="role-session", origin=("WebIdentityUser", f"{provider}:{subject}"))
    elif (name, source) == ("GetRoleCredentials", SSO):
        new_key = get(resp, "roleCredentials", "accessKeyId")
        out.update(kind="sso-role-credentials", origin=("IdentityCenterUser", sso_user(caller)))
    elif (name, source) in CALLER_KEY_ISSUERS:
        if source == IAM:
            new_key = get(resp, "accessKey", "accessKeyId")
        out.update(kind=CALLER_KEY_ISSUERS[(name, source)], parent=caller.get("accessKeyId") or None)
    else:
        return None
    return dict(out, key=new_key) if new_key else None


def sso_user(caller):
    behalf = caller.get("onBehalfOf") if isinstance(caller.get("onBehalfOf"), dict) else {}
    if behalf.get("userId"):
        return f"{behalf.get('identityStoreArn') or ''}:{behalf['userId']}"
    return caller.get("userName") or caller.get("principalId")


def copy_rank(iss):
    """Sort key choosing among copies of one issuance: caller's account first, then earliest."""
    rec = iss["event"]
    in_caller_account = rec.get("recipientAccountId") == get(rec, "userIdentity", "accountId")
    return (not in_caller_account, iss["time"], rec.get("eventID") or "")


def collect_issuances(events, lo, hi):
    """{new key: chosen issuance} and the set of keys with a copy inside [lo, hi)."""
    copies = {}
    for t, rec in events:
        iss = issuance_of(t, rec)
        if iss:
            copies.setdefault(iss["key"], []).append(iss)
    chosen = {key: min(group, key=copy_rank) for key, group in copies.items()}
    in_window = {key for key, group in copies.items() if any(in_range(i["time"], lo, hi) for i in group)}
    return chosen, in_window


# ---------------------------------------------------------------- origins

def identity_arn(ident):
    return ident.get("arn") or ident.get("principalId")


def origin_without_issuance(key, ident):
    """(originType, originArn, hops) of a key nothing issued, from the identity that carried it."""
    kind = ident.get("type")
    if kind in ("IAMUser", "Root"):
        return kind, ident.get("arn"), 1 if (key or "").startswith("ASIA") else 0
    if kind == "AWSAccount":
        return "AWSAccount", ident.get("accountId"), 0
    if kind == "AWSService":
        return "AWSService", ident.get("invokedBy"), 0
    return "unresolved", identity_arn(ident), 0


def resolve(key, ident, issuances, seen=frozenset()):
    """(originType, originArn, hops) of `key`; `ident` is the identity seen carrying it."""
    iss = issuances.get(key)
    if iss is None or key in seen:
        return origin_without_issuance(key, ident)
    if iss["origin"]:
        return (*iss["origin"], 1)
    caller = iss["event"].get("userIdentity") or {}
    origin, arn, hops = resolve(iss["parent"], caller, issuances, seen | {key})
    return origin, arn, hops + 1


# ---------------------------------------------------------------- usage-based fields

def role_name(ident):
    name = get(ident, "sessionContext", "sessionIssuer", "userName")
    if name:
        return name
    m = re.search(r":assumed-role/([^/]+)", ident.get("arn") or "")
    return m.group(1) if m else ""


def usage_kind(key, ident):
    kind = ident.get("type")
    if key.startswith("AKIA"):
        return "long-term-key"
    if kind in ("IAMUser", "Root"):
        return "session-token"
    if kind == "FederatedUser":
        return "federation-token"
    if kind == "AssumedRole":
        if get(ident, "sessionContext", "ec2RoleDelivery"):
            return "instance-role"
        return "sso-role-credentials" if role_name(ident).startswith("AWSReservedSSO_") else "role-session"
    return "unknown"


def usage_role_arn(ident):
    return get(ident, "sessionContext", "sessionIssuer", "arn") if ident.get("type") == "AssumedRole" else None


# ---------------------------------------------------------------- the table

def session_row(key, calls, issuances):
    """One output object for `key`; `calls` are its (time, record) pairs in the window, in time order."""
    ident = (calls[0][1].get("userIdentity") or {}) if calls else {}
    iss = issuances.get(key)
    origin, arn, hops = resolve(key, ident, issuances)
    return {
        "accessKeyId": key,
        "kind": iss["kind"] if iss else usage_kind(key, ident),
        "originType": origin,
        "originArn": arn,
        "hops": hops,
        "issuerAccessKeyId": iss["parent"] if iss else None,
        "issuedByEventID": iss["event"].get("eventID") if iss else None,
        "roleArn": (iss and iss["roleArn"]) or usage_role_arn(ident),
        "calls": len(calls),
        "firstUsed": format_time(calls[0][0]) if calls else None,
        "lastUsed": format_time(calls[-1][0]) if calls else None,
        "accounts": sorted({r.get("recipientAccountId") for _, r in calls} - {None, ""}),
        "sourceIPs": sorted({r.get("sourceIPAddress") for _, r in calls} - {None, ""}),
    }


def sessions(paths, start=None, end=None):
    """The sessions table as a list of dicts sorted by accessKeyId."""
    events = load_events(paths)
    search_from = start - LOOKBACK if start else None
    searched = [e for e in events if in_range(e[0], search_from, end)]
    issuances, issued_in_window = collect_issuances(searched, start, end)
    used = {}
    for t, rec in searched:
        key = get(rec, "userIdentity", "accessKeyId")
        if key and in_range(t, start, end):
            used.setdefault(key, []).append((t, rec))
    keys = sorted(set(used) | issued_in_window)
    return [session_row(key, used.get(key, []), issuances) for key in keys]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="start", type=rfc3339_arg)
    parser.add_argument("--to", dest="end", type=rfc3339_arg)
    parser.add_argument("paths", nargs="+", metavar="PATH")
    args = parser.parse_args(argv)
    if args.start:
        print(f"issuing events searched from {format_time(args.start - LOOKBACK)} "
              f"(36h before --from)", file=sys.stderr)
    for row in sessions(args.paths, args.start, args.end):
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
