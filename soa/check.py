"""The gate before issuing: what stops the SoA from being a document one can certify on."""

import json
from dataclasses import dataclass

from controls.api import Applicability, list_decision_cores
from soa.rows import SoaRow


@dataclass(frozen=True)
class Readiness:
    undecided: tuple[str, ...]
    missing_reason: tuple[str, ...]
    missing_justification: tuple[str, ...]
    missing_status: tuple[str, ...]

    @property
    def ready(self) -> bool:
        return not (self.undecided or self.missing_reason or self.missing_justification
                    or self.missing_status)

    @property
    def blockers(self) -> list[tuple[str, tuple[str, ...]]]:
        """(what is wrong, the control ids) for each non-empty list, for people to read."""
        return [(label, ids) for label, ids in (
            ("Not decided yet", self.undecided),
            ("Applicable without a reason for inclusion", self.missing_reason),
            ("Without a justification", self.missing_justification),
            ("Applicable without an implementation status", self.missing_status)) if ids]

    def as_dict(self) -> dict:
        return {"ready": self.ready, "undecided": list(self.undecided),
                "missing_reason": list(self.missing_reason),
                "missing_justification": list(self.missing_justification),
                "missing_status": list(self.missing_status)}

    def to_json(self) -> str:
        return json.dumps(self.as_dict())


def _readiness(entries) -> Readiness:
    """The gate's one set of rules, over (control id, applicable: True, False or None when
    undecided, has a reason, justification, has a status) in catalog order."""
    entries = list(entries)
    applicable = [e for e in entries if e[1]]
    return Readiness(
        undecided=tuple(e[0] for e in entries if e[1] is None),
        missing_reason=tuple(e[0] for e in applicable if not e[2]),
        missing_justification=tuple(e[0] for e in entries
                                    if e[1] is not None and not e[3].strip()),
        missing_status=tuple(e[0] for e in applicable if not e[4]))


def check_rows(rows: list[SoaRow]) -> Readiness:
    """Check rows already built (the page and the submission have them at hand)."""
    return _readiness((r.control_id, {"Yes": True, "No": False}.get(r.applicable),
                       bool(r.reasons), r.justification, bool(r.status)) for r in rows)


def check_soa(edition: str) -> Readiness:
    """List the controls that stop the edition's SoA from being issued (decisions alone: no
    evidence, risk or review is read)."""
    return _readiness((d.control_id, None if d.applicability is None
                       else d.applicability is Applicability.APPLICABLE, bool(d.reasons),
                       d.justification, d.implementation_status is not None)
                      for d in list_decision_cores(edition))
