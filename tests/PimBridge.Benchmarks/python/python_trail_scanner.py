#!/usr/bin/env python3
"""The baseline for the trail scanner benchmark: a straightforward Python scan of CloudTrail files.

Each file is opened with gzip.open (or open, when it is not gzip) and parsed whole with json.load; the records are
then matched with the same rule as PimBridge's TrailRecordFilter (the cheap pre-filter) and the gap rule (a watched
grant's permission set, user, account, and an event time after the grant's end). Standard library only.

Usage:
    python3 python_trail_scanner.py --watch watch.json [--cpu N] PATH [PATH ...]

PATH is a trail file or a folder (searched recursively for *.json.gz and *.json). watch.json is the watched set the C#
side uses too:

    {"grants": [{"userName": "...", "userId": "...", "permissionSet": "...", "accounts": ["..."],
                 "end": "2026-07-01T13:00:00Z"}, ...]}

Prints one JSON object: files, records, candidates (records the pre-filter accepts), matches (records at least one
watched grant's gap rule accepts), malformed, bytes (uncompressed JSON), seconds (the scan alone, not the start-up),
cpu_seconds (the CPU time the scan used) and peak_rss_bytes.

The rule, as TrailRecordFilter and the gap detector (GapWatchSet, GapAlert.Match) apply it:
  * Role sessions: userIdentity.type is AssumedRole (or absent, with an arn containing ':assumed-role/'). The role name
    is sessionContext.sessionIssuer.userName, else the last '/' segment of sessionIssuer.arn, else the role in the
    assumed-role arn; it matches ^AWSReservedSSO_(.+)_[0-9a-f]{16}$ and the permission set name (.+) is watched
    (exact); the session name (after the first ':' of principalId, else the last '/' segment of arn) is a watched user
    name (case-insensitive), or onBehalfOf.userId is a watched user id.
  * Console sign-ins: sts.amazonaws.com AssumeRoleWithSAML by any other identity type; the role is the last segment of
    requestParameters.roleArn, else the role in responseElements.assumedRoleUser.arn, else the last segment of the
    resources[] ARN of type AWS::IAM::Role; the session name is principalId after ':', else
    requestParameters.roleSessionName, else userIdentity.userName, else the last segment of the assumed-role arn.
  * sso.amazonaws.com GetRoleCredentials records (any other identity type): the same user test.
  * A candidate matches a grant when its permission set and user are the grant's, its account (recipientAccountId,
    else userIdentity.accountId, else the account of the first ARN it has) is one of the grant's, and eventTime is
    after the grant's end. A GetRoleCredentials call, whatever its identity type, is judged by
    serviceEventDetails.role_name and account_id, and by onBehalfOf.userId alone for the user; a sign-in by its
    session name alone.
  * A record without a string eventTime, eventSource or eventName, or with an eventID that is not a string, is
    malformed and never matches (a record without eventID gets a derived one in PimBridge).
"""

import argparse
import datetime
import gzip
import json
import os
import re
import resource
import sys
import time

ROLE = re.compile(r"AWSReservedSSO_(.+)_[0-9a-f]{16}", re.DOTALL)


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def fold(text):
    # .NET's OrdinalIgnoreCase compares upper-cased characters one by one; upper() is the closest stdlib match.
    return text.upper()


def load_watch(path):
    with open(path, encoding="utf-8") as f:
        grants = json.load(f)["grants"]
    watched = []
    for g in grants:
        watched.append({
            "name": fold(g["userName"]) if g.get("userName") else None,
            "id": g.get("userId") or None,
            "ps": g["permissionSet"],
            "accounts": set(g["accounts"]),
            "end": parse_time(g["end"]),
        })
    permission_sets = {g["ps"] for g in watched}
    names = {g["name"] for g in watched if g["name"]}
    ids = {g["id"] for g in watched if g["id"]}
    return watched, permission_sets, names, ids


def text(value):
    return value if isinstance(value, str) else None


def last_segment(arn):
    return arn[arn.rfind("/") + 1:] if arn is not None else None


def assumed_role_of(arn):
    if arn is None:
        return None
    at = arn.find(":assumed-role/")
    if at < 0:
        return None
    role = arn[at + len(":assumed-role/"):]
    slash = role.find("/")
    return role if slash < 0 else role[:slash]


def arn_account(*arns):
    for arn in arns:
        if arn is None:
            continue
        parts = arn.split(":")
        if len(parts) > 5 and parts[4].isdigit():
            return parts[4]
    return None


def session_name(identity, assumed_role, saml, request, assumed_arn):
    principal = text(identity.get("principalId"))
    if principal is not None:
        colon = principal.find(":")
        if colon >= 0:
            return principal[colon + 1:]
    arn = text(identity.get("arn"))
    if arn is not None and assumed_role:
        slash = arn.rfind("/")
        if slash >= 0:
            return arn[slash + 1:]
    if saml:
        if text(request.get("roleSessionName")) is not None:
            return request["roleSessionName"]
        if text(identity.get("userName")) is not None:
            return identity["userName"]
        if assumed_arn is not None and "/" in assumed_arn:
            return assumed_arn[assumed_arn.rfind("/") + 1:]
    return ""


