"""The Statement of Applicability as data: one row per control, snapshots and their diff."""

from dataclasses import dataclass

from connectors.api import check_verdicts
from controls.api import Applicability, Responsibility, list_decisions
from evidence.api import current_evidence_labels, inherited_evidence
from isms.api import counterparts, get_edition

REASON_WORDS = {"legal": "Legal", "contractual": "Contractual", "business": "Business",
                "risk": "Risk"}
STATUS_WORDS = {"not_started": "Not started", "planned": "Planned", "partial": "Partial",
                "implemented": "Implemented"}
RESPONSIBILITY_WORDS = {"company": "Company", "aws": "AWS", "shared": "Shared"}
EVIDENCE_WORDS = {"current": "Current", "expiring": "Expiring", "expired": "Expired",
                  "none": "No evidence"}
# The decision columns a snapshot keeps and a diff compares.
DECISION_FIELDS = ("applicability", "reasons", "justification", "status", "responsibility",
                   "company_part", "aws_part", "risk_refs")


REASON_COLUMNS = (("legal", "Legal/regulatory"), ("contractual", "Contractual"),
                  ("business", "Business"), ("risk", "Risk treatment"))


def soa_header(edition: str) -> list[str]:
    """The SoA sheet's header row."""
    return ["ID", "Control", "Clause" if edition == "2013" else "Theme", "Source",
            "Applicable", "Inclusion reasons", *(label for _, label in REASON_COLUMNS),
            "Justification",
            "Implementation status", "Responsibility", "Company part", "AWS part",
            "Risk refs", "Owner", "Evidence", "Evidence status", "AWS checks", "Last review",
            "Next review"]


@dataclass(frozen=True)
class SoaRow:
    control_id: str
    group: str
    title: str
    source: str
    applicable: str
    reasons: str  # "Legal, Risk": what a snapshot keeps and the diff compares
    reason_flags: tuple[str, ...]  # "Yes" or "" per REASON_COLUMNS
    justification: str
    status: str
    responsibility: str
    company_part: str
    aws_part: str
    risk_refs: str
    owner: str
    evidence: str  # one `title (vN, YYYY-MM-DD)` per line
    evidence_status: str
    aws_checks: str  # "3 passing, 1 failing: iam-root-mfa (account 111111111111)", or ""
    last_review: object
    next_review: object

    def cells(self) -> list:
        return [self.control_id, self.title, self.group, self.source, self.applicable,
                self.reasons, *self.reason_flags, self.justification, self.status,
                self.responsibility, self.company_part, self.aws_part, self.risk_refs,
                self.owner, self.evidence, self.evidence_status, self.aws_checks,
                self.last_review, self.next_review]


EVIDENCE_LISTED = 25


def soa_rows(edition: str) -> list[SoaRow]:
    """Return one row per control of the edition, in catalog order (a fixed few queries)."""
    catalog = get_edition(edition)
    # A cell lists a control's first items by title: a spreadsheet cell holds at most 32,767
    # characters and a printed row 409 points; the Evidence sheet holds every version.
    evidence = current_evidence_labels(edition, limit=EVIDENCE_LISTED)
    checks = check_verdicts(edition)
    inherited = [f"{r.title} (inherited from AWS, valid until {r.valid_until:%Y-%m-%d})"
                 if r.valid_until else f"{r.title} (inherited from AWS)"
                 for r in inherited_evidence("aws") if r.status != "expired"]
    rows = []
    for d in list_decisions(edition):
        applicable = {Applicability.APPLICABLE: "Yes", Applicability.EXCLUDED: "No"}.get(
            d.applicability, "")
        chosen = {r.value for r in d.reasons}
        item = catalog.get(d.control_id)
        current = evidence.get(d.control_id)
        labels = list(current.labels) if current else []
        if current and current.total > len(current.labels):
            labels.append(f"... and {current.total - len(current.labels)} more "
                          "(see the Evidence sheet)")
        if d.responsibility in (Responsibility.AWS, Responsibility.SHARED):
            labels = labels + [t for t in inherited if t not in labels]
        rows.append(SoaRow(
            d.control_id, f"{d.group_id} {d.group_title}", d.title,
            item.source_label if item else "", applicable,
            ", ".join(REASON_WORDS[r.value] for r in d.reasons),
            tuple("Yes" if key in chosen else "" for key, _ in REASON_COLUMNS),
            d.justification,
            STATUS_WORDS.get(getattr(d.implementation_status, "value", ""), ""),
            RESPONSIBILITY_WORDS[d.responsibility.value], d.company_part, d.aws_part,
            d.risk_refs, d.owner_name, "\n".join(labels), EVIDENCE_WORDS[d.evidence],
            aws_checks_text(checks.get(d.control_id, [])), d.last_reviewed_on,
            d.next_review_on))
    return rows


