"""The overdue and evidence-expiry jobs audit each change of state once."""

from datetime import timedelta

from sqlalchemy import select

from isms.audit import AuditEvent
from isms.auth.models import Role
from isms.db import db, utcnow
from tests.evidence_helpers import TODAY, own, upload_form


def _actions(app, prefix: str) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.action, e.object_id) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like(prefix + "%"))
            .order_by(AuditEvent.seq))]


def test_overdue_reviews_and_follow_ups_are_audited_once(app, client, login_as, runner):
    lead = login_as(Role.LEAD)
    client.post("/controls/A.9.1.1/edit", data={
        "applicability": "applicable", "reasons": ["risk"], "responsibility": "company",
        "implementation_status": "partial", "review_cadence": "monthly",
        "first_review_on": (TODAY - timedelta(days=3)).isoformat()})
    client.post("/controls/A.9.1.2/reviews/new", data={
        "reviewed_on": TODAY.isoformat(), "outcome": "effective", "notes": "ok",
        "follow_ups-0-title": "Late action", "follow_ups-0-owner_id": str(lead.id),
        "follow_ups-0-due_on": (TODAY - timedelta(days=1)).isoformat()})
    for _ in range(2):
        assert runner.invoke(args=["jobs", "run", "overdue"]).exit_code == 0
    overdue = _actions(app, "review.overdue") + _actions(app, "followup.overdue")
    assert [a for a, _ in overdue] == ["review.overdue", "followup.overdue"]
    assert overdue[0][1] == "2013:A.9.1.1"


def test_evidence_is_audited_once_as_it_starts_expiring_and_once_as_it_expires(
        app, client, login_as, runner):
    own(app, login_as(Role.OWNER))
    client.post("/evidence/new", data=upload_form(
        valid_until=(TODAY + timedelta(days=5)).isoformat()), content_type="multipart/form-data")
    for _ in range(2):
        runner.invoke(args=["jobs", "run", "evidence-expiry"])
    later = (utcnow() + timedelta(days=7)).isoformat()
    for _ in range(2):
        runner.invoke(args=["jobs", "run", "evidence-expiry", "--now", later])
    assert [a for a, _ in _actions(app, "evidence.expir")] == ["evidence.expiring",
                                                               "evidence.expired"]