def scan(paths, watch_path):
    watched, permission_sets, names, ids = load_watch(watch_path)
    files = []
    for path in paths:
        if os.path.isdir(path):
            for root, _, entries in os.walk(path):
                files.extend(os.path.join(root, e) for e in entries if e.endswith(".json.gz") or e.endswith(".json"))
        else:
            files.append(path)
    files.sort()

    records = candidates = matches = malformed = total_bytes = 0
    started = time.perf_counter()
    started_cpu = time.process_time()
    for path in files:
        with open(path, "rb") as probe:
            gz = probe.read(2) == b"\x1f\x8b"
        with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
            data = f.read()
        total_bytes += len(data)
        document = json.loads(data)
        for r in document.get("Records") or []:
            records += 1
            if not isinstance(r, dict):
                malformed += 1
                continue
            event_time = text(r.get("eventTime"))
            event_name = text(r.get("eventName"))
            event_source = text(r.get("eventSource"))
            event_id = r.get("eventID")
            if event_time is None or event_name is None or event_source is None or (event_id is not None and not isinstance(event_id, str)):
                malformed += 1
                continue
            identity = r.get("userIdentity")
            if not isinstance(identity, dict):
                identity = {}

            # The pre-filter (TrailRecordFilter).
            identity_type = identity.get("type")
            arn = text(identity.get("arn"))
            assumed_role = identity_type == "AssumedRole" if identity_type is not None else (arn is not None and ":assumed-role/" in arn)
            saml = not assumed_role and event_name == "AssumeRoleWithSAML" and event_source == "sts.amazonaws.com"
            request = r.get("requestParameters") if saml and isinstance(r.get("requestParameters"), dict) else {}
            response = r.get("responseElements") if saml and isinstance(r.get("responseElements"), dict) else {}
            assumed_user = response.get("assumedRoleUser") if isinstance(response.get("assumedRoleUser"), dict) else {}
            assumed_arn = text(assumed_user.get("arn"))
            issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
            issuer_arn = text(issuer.get("arn"))
            resource_arn = None
            if saml:
                for item in r.get("resources") or []:
                    if isinstance(item, dict) and item.get("type") == "AWS::IAM::Role" and text(item.get("ARN")) is not None:
                        resource_arn = item["ARN"]
            if assumed_role or saml:
                if assumed_role:
                    role = text(issuer.get("userName")) or last_segment(issuer_arn) or assumed_role_of(arn)
                else:
                    role = last_segment(text(request.get("roleArn"))) or assumed_role_of(assumed_arn) or last_segment(resource_arn)
                m = ROLE.fullmatch(role) if isinstance(role, str) else None
                if m is None or m.group(1) not in permission_sets:
                    continue
                ps = m.group(1)
            elif event_name == "GetRoleCredentials" and event_source == "sso.amazonaws.com":
                ps = None
            else:
                continue
            session = session_name(identity, assumed_role, saml, request, assumed_arn)
            folded = fold(session) if session else ""
            on_behalf_of = text((identity.get("onBehalfOf") or {}).get("userId")) or ""
            if not ((folded and folded in names) or (on_behalf_of and on_behalf_of in ids)):
                continue
            candidates += 1

            # The gap rule, per watched grant (GapAlert.Match: a credential call first, else a role session).
            when = parse_time(event_time)
            account = text(r.get("recipientAccountId")) or text(identity.get("accountId")) \
                or arn_account(arn, issuer_arn, text(request.get("roleArn")), assumed_arn, resource_arn)
            if event_name == "GetRoleCredentials" and event_source == "sso.amazonaws.com":
                details = r.get("serviceEventDetails")
                details = details if isinstance(details, dict) else {}
                role_name = text(details.get("role_name"))
                target = text(details.get("account_id"))
                hit = any(on_behalf_of and on_behalf_of == g["id"] and role_name == g["ps"]
                          and target in g["accounts"] and when > g["end"] for g in watched)
            elif saml:
                hit = any(g["ps"] == ps and folded and folded == g["name"]
                          and account in g["accounts"] and when > g["end"] for g in watched)
            else:
                hit = any(g["ps"] == ps and ((folded and folded == g["name"]) or (on_behalf_of and on_behalf_of == g["id"]))
                          and account in g["accounts"] and when > g["end"] for g in watched)
            if hit:
                matches += 1
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - started_cpu

    return {
        "files": len(files),
        "records": records,
        "candidates": candidates,
        "matches": matches,
        "malformed": malformed,
        "bytes": total_bytes,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "python": sys.version.split()[0],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--watch", required=True, help="the watched grants (JSON)")
    parser.add_argument("--cpu", type=int, help="pin the scan to this CPU")
    parser.add_argument("paths", nargs="+", help="trail files or folders")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    print(json.dumps(scan(args.paths, args.watch)))


if __name__ == "__main__":
    main()
