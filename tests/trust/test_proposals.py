import re
from datetime import date

import pytest
from sqlalchemy import func, select

from controls.digest import collect_digests
from controls.models import Applicability, ControlProposal, ProposalStatus
from isms.audit import AuditEvent
from isms.db import db
from tests.evidence_helpers import upload_form
from tests.trust.helpers import DEMO_LEAD, DEMO_OWNER, control_state, edit_form, sign_in

OWNED = "A.9.1.1"  # Jonas Maes (cloud) owns the A.9 controls in the demo


@pytest.fixture
def demo(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    return app


def _events(app, control_id):
    with app.app_context():
        return [(e.action, e.actor) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == f"2013:{control_id}")
            .order_by(AuditEvent.seq))]


def test_an_owner_excluding_a_control_only_proposes_it_and_the_lead_accepts(demo, client):
    app = demo
    assert control_state(app, OWNED).applicability is Applicability.APPLICABLE
    sign_in(client, *DEMO_OWNER)
    response = client.post(f"/controls/{OWNED}/edit", data=edit_form(
        app, OWNED, applicability="excluded", justification="Not relevant for us",
        reasons=[]))
    assert response.status_code == 302
    assert control_state(app, OWNED).applicability is Applicability.APPLICABLE
    page = client.get(f"/controls/{OWNED}").get_data(as_text=True)
    assert "Proposed by Jonas Maes" in page and "Not relevant for us" in page
    assert 'action="/proposals/' not in page  # only the lead decides

    client.post("/logout")
    sign_in(client, *DEMO_LEAD)
    assert "Proposals to decide" in client.get("/my").get_data(as_text=True)
    assert OWNED in client.get("/").get_data(as_text=True).split("Proposals")[1][:2000]
    with app.app_context():
        proposal = db.session.scalars(select(ControlProposal)).one()
        lead_digest = collect_digests("2013", proposal.proposed_at.date())
        assert any(items.proposals for items in lead_digest.values())
    response = client.post(f"/proposals/{proposal.id}/accept", data={"comment": "Agreed"})
    assert response.status_code == 302
    state = control_state(app, OWNED)
    assert state.applicability is Applicability.EXCLUDED
    assert state.justification == "Not relevant for us"

    history = client.get(f"/controls/{OWNED}").get_data(as_text=True)
    section = history.split('class="history"')[1]
    assert re.search(r"Jonas Maes(</a>)?\s*·\s*Propose", section)
    assert re.search(r"Sofie Peeters(</a>)?\s*·\s*Proposal accepted", section)
    actions = [a for a, _ in _events(app, OWNED)]
    assert actions[-3:] == ["control.propose", "control.proposal_accepted", "control.update"]
    with app.app_context():
        owner_digest = collect_digests("2013", state.updated_at.date())
        told = [items.decided for items in owner_digest.values() if items.decided]
        assert told and told[0][0].status is ProposalStatus.ACCEPTED


def test_the_owner_still_changes_status_and_notes_at_once(demo, client):
    app = demo
    sign_in(client, *DEMO_OWNER)
    client.post(f"/controls/{OWNED}/edit", data=edit_form(
        app, OWNED, implementation_status="partial", notes="Rolling out SSO"))
    state = control_state(app, OWNED)
    assert state.implementation_status.value == "partial" and state.notes == "Rolling out SSO"
    with app.app_context():
        assert db.session.scalar(select(func.count(ControlProposal.id))) == 0


def test_a_rejection_needs_a_reason_and_leaves_the_decision(demo, client):
    app = demo
    sign_in(client, *DEMO_OWNER)
    client.post(f"/controls/{OWNED}/edit", data=edit_form(app, OWNED, responsibility="aws"))
    client.post("/logout")
    sign_in(client, *DEMO_LEAD)
    with app.app_context():
        proposal_id = db.session.scalar(select(ControlProposal.id))
    client.post(f"/proposals/{proposal_id}/reject", data={"comment": ""})
    with app.app_context():
        assert db.session.get(ControlProposal, proposal_id).status is ProposalStatus.OPEN
    client.post(f"/proposals/{proposal_id}/reject", data={"comment": "We run it ourselves"})
    with app.app_context():
        assert db.session.get(ControlProposal, proposal_id).status is ProposalStatus.REJECTED
    assert control_state(app, OWNED).responsibility.value != "aws"
    assert _events(app, OWNED)[-1][0] == "control.proposal_rejected"


def test_the_leads_own_edit_applies_at_once(demo, client):
    app = demo
    sign_in(client, *DEMO_LEAD)
    client.post(f"/controls/{OWNED}/edit", data=edit_form(
        app, OWNED, applicability="excluded", justification="Covered elsewhere", reasons=[]))
    assert control_state(app, OWNED).applicability is Applicability.EXCLUDED


def test_a_save_that_changes_nothing_writes_no_event(demo, client):
    app = demo
    sign_in(client, *DEMO_LEAD)
    for control_id in (OWNED, "A.12.6.1"):
        before = _events(app, control_id)
        client.get(f"/controls/{control_id}/edit")
        form = client.get(f"/controls/{control_id}/edit").get_data(as_text=True)
        risk_value = re.search(r'name="risk_refs"[^>]*value="([^"]*)"', form)
        data = edit_form(app, control_id,
                         risk_refs=risk_value.group(1) if risk_value else "")
        assert client.post(f"/controls/{control_id}/edit", data=data).status_code == 302
        assert _events(app, control_id) == before, control_id


def test_an_owner_is_told_when_someone_else_links_evidence_to_their_control(demo, client):
    app = demo
    sign_in(client, *DEMO_LEAD)
    response = client.post("/evidence/new", data=upload_form(controls=OWNED, title="Lead's"))
    assert response.status_code == 302
    with app.app_context():
        owner_id = control_state(app, OWNED).owner_id
        digest = collect_digests("2013", date.today())[owner_id]
        assert [(c, who) for c, _, who in digest.linked_by_others] == [(OWNED, "Sofie Peeters")]
