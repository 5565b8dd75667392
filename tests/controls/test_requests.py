"""Evidence requests: an auditor asks in scope, the owner answers, the auditor decides."""

from datetime import date, timedelta

from sqlalchemy import select

from controls.digest import collect_digests
from controls.models import EvidenceRequest
from evidence.models import EvidenceLink
from isms.auth.models import Role
from isms.db import db
from tests.evidence_helpers import upload_form

DECISION = {"applicability": "applicable", "reasons": ["risk"], "responsibility": "company",
            "implementation_status": "partial", "review_cadence": "none"}
DUE = (date.today() + timedelta(days=7)).isoformat()


def _request(app) -> EvidenceRequest:
    with app.app_context():
        item = db.session.scalars(select(EvidenceRequest)).one()
        db.session.expunge(item)
        return item


def test_the_whole_request_cycle(app, client, make_user, login):
    lead, owner = make_user(Role.LEAD), make_user(Role.OWNER)
    auditor = make_user(Role.AUDITOR, scope="A.9")
    login(lead)
    client.post("/controls/A.9.1.1/edit", data={**DECISION, "owner_id": str(owner.id)})
    client.post("/logout")
    login(auditor)
    page = client.get("/controls/A.9.1.1").get_data(as_text=True)
    assert "Request evidence" in page and "Edit decision" not in page
    assert client.post("/controls/A.12.1.1/requests", data={
        "description": "Ops logs", "due_on": DUE}).status_code == 404  # outside the scope
    bad = client.post("/controls/A.9.1.1/requests", data={"description": "x",
                                                          "due_on": "2000-01-01"},
                      follow_redirects=True)
    assert "Give a due date, today or later." in bad.get_data(as_text=True)
    client.post("/controls/A.9.1.1/requests", data={
        "description": "The last access review", "due_on": DUE})
    made = _request(app)
    assert (made.status.value, made.owner_id, made.control_id) == ("open", owner.id, "A.9.1.1")
    with app.app_context():
        assert collect_digests("2013", date.today())[owner.id].requests
    client.post("/logout")
    login(owner)
    client.post("/evidence/new", data=upload_form(controls="", title="Access review Q3"),
                content_type="multipart/form-data")
    mine = client.get("/requests").get_data(as_text=True)
    assert "The last access review" in mine and "Send the answer" in mine
    nothing = client.post(f"/requests/{made.id}/answer", data={"answer": "here"},
                          follow_redirects=True)
    assert "Choose at least one piece of evidence." in nothing.get_data(as_text=True)
    with app.app_context():
        from evidence.models import EvidenceItem

        item_id = db.session.scalar(select(EvidenceItem.id))
    client.post(f"/requests/{made.id}/answer", data={"more": str(item_id),
                                                     "answer": "Attached."})
    answered = _request(app)
    assert answered.status.value == "answered" and answered.evidence_item_ids == [item_id]
    with app.app_context():  # answering links the evidence to the control
        assert db.session.scalar(select(EvidenceLink.control_id).filter_by(
            item_id=item_id)) == "A.9.1.1"
    client.post("/logout")
    login(lead)
    assert "The last access review" in client.get("/requests?status=answered").get_data(
        as_text=True)
    client.post("/logout")
    login(auditor)
    client.post(f"/requests/{made.id}/accept", data={"comment": "Fine."})
    done = _request(app)
    assert done.status.value == "accepted" and done.decision_comment == "Fine."
    again = client.post(f"/requests/{made.id}/reject", follow_redirects=True)
    assert "Only an answered request" in again.get_data(as_text=True)


def test_an_owner_cannot_answer_for_someone_elses_control(app, client, make_user, login):
    lead, owner, other = make_user(Role.LEAD), make_user(Role.OWNER), make_user(Role.OWNER)
    login(lead)
    client.post("/controls/A.9.1.1/edit", data={**DECISION, "owner_id": str(owner.id)})
    client.post("/logout")
    login(make_user(Role.AUDITOR))
    client.post("/controls/A.9.1.1/requests", data={"description": "x", "due_on": DUE})
    client.post("/logout")
    login(other)
    assert client.post(f"/requests/{_request(app).id}/answer",
                       data={"more": "1"}).status_code == 403
    assert "No evidence requests." in client.get("/requests").get_data(as_text=True)


def test_the_requests_page_keeps_a_flat_query_count(app, client, make_user, login,
                                                    count_queries):
    lead = make_user(Role.LEAD)
    auditor = make_user(Role.AUDITOR)

    def ask(control_ids):
        login(auditor)
        for control_id in control_ids:
            client.post(f"/controls/{control_id}/requests",
                        data={"description": "Show me", "due_on": DUE})
        client.post("/logout")

    def measure() -> int:
        login(lead)
        with count_queries() as statements:
            assert client.get("/requests").status_code == 200
        client.post("/logout")
        return len(statements)

    ask(["A.9.1.1"])
    one = measure()
    ask(["A.9.1.2", "A.9.2.1", "A.9.2.2", "A.12.1.1", "A.12.1.2"])
    assert measure() == one
