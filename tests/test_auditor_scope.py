"""Auditors see only what the lead put in scope, and every read they make is recorded."""

from datetime import date, timedelta

from sqlalchemy import select

from isms.audit import AuditEvent
from isms.auth.models import Role
from isms.auth.scope import scope_of
from isms.db import db
from tests.evidence_helpers import upload_form


def test_the_lead_invites_an_auditor_for_clauses_and_controls(app, client, login_as):
    login_as(Role.LEAD)
    start = date.today()
    response = client.post("/users/new", data={
        "email": "marc@certifier.example", "role": "auditor",
        "password": "a long enough password", "valid_from": start.isoformat(),
        "valid_until": (start + timedelta(days=5)).isoformat(), "scope": "A.9, 12.4.1"})
    assert response.status_code == 302
    with app.app_context():
        from isms.auth.services import get_user_by_email

        scope = scope_of(get_user_by_email("marc@certifier.example").id)
    assert len(scope) == 15 and "A.9.4.2" in scope and "A.12.4.1" in scope
    bad = client.post("/users/new", data={
        "email": "x@certifier.example", "role": "auditor",
        "password": "a long enough password", "scope": "A.99, banana"})
    assert bad.status_code == 422 and "Not a clause, theme or control: A.99, banana" in (
        bad.get_data(as_text=True))


def test_out_of_scope_controls_and_evidence_are_404_for_the_auditor(app, client, make_user,
                                                                   login):
    lead = login(make_user(Role.LEAD))
    client.post("/evidence/new", data=upload_form(controls="A.9.1.1"),
                content_type="multipart/form-data")
    client.post("/evidence/new", data=upload_form(controls="A.12.1.1", title="Ops manual",
                                                  file=(b"ops", "ops.txt")),
                content_type="multipart/form-data")
    client.post("/logout")
    login(make_user(Role.AUDITOR, scope="A.9"))
    listing = client.get("/controls?per_page=200").get_data(as_text=True)
    assert 'href="/controls/A.9.1.1"' in listing and 'href="/controls/A.12.1.1"' not in listing
    assert client.get("/controls/A.9.1.1").status_code == 200
    assert client.get("/controls/A.12.1.1").status_code == 404
    evidence = client.get("/evidence").get_data(as_text=True)
    assert "Access control policy" in evidence and "Ops manual" not in evidence
    with app.app_context():
        from evidence.models import EvidenceItem

        ops = db.session.scalars(select(EvidenceItem).filter_by(title="Ops manual")).one().id
        policy = db.session.scalars(select(EvidenceItem).filter_by(
            title="Access control policy")).one().id
    assert client.get(f"/evidence/{ops}").status_code == 404
    assert client.get(f"/evidence/{ops}/versions/1/download").status_code == 404
    download = client.get(f"/evidence/{policy}/versions/1/download")
    assert download.status_code == 200 and download.data == b"policy text v1\n"
    assert client.get("/soa").status_code == 200
    assert client.get("/users").status_code == 403
    with app.app_context():
        reads = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action.in_(["auditor.view", "auditor.download"]))
            .order_by(AuditEvent.seq)).all()
    assert [e.action for e in reads].count("auditor.download") == 1
    assert any(e.object_id == "/controls/A.9.1.1" for e in reads)
    assert lead.role is Role.LEAD


def test_a_2013_scope_still_holds_after_the_move_to_2022(app, client, make_user, login,
                                                         runner):
    auditor = make_user(Role.AUDITOR, scope="A.9.4.2")
    assert runner.invoke(args=["transition", "--to", "2022"]).exit_code == 0
    login(auditor)
    assert client.get("/controls/A.8.5").status_code == 200  # the 2022 counterpart
    assert client.get("/controls/A.8.1").status_code == 404