CHECK_WORDS = (("pass", "passing"), ("fail", "failing"), ("error", "in error"),
               ("not_applicable", "not applicable"))
CHECK_RANK = {"error": 0, "fail": 1, "pass": 2, "not_applicable": 3}


def aws_checks_text(verdicts) -> str:
    """One control's AWS checks as a line: counts per verdict, then what fails and where.

    A check counts once, with its worst verdict over every connection and account (an
    organization's check passes only when all its accounts pass); "" when no check covers it.
    """
    worst: dict[str, str] = {}
    accounts: dict[str, set[str]] = {}
    for v in verdicts:
        if CHECK_RANK.get(v.verdict, 9) < CHECK_RANK.get(worst.get(v.check_id, ""), 9):
            worst[v.check_id] = v.verdict
        accounts.setdefault(v.check_id, set()).update(v.failing_accounts)
    if not worst:
        return ""
    counts = [f"{sum(w == key for w in worst.values())} {word}" for key, word in CHECK_WORDS
              if key in worst.values()]
    named = []
    for check_id in sorted(worst, key=lambda c: (worst[c] != "fail", c)):
        if worst[check_id] in ("fail", "error"):
            where = sorted(accounts[check_id])
            label = "account" if len(where) == 1 else "accounts"
            named.append(f"{check_id} ({'error, ' if worst[check_id] == 'error' else ''}"
                         f"{label} {', '.join(where)})")
    return ", ".join(counts) + (": " + "; ".join(named) if named else "")


def snapshot(edition: str, rows: list[SoaRow] | None = None) -> dict[str, dict]:
    """Freeze the decision columns of every control (JSON-ready)."""
    return {r.control_id: {
        "applicability": r.applicable, "reasons": r.reasons, "justification": r.justification,
        "status": r.status, "responsibility": r.responsibility,
        "company_part": r.company_part, "aws_part": r.aws_part, "risk_refs": r.risk_refs,
    } for r in (rows if rows is not None else soa_rows(edition))}


@dataclass(frozen=True)
class Change:
    control_id: str
    field: str
    before: str
    after: str


def diff(before: dict, after: dict) -> list[Change]:
    """List every decision that differs between two snapshots, control by control."""
    changes = []
    for control_id in sorted(set(before) | set(after), key=id_order):
        old, new = before.get(control_id, {}), after.get(control_id, {})
        for field in DECISION_FIELDS:
            if old.get(field, "") != new.get(field, ""):
                changes.append(Change(control_id, field, old.get(field, ""),
                                      new.get(field, "")))
    return changes


def id_order(control_id: str) -> tuple:
    """Sort key putting A.5.1.2 before A.5.10.1, as the standard lists them."""
    return tuple(int(p) for p in control_id.removeprefix("A.").split(".") if p.isdigit())


def mapping_rows(edition: str) -> list[list[str]]:
    """Each control of the edition with its counterparts in the other edition."""
    rows = []
    for item in get_edition(edition).items:
        others = counterparts(edition, item.control_id)
        rows.append([item.control_id, item.title, ", ".join(o.control_id for o in others),
                     "; ".join(o.title for o in others) if others else (
                         "New in 2022" if edition == "2022" else "")])
    return rows
