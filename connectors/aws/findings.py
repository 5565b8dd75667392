"""Findings from tools people already run: Prowler JSON-OCSF and Security Hub ASFF.

The file is streamed (ijson), never loaded whole. Findings are grouped per check and account
into one canonical JSON snapshot each (statuses counted as the tool wrote them, muted or
suppressed ones apart, failing resources listed), stored as the next version of that check's
evidence item unless the bytes are those of its latest version. Controls come from the finding's
own ISO 27001 mapping, else from the check-to-control table kept in data/check_controls.csv.
Findings are never deduplicated on their ids: tools sometimes leave them as placeholders.
"""

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources

from flask import current_app
from sqlalchemy import select

from connectors.aws.models import AwsFindingCheck
from evidence.api import store_file_evidence
from isms.api import db, get_edition, record_event

FORMATS = ("prowler-ocsf", "asff")
# Findings the collector reads from Security Hub itself: ASFF, kept apart from imported files.
COLLECTED = "securityhub"
ISO = re.compile(r"ISO\s?/?(?:IEC)?\s?27001\W*(2013|2022)\W+(?:Annex\s)?(A\.[\d.]+[A-Z]?)", re.I)
FAILED = {"prowler-ocsf": "FAIL", "asff": "FAILED", COLLECTED: "FAILED"}
PASSED = {"prowler-ocsf": "PASS", "asff": "PASSED", COLLECTED: "PASSED"}


class FindingsError(ValueError):
    """The file is not findings output of the named format; nothing was imported."""


@dataclass
class Group:
    title: str
    counts: dict = field(default_factory=dict)
    muted: dict = field(default_factory=dict)
    failing: set = field(default_factory=set)
    refs: set = field(default_factory=set)  # (edition, control id) named by the findings


@dataclass(frozen=True)
class ImportReport:
    findings: int
    checks: int
    versions_added: int
    unchanged: int
    unmapped: tuple[str, ...]


def import_findings(stream, fmt: str, owner_id: int, today: date,
                    actor: str) -> ImportReport:
    """Read a findings file and store one snapshot per check and account (caller commits)."""
    if fmt not in FORMATS:
        raise FindingsError(f"Unknown format {fmt!r}: use prowler-ocsf or asff.")
    groups, total = _read_groups(stream, fmt)
    added, unchanged, unmapped = store_groups(groups, fmt, owner_id, today, actor)
    report = ImportReport(total, len(groups), added, unchanged, unmapped)
    record_event("aws.findings_import", "aws_findings", fmt, actor=actor, after={
        "findings": total, "checks": len(groups), "versions_added": added})
    return report


def store_groups(groups: dict, source: str, owner_id: int, today: date,
                 actor: str) -> tuple[int, int, tuple[str, ...]]:
    """Store each (check, account) group; return (versions added, unchanged, unmapped checks)."""
    added = unchanged = 0
    unmapped = []
    for (check_id, account), group in sorted(groups.items()):
        refs = sorted(group.refs) or _table_refs(check_id)
        if not refs:
            unmapped.append(check_id)
        if _store(source, check_id, account, group, refs, owner_id, today, actor):
            added += 1
        else:
            unchanged += 1
    return added, unchanged, tuple(sorted(set(unmapped)))


def group_asff(findings, groups: dict | None = None) -> dict:
    """Add ASFF findings (dicts, as GetFindings returns them) to the groups per check, account."""
    groups = {} if groups is None else groups
    for finding in findings:
        row = _read_asff(finding)
        if row is not None:
            _add(groups, COLLECTED, *row)
    return groups


def groups_to_json(groups: dict) -> list:
    """The groups as plain JSON values (a job keeps them until its account is merged)."""
    return [{"check": check, "account": account, "title": g.title, "counts": g.counts,
             "muted": g.muted, "failing": sorted(g.failing), "refs": sorted(g.refs)}
            for (check, account), g in sorted(groups.items())]


