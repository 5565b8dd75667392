from datetime import date, timedelta

import pytest
from sqlalchemy import select

from controls.checks import (
    applicable_without_evidence,
    overdue_requests,
    risk_treatment_contradictions,
)
from controls.models import ControlState, EvidenceRequest, ImplementationStatus
from isms.auth.models import AuditorScope, Role
from isms.auth.services import create_user
from isms.checks import auditors_without_scope, run_checks
from isms.db import db
from management.checks import parent_clause_mismatch
from management.clauses import state_for_update
from management.models import ClauseStatus
from soa.checks import readiness_gaps, treatment_done_but_soa_not_ready
from tests.trust.helpers import DEMO_LEAD, sign_in

TODAY = date.today()


@pytest.fixture
def demo(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    return app


def _in_request(app, func):
    with app.test_request_context():
        return func(TODAY)


def test_the_demo_shows_the_soa_and_the_r001_contradictions_with_links(demo, client):
    sign_in(client, *DEMO_LEAD)
    page = client.get("/checks").get_data(as_text=True)
    assert "Clause 6.1.3 is done, but the SoA is not ready to issue" in page
    assert "R-001" in page and "Compromised AWS administrator credentials" in page
    assert 'href="/controls?status=undecided"' in page or 'href="/controls/' in page
    dashboard = client.get("/").get_data(as_text=True)
    assert "What doesn&#39;t add up" in dashboard or "What doesn't add up" in dashboard
    assert "R-001" in dashboard


def test_the_soa_check_names_what_keeps_the_soa_from_being_issued(app):
    with app.test_request_context():
        assert treatment_done_but_soa_not_ready(TODAY) == []  # 6.1.3 not done yet
        state_for_update("2013", "6.1.3").status = ClauseStatus.DONE
        db.session.flush()
        found = treatment_done_but_soa_not_ready(TODAY)
        assert len(found) == 1 and "undecided" in found[0].message
        assert found[0].url == "/controls?status=undecided"
        assert readiness_gaps("2013")["undecided"][0] == "A.5.1.1"


def test_a_parent_clause_done_before_its_children_is_reported(app):
    with app.test_request_context():
        assert parent_clause_mismatch(TODAY) == []
        state_for_update("2013", "9").status = ClauseStatus.DONE
        state_for_update("2013", "9.1").status = ClauseStatus.DONE
        db.session.flush()
        found = parent_clause_mismatch(TODAY)
        assert len(found) == 1 and found[0].message.startswith("Clause 9 is done while 9.2")
        assert found[0].url == "/isms/9"
        state_for_update("2013", "9").status = ClauseStatus.NOT_STARTED
        db.session.flush()
        assert "is not started while 9.1" in parent_clause_mismatch(TODAY)[0].message


def test_risk_contradictions_follow_the_treating_controls(demo):
    with demo.test_request_context():
        found = risk_treatment_contradictions(TODAY)
        r001 = [f for f in found if f.message.startswith("R-001")]
        assert r001
        for state in db.session.scalars(select(ControlState).where(
                ControlState.edition == "2013")):
            state.implementation_status = ImplementationStatus.IMPLEMENTED
        db.session.flush()
        left = [f for f in risk_treatment_contradictions(TODAY) if f.message.startswith("R-001")]
        assert all("not effective" in f.message for f in left)


def test_applicable_controls_without_evidence_are_listed(demo):
    found = _in_request(demo, applicable_without_evidence)
    assert found and all(f.url.startswith("/controls/") for f in found)


def test_overdue_requests_are_listed(app, make_user):
    auditor = make_user(Role.AUDITOR)
    with app.test_request_context():
        assert overdue_requests(TODAY) == []
        db.session.add(EvidenceRequest(edition="2013", control_id="A.5.1.1",
                                       auditor_id=auditor.id, description="Policy",
                                       due_on=TODAY - timedelta(days=1)))
        db.session.flush()
        found = overdue_requests(TODAY)
        assert len(found) == 1 and "A.5.1.1" in found[0].message


def test_an_auditor_with_an_open_window_and_no_scope_is_listed(app):
    with app.test_request_context():
        user = create_user("lost@example.com", Role.AUDITOR, "a long enough password",
                           actor="system:test", valid_from=TODAY, valid_until=TODAY,
                           today=TODAY)
        db.session.flush()
        assert [f.message for f in auditors_without_scope(TODAY)] == [
            f"lost@example.com's access is open until {TODAY} but they have no controls "
            "in scope."] or "no controls in scope" in auditors_without_scope(TODAY)[0].message
        db.session.add(AuditorScope(user_id=user.id, control_id="A.5.1.1"))
        db.session.flush()
        assert auditors_without_scope(TODAY) == []


def test_every_registered_check_runs(app):
    with app.test_request_context():
        ids = [r.check.id for r in run_checks(TODAY)]
    assert {"soa-ready", "clause-hierarchy", "risk-treatment", "evidence", "requests",
            "auditor-scope"} <= set(ids)
