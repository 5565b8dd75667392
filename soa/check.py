"""The gate before issuing: what stops the SoA from being a document one can certify on."""

import json
from dataclasses import dataclass

from soa.rows import SoaRow, soa_rows


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


def check_rows(rows: list[SoaRow]) -> Readiness:
    """Check rows already built (the page and the submission have them at hand)."""
    applicable = [r for r in rows if r.applicable == "Yes"]
    return Readiness(
        undecided=tuple(r.control_id for r in rows if not r.applicable),
        missing_reason=tuple(r.control_id for r in applicable if not r.reasons),
        missing_justification=tuple(r.control_id for r in rows
                                    if r.applicable and not r.justification.strip()),
        missing_status=tuple(r.control_id for r in applicable if not r.status))


def check_soa(edition: str) -> Readiness:
    """List the controls that stop the edition's SoA from being issued."""
    return check_rows(soa_rows(edition))