def merge_json_groups(rows: list, groups: dict) -> dict:
    """Fold groups kept as JSON (one region's) into the groups of the whole account."""
    for row in rows:
        group = groups.setdefault((row["check"], row["account"]), Group(row["title"]))
        for mine, theirs in ((group.counts, row["counts"]), (group.muted, row["muted"])):
            for status, count in theirs.items():
                mine[status] = mine.get(status, 0) + count
        group.failing |= set(row["failing"])
        group.refs |= {tuple(ref) for ref in row["refs"]}
    return groups


def _read_groups(stream, fmt: str):
    import ijson

    head = stream.read(1)
    while head and head.isspace():
        head = stream.read(1)
    if head not in (b"[", b"{"):
        raise FindingsError(f"This is not {fmt} output: it is not a JSON array or object.")
    whole = io.BufferedReader(_Rejoined(head, stream), buffer_size=1 << 16)
    prefix = "item" if head == b"[" else "Findings.item"
    if fmt == "prowler-ocsf" and head != b"[":
        raise FindingsError("This is not Prowler JSON-OCSF output: it should be a JSON array "
                            "of findings.")
    groups: dict[tuple[str, str], Group] = {}
    total = 0
    try:
        for finding in ijson.items(whole, prefix, use_float=True):
            row = _read_ocsf(finding) if fmt == "prowler-ocsf" else _read_asff(finding)
            if row is None:
                raise FindingsError(_not_format(fmt, total + 1))
            _add(groups, fmt, *row)
            total += 1
    except ijson.JSONError as error:
        raise FindingsError(f"The file is not valid JSON: {error}") from error
    if total == 0:
        raise FindingsError(f"No findings in the file (expected {fmt} output).")
    return groups, total


def _not_format(fmt: str, number: int) -> str:
    expected = ("status_code, metadata.event_code and cloud.account.uid" if fmt == "prowler-ocsf"
                else "AwsAccountId and Compliance.Status")
    return f"This is not {fmt} output: finding {number} lacks {expected}."


class _Rejoined(io.RawIOBase):
    """The stream with the bytes already read put back in front."""

    def __init__(self, head: bytes, rest):
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.head or self.rest.read(len(buffer))
        self.head = b""
        buffer[:len(chunk)] = chunk
        return len(chunk)


def _read_ocsf(finding: dict):
    """Return (check, account, title, status, muted, resources, refs), or None if not OCSF."""
    if not isinstance(finding, dict):
        return None
    status = finding.get("status_code")
    check = (finding.get("metadata") or {}).get("event_code")
    account = ((finding.get("cloud") or {}).get("account") or {}).get("uid")
    if not (isinstance(status, str) and isinstance(check, str) and isinstance(account, str)):
        return None
    unmapped = finding.get("unmapped") or {}
    muted = finding.get("status") == "Suppressed" or unmapped.get("muted") is True
    resources = [r.get("uid") or r.get("name") for r in finding.get("resources") or []
                 if isinstance(r, dict)]
    refs = set()
    for framework, ids in (unmapped.get("compliance") or {}).items():
        edition = "2013" if "2013" in framework else "2022" if "2022" in framework else None
        if edition and framework.upper().startswith("ISO27001"):
            refs |= {(edition, i) for i in ids if isinstance(i, str)}
    title = (finding.get("finding_info") or {}).get("title") or check
    return check, account, title, status, muted, resources, refs


def _read_asff(finding: dict):
    """Return (check, account, title, status, muted, resources, refs), or None if not ASFF."""
    if not isinstance(finding, dict):
        return None
    compliance = finding.get("Compliance") or {}
    status, account = compliance.get("Status"), finding.get("AwsAccountId")
    if not (isinstance(status, str) and isinstance(account, str)):
        return None
    check = (compliance.get("SecurityControlId") or finding.get("GeneratorId")
             or finding.get("Title"))
    muted = (finding.get("Workflow") or {}).get("Status") == "SUPPRESSED"
    resources = [r.get("Id") for r in finding.get("Resources") or [] if isinstance(r, dict)]
    refs = set()
    for text in compliance.get("RelatedRequirements") or []:
        refs |= {(m.group(1), m.group(2)) for m in ISO.finditer(str(text))}
    return str(check), account, finding.get("Title") or str(check), status, muted, resources, refs


