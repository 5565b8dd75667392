"""The SoA's consistency check: clause 6.1.3 done while the SoA is not ready to issue."""

from datetime import date

from flask import url_for

from isms.api import Inconsistency, get_organisation, register_check
from management.api import clause_statuses
from soa.check import check_soa

TREATMENT_CLAUSE = "6.1.3"


def readiness_gaps(edition: str) -> dict[str, list[str]]:
    """What keeps the SoA from being issued, by kind (the gate's keys), with the control ids."""
    readiness = check_soa(edition).as_dict()
    return {kind: ids for kind, ids in readiness.items() if kind != "ready" and ids}


GAP_WORDS = {"undecided": "undecided", "missing_reason": "without a reason for inclusion",
             "missing_justification": "without a justification",
             "missing_status": "without an implementation status"}


def treatment_done_but_soa_not_ready(today: date) -> list:
    """Clause 6.1.3 marked done while controls still lack what the SoA needs."""
    edition = get_organisation().edition
    # Both read every time, so the pages showing checks keep a flat query count.
    gaps, status = readiness_gaps(edition), clause_statuses(edition).get(TREATMENT_CLAUSE)
    if not gaps or status != "done":
        return []
    described = "; ".join(f"{len(ids)} {GAP_WORDS[kind]} ({', '.join(ids[:5])}"
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
