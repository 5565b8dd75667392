"""OSCAL assessment results: AWS check runs and control reviews as observations and findings."""

from datetime import UTC, datetime, time

from connectors.api import failing_checks, latest_check_results
from controls.api import reviews_in_edition
from isms.api import get_organisation
from restapi.oscal_common import document_uuid, metadata, prop, props, prose, stable_uuid

REVIEW_STATES = {"effective": "satisfied", "needs_improvement": "not-satisfied",
                 "not_effective": "not-satisfied"}


def _at(day) -> str:
    return datetime.combine(day, time(12), tzinfo=UTC).isoformat(timespec="seconds")


def _check_observations(results) -> list[dict]:
    return [{"uuid": stable_uuid("check", r.run_id, r.connection, r.check_id),
             "title": f"{r.check_id} on {r.connection}",
             "description": prose(r.reason, f"The read-only check {r.check_id} ran on the "
                                            f"AWS connection {r.connection}."),
             "props": props(prop("verdict", r.verdict), prop("check-id", r.check_id),
                            prop("connection", r.connection)),
             "methods": ["TEST"], "types": ["control-objective"],
             "collected": r.at.isoformat(timespec="seconds")} for r in results]


def _review_observations(reviews) -> list[dict]:
    return [{"uuid": stable_uuid("review", r.id), "title": f"Review of {r.control_id}",
             "description": prose(r.notes, "A review of the control."),
             "props": props(prop("outcome", r.outcome), prop("reviewer", r.reviewer_name),
                            prop("control-id", r.control_id)),
             "methods": ["EXAMINE"], "collected": _at(r.reviewed_on)} for r in reviews]


def _findings(reviews, failing: dict) -> list[dict]:
    latest = {}
    for review in reviews:  # newest first: the first one per control counts
        latest.setdefault(review.control_id, review)
    findings = []
    for control_id in sorted(set(latest) | set(failing)):
        review, flags = latest.get(control_id), failing.get(control_id, [])
        satisfied = not flags and review is not None and review.outcome == "effective"
        related = [{"observation-uuid": stable_uuid("review", review.id)}] if review else []
        reasons = [f"{f.check_id} {f.verdict} on {f.connection}" for f in flags]
        if review:
            reasons.append(f"last review {review.reviewed_on}: {review.outcome}")
        findings.append({
            "uuid": stable_uuid("finding", control_id),
            "title": f"{control_id}: {'satisfied' if satisfied else 'not satisfied'}",
            "description": "; ".join(reasons).capitalize() + ".",
            "target": {"type": "objective-id", "target-id": control_id,
                       "status": {"state": "satisfied" if satisfied else "not-satisfied"}},
            **({"related-observations": related} if related else {})})
    return findings


def build_results(edition: str) -> dict:
    """The latest AWS check results and the reviews, with a finding per control they cover."""
    org = get_organisation()
    reviews, checks = reviews_in_edition(edition), latest_check_results()
    observations = _check_observations(checks) + _review_observations(reviews)
    moments = [r.at for r in checks] + [datetime.combine(r.reviewed_on, time(12), tzinfo=UTC)
                                        for r in reviews]
    result = {
        "uuid": document_uuid(), "title": "Control reviews and automated AWS checks",
        "description": f"Reviews recorded in isms and the latest read-only AWS checks of "
                       f"{org.name or 'the organisation'}.",
        "start": (min(moments) if moments else datetime.now(UTC)).isoformat(
            timespec="seconds"),
        "reviewed-controls": {"control-selections": [{"include-all": {}}]},
    }
    if observations:
        result["observations"] = observations
    findings = _findings(reviews, failing_checks(edition))
    if findings:
        result["findings"] = findings
    return {"assessment-results": {
        "uuid": document_uuid(),
        "metadata": metadata("Assessment results"),
        "import-ap": {"href": "assessment-plan.json"},
        "results": [result],
    }}
