"""Moving from 2013 to 2022 keeps every decision, evidence link and risk reference."""

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from controls.models import ControlState
from evidence.models import EvidenceLink
from isms.auth.models import Role
from isms.db import db
from isms.org import Organisation
from tests.evidence_helpers import upload_form

BASE = {"responsibility": "company", "review_cadence": "none", "reasons": ["business"]}
NEW_IN_2022 = ["A.5.7", "A.5.23", "A.5.30", "A.7.4", "A.8.9", "A.8.10", "A.8.11", "A.8.12",
               "A.8.16", "A.8.23", "A.8.28"]


def _state(app, edition, control_id) -> ControlState:
    with app.app_context():
        state = db.session.scalars(select(ControlState).filter_by(
            edition=edition, control_id=control_id)).one()
        db.session.expunge(state)
        return state


def test_a_dry_run_lists_the_new_controls_and_changes_nothing(app, runner):
    result = runner.invoke(args=["transition", "--to", "2022", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "24 merged" in result.output and ", ".join(NEW_IN_2022) in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ControlState).filter_by(
            edition="2022")) == 0
        assert db.session.scalars(select(Organisation)).one().edition == "2013"


def test_the_transition_merges_decisions_and_carries_evidence_and_risks(app, client,
                                                                       login_as, runner):
    login_as(Role.LEAD)
    # A.5.1 merges A.5.1.1 (applicable) and A.5.1.2 (excluded).
    client.post("/controls/A.5.1.1/edit", data={
        **BASE, "applicability": "applicable", "implementation_status": "implemented",
        "reasons": ["legal"], "company_part": "Policy set approved.", "risk_refs": "R-001"})
    client.post("/controls/A.5.1.2/edit", data={
        **BASE, "applicability": "excluded", "justification": "Reviewed with 5.1.1.",
        "responsibility": "shared", "risk_refs": "R-002, R-001"})
    # A.8.5 comes from A.9.4.2 alone.
    client.post("/controls/A.9.4.2/edit", data={
        **BASE, "applicability": "applicable", "implementation_status": "partial",
        "company_part": "MFA on the console.", "review_cadence": "quarterly"})
    client.post("/evidence/new", data=upload_form(controls="A.9.4.2"),
                content_type="multipart/form-data")
    # A register risk linked from the risk side only, which the control's text never named.
    client.post("/risks/new", data={
        "ref": "R-003", "title": "Stolen keys", "owner_id": str(_lead_id(app)),
        "likelihood": "3", "impact": "4", "treatment": "modify", "plan_status": "done",
        "controls": "A.9.4.2"})
    result = runner.invoke(args=["transition", "--to", "2022"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(select(Organisation)).one().edition == "2022"
        assert db.session.scalar(select(func.count()).select_from(ControlState).filter_by(
            edition="2022")) == 93
        links = set(db.session.execute(select(EvidenceLink.edition, EvidenceLink.control_id)))
    # A.5.1's sources differ: the transition leaves it to the lead, sources side by side.
    merged = _state(app, "2022", "A.5.1")
    assert merged.applicability is None and merged.implementation_status is None
    assert merged.reasons == [] and merged.justification == "" and merged.owner_id is None
    assert [s["control_id"] for s in merged.transition_sources] == ["A.5.1.1", "A.5.1.2"]
    assert merged.risk_refs == "R-001, R-002"
    page = client.get("/controls/A.5.1").get_data(as_text=True)
    assert "from A.5.1.1:</strong> Applicable, Implemented" in page
    assert "from A.5.1.2:</strong> Excluded" in page and "Reviewed with 5.1.1." in page
    single = _state(app, "2022", "A.8.5")
    assert single.risk_refs == "R-003"
    with app.app_context():
        from management.models import Risk, RiskControl

        assert set(db.session.execute(select(RiskControl.edition, RiskControl.control_id).join(
            Risk).where(Risk.ref == "R-003"))) == {("2013", "A.9.4.2"), ("2022", "A.8.5")}
    assert (single.company_part, single.implementation_status.value) == (
        "MFA on the console.", "partial")
    assert single.review_cadence.value == "quarterly" and single.first_review_on is not None
    assert links == {("2013", "A.9.4.2"), ("2022", "A.8.5")}
    for control_id in NEW_IN_2022:
        new = _state(app, "2022", control_id)
        assert new.applicability is None and new.responsibility.value == "company"
    # The 2013 decision stays readable, but not editable.
    old = client.get("/controls/A.9.4.2").get_data(as_text=True)
    assert "kept read-only" in old and "Edit decision" not in old
    assert client.get("/controls/A.9.4.2/edit").status_code == 404
    undecided = client.get("/controls?status=undecided&per_page=200").get_data(as_text=True)
    assert all(f'href="/controls/{cid}"' in undecided for cid in NEW_IN_2022)
    book = load_workbook(io.BytesIO(client.get("/soa/export.xlsx").data))
    assert book["SoA"].max_row == 94
    again = runner.invoke(args=["transition", "--to", "2022"])
    assert again.exit_code == 1 and "already uses the 2022 edition" in again.output


def test_the_transition_page_previews_then_switches(app, client, login_as):
    login_as(Role.LEAD)
    page = client.get("/soa/transition").get_data(as_text=True)
    assert "11 new controls need a decision" in page and "A.5.7" in page
    response = client.post("/soa/transition")
    assert response.status_code == 302 and "status=undecided" in response.headers["Location"]
    with app.app_context():
        assert db.session.scalars(select(Organisation)).one().edition == "2022"
    assert client.get("/soa/transition").status_code == 302  # nothing left to do


def _lead_id(app) -> int:
    from isms.auth.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.role == Role.LEAD))