def _add(groups, fmt, check, account, title, status, muted, resources, refs) -> None:
    group = groups.setdefault((check[:256], account[:12]), Group(str(title)[:500]))
    counter = group.muted if muted else group.counts
    counter[status] = counter.get(status, 0) + 1
    if status == FAILED[fmt] and not muted:
        group.failing |= {str(r) for r in resources if r}
    group.refs |= _expand(refs)


def _expand(refs) -> set[tuple[str, str]]:
    """Known control ids as they are; an objective (A.9.2, or A.9.2.J) stands for its controls."""
    found = set()
    for edition, ref in refs:
        ref = re.sub(r"\.[A-Z]$", "", ref.strip())
        controls = _controls(edition)
        if ref in controls:
            found.add((edition, ref))
        else:
            found |= {(edition, c) for c in controls if c.startswith(ref + ".")}
    return found


@cache
def _controls(edition: str) -> frozenset[str]:
    return frozenset(get_edition(edition).by_id)


@cache
def _table() -> dict[str, list[tuple[str, str]]]:
    text = resources.files("connectors.aws").joinpath("data", "check_controls.csv").read_text(
        encoding="utf-8")
    table = {}
    for row in csv.DictReader(io.StringIO(text)):
        table[row["tool_check"]] = [("2013", c) for c in row["controls_2013"].split()] + [
            ("2022", c) for c in row["controls_2022"].split()]
    return table


def _table_refs(check_id: str) -> list[tuple[str, str]]:
    """The table's controls for a check id (Prowler's name, or Security Hub's control id)."""
    return _table().get(check_id.removeprefix("prowler-"), [])


def _verdict(fmt: str, group: Group) -> str:
    if group.counts.get(FAILED[fmt]):
        return "fail"
    if group.counts.get(PASSED[fmt]):
        return "pass"
    return (next(iter(sorted(group.counts)), "muted")).lower()


def _store(fmt, check_id, account, group, refs, owner_id, today, actor) -> bool:
    state = db.session.scalars(select(AwsFindingCheck).filter_by(
        source=fmt, check_id=check_id, account_id=account)).one_or_none()
    payload = (json.dumps({
        "source": fmt, "check": check_id, "title": group.title, "account": account,
        "statuses": dict(sorted(group.counts.items())),
        "muted": dict(sorted(group.muted.items())),
        "failing_resources": sorted(group.failing),
        "controls": sorted(f"{e}:{c}" for e, c in refs)},
        sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
    stored = store_file_evidence(
        state.evidence_item_id if state else None, payload,
        file_name=f"{re.sub(r'[^A-Za-z0-9._-]', '_', check_id)[:100]}.json",
        title=f"{'Prowler' if fmt == 'prowler-ocsf' else 'Security Hub'} {account}: "
              f"{group.title}"[:200],
        owner_id=owner_id, refs=refs, collected_on=today,
        valid_until=today + timedelta(days=current_app.config["ISMS_AWS_VALID_DAYS"]),
        description=(f"Read from Security Hub (active, failed findings) in AWS account "
                     f"{account}." if fmt == COLLECTED
                     else f"Imported from {fmt} findings for AWS account {account}."),
        tags=("aws", "findings"), audit_actor=actor, only_if_changed=True)
    if state is None:
        state = AwsFindingCheck(source=fmt, check_id=check_id, account_id=account)
        db.session.add(state)
    state.title, state.verdict = group.title, _verdict(fmt, group)
    state.evidence_item_id = stored.item_id
    db.session.flush()
    return stored.is_new
