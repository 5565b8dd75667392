"""The SoA's consistency check: clause 6.1.3 done while the SoA is not ready to issue."""

from datetime import date

from flask import url_for

from controls.api import Applicability, list_decisions
from isms.api import Inconsistency, get_organisation, register_check
from management.api import clause_statuses

TREATMENT_CLAUSE = "6.1.3"


def readiness_gaps(edition: str) -> dict[str, list[str]]:
    """What keeps the SoA from being issued, by kind, with the control ids.

    A small local reading of the gate (undecided, missing reason, missing justification,
    missing status); the SoA gate function replaces it when it lands.
    """
    gaps = {"undecided": [], "no reason": [], "no justification": [], "no status": []}
    for d in list_decisions(edition):
        if d.applicability is None:
            gaps["undecided"].append(d.control_id)
        elif d.applicability is Applicability.APPLICABLE:
            if not d.reasons:
                gaps["no reason"].append(d.control_id)
            if d.implementation_status is None:
                gaps["no status"].append(d.control_id)
        elif not d.justification.strip():
            gaps["no justification"].append(d.control_id)
    return {kind: ids for kind, ids in gaps.items() if ids}


def treatment_done_but_soa_not_ready(today: date) -> list:
    """Clause 6.1.3 marked done while controls still lack what the SoA needs."""
    edition = get_organisation().edition
    # Both read every time, so the pages showing checks keep a flat query count.
    gaps, status = readiness_gaps(edition), clause_statuses(edition).get(TREATMENT_CLAUSE)
    if not gaps or status != "done":
        return []
    described = "; ".join(f"{len(ids)} {kind} ({', '.join(ids[:5])}"
                          f"{', ...' if len(ids) > 5 else ''})" for kind, ids in gaps.items())
    first = next(iter(gaps))
    target = (url_for("controls.index", status="undecided") if first == "undecided"
              else url_for("controls.detail", control_id=gaps[first][0]))
    return [Inconsistency(
        f"Clause {TREATMENT_CLAUSE} is done, but the SoA is not ready to issue: {described}.",
        target, "Complete the decisions")]


def register(app) -> None:
    register_check(app, "soa-ready", "Clause 6.1.3 done while the SoA is not ready",
                   treatment_done_but_soa_not_ready)
