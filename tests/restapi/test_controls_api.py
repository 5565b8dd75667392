"""Controls over the API: filters, pages, the form's rules, ETag and If-Match, scope."""

from datetime import timedelta

from sqlalchemy import select

from controls.models import ControlState
from controls.reviews import add_months
from isms.api import local_today
from isms.audit import AuditEvent
from isms.auth.models import Role
from isms.db import db

DECISION = {"applicability": "applicable", "reasons": ["risk"],
            "implementation_status": "partial"}


def test_the_list_pages_with_link_headers_and_keeps_the_page_filters(make_token, api):
    token = make_token(Role.OWNER)
    first = api.get(token, "/api/v1/controls?per_page=10&group=A.9")
    assert first.status_code == 200
    assert [c["control_id"] for c in first.json][:2] == ["A.9.1.1", "A.9.1.2"]
    assert first.headers["X-Total-Count"] == "14"
    assert 'rel="next"' in first.headers["Link"] and "group=A.9" in first.headers["Link"]
    second = api.get(token, "/api/v1/controls?per_page=10&page=2&group=A.9")
    assert len(second.json) == 4 and 'rel="prev"' in second.headers["Link"]
    assert 'rel="next"' not in second.headers["Link"]
    bad = api.get(token, "/api/v1/controls?per_page=0&status=nonsense")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert set(bad.json["errors"]) == {"per_page", "status"}


def test_a_lead_records_a_decision_with_the_forms_rules(app, make_token, api):
    token = make_token(Role.LEAD, name="ci-decisions")
    incomplete = api.patch(token, "/api/v1/controls/A.9.1.1", json={
        "applicability": "applicable", "implementation_status": "partial"})
    assert incomplete.status_code == 422
    assert incomplete.json["errors"] == {"reasons": ["Give at least one reason for including "
                                                     "the control."]}
    response = api.patch(token, "/api/v1/controls/A.9.1.1", json=DECISION)
    assert response.status_code == 200, response.json
    assert response.json["control"]["implementation_status"] == "partial"
    assert response.headers["ETag"].strip('"') == api.get(
        token, "/api/v1/controls/A.9.1.1").headers["ETag"].strip('"')
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "control.update")).one()
    assert event.actor == f"{token.id}/token:ci-decisions"
    assert event.after["implementation_status"] == "partial"


def test_the_second_update_with_the_same_etag_gets_412_and_nothing_is_lost(app, make_token,
                                                                           api):
    token = make_token(Role.LEAD)
    etag = api.get(token, "/api/v1/controls/A.9.1.1").headers["ETag"]
    first = api.patch(token, "/api/v1/controls/A.9.1.1", headers={"If-Match": etag},
                      json={**DECISION, "notes": "first"})
    assert first.status_code == 200
    second = api.patch(token, "/api/v1/controls/A.9.1.1", headers={"If-Match": etag},
                       json={**DECISION, "notes": "second", "implementation_status":
                             "implemented"})
    assert second.status_code == 412 and second.mimetype == "application/problem+json"
    with app.app_context():
        state = db.session.scalars(select(ControlState).filter_by(
            edition="2013", control_id="A.9.1.1")).one()
        assert (state.notes, state.implementation_status.value) == ("first", "partial")
    fresh = api.get(token, "/api/v1/controls/A.9.1.1").headers["ETag"]
    again = api.patch(token, "/api/v1/controls/A.9.1.1", headers={"If-Match": fresh},
                      json={"notes": "second"})
    assert again.status_code == 200 and again.json["control"]["notes"] == "second"


def test_an_owner_changes_only_their_controls_and_never_assigns_owners(app, make_token,
                                                                       api):
    owner = make_token(Role.OWNER)
    with app.app_context():
        db.session.scalars(select(ControlState).filter_by(
            edition="2013", control_id="A.9.1.1")).one().owner_id = owner.id
        db.session.commit()
    assert api.patch(owner, "/api/v1/controls/A.9.1.1", json=DECISION).status_code == 200
    assert api.patch(owner, "/api/v1/controls/A.9.1.2", json=DECISION).status_code == 403
    assign = api.patch(owner, "/api/v1/controls/A.9.1.1", json={"owner_id": owner.id})
    assert assign.status_code == 422 and "owner_id" in assign.json["errors"]


def test_an_auditor_sees_only_the_scope_and_writes_nothing(make_token, api):
    auditor = make_token(Role.AUDITOR, scope="A.9")
    listed = api.get(auditor, "/api/v1/controls?per_page=200").json
    assert {c["control_id"][:3] for c in listed} == {"A.9"}
    assert api.get(auditor, "/api/v1/controls/A.9.1.1").status_code == 200
    assert api.get(auditor, "/api/v1/controls/A.5.1.1").status_code == 404
    assert api.get(auditor, "/api/v1/controls/A.5.1.1/reviews").status_code == 404
    assert api.patch(auditor, "/api/v1/controls/A.9.1.1", json=DECISION).status_code == 403
    assert api.post(auditor, "/api/v1/controls/A.9.1.1/reviews", json={}).status_code == 403


def test_a_read_token_cannot_write(make_token, api):
    reader = make_token(Role.LEAD, token_scope="read")
    assert api.get(reader, "/api/v1/controls/A.9.1.1").status_code == 200
    response = api.patch(reader, "/api/v1/controls/A.9.1.1", json=DECISION)
    assert response.status_code == 403 and response.mimetype == "application/problem+json"


def test_reviews_are_recorded_and_listed(make_token, api):
    token = make_token(Role.LEAD)
    future = api.post(token, "/api/v1/controls/A.9.1.1/reviews", json={
        "reviewed_on": "2999-01-01", "outcome": "effective", "notes": "x"})
    assert future.status_code == 422 and "reviewed_on" in future.json["errors"]
    created = api.post(token, "/api/v1/controls/A.9.1.1/reviews", json={
        "reviewed_on": "2026-01-05", "outcome": "effective", "notes": "Checked access"})
    assert created.status_code == 201, created.json
    listed = api.get(token, "/api/v1/controls/A.9.1.1/reviews")
    assert [r["notes"] for r in listed.json] == ["Checked access"]
    assert listed.json[0]["reviewer_id"] == token.id


def test_unknown_api_paths_and_methods_answer_with_problem_documents(make_token, api):
    token = make_token(Role.LEAD)
    missing = api.get(token, "/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    wrong = api.delete(token, "/api/v1/controls")
    assert wrong.status_code == 405 and wrong.mimetype == "application/problem+json"
    unknown = api.get(token, "/api/v1/controls/A.99.1")
    assert unknown.status_code == 404 and unknown.json["title"] == "Not Found"


def test_page_links_ignore_query_arguments_that_pose_as_path_parts(make_token, api):
    token = make_token(Role.LEAD)
    response = api.get(token, "/api/v1/controls/A.9.1.1/reviews?control_id=A.5.1.1"
                              "&_external=0&_scheme=javascript")
    assert response.status_code == 200
    assert "/controls/A.9.1.1/reviews" in response.headers["Link"]
    assert "javascript" not in response.headers["Link"]


def test_every_page_reads_each_control_as_its_detail_does(app, make_token, api):
    token = make_token(Role.LEAD)
    assert api.patch(token, "/api/v1/controls/A.9.1.2", json={
        **DECISION, "review_cadence": "yearly", "first_review_on": "2001-02-03"}
    ).status_code == 200
    assert api.post(token, "/api/v1/evidence", content_type="multipart/form-data", data={
        "title": "Access policy", "kind": "statement", "text": "Reviewed.",
        "controls": "A.9.1.1"}).status_code == 201
    # A control reviewed on a cadence, one whose only evidence expired, one whose evidence
    # expires within the warning window (the page reads these in one statement, the detail
    # apart: they must agree)
    with app.app_context():
        today = local_today()
    assert api.patch(token, "/api/v1/controls/A.12.3.1", json={
        **DECISION, "review_cadence": "yearly"}).status_code == 200
    assert api.post(token, "/api/v1/controls/A.12.3.1/reviews", json={
        "reviewed_on": (today - timedelta(days=30)).isoformat(), "outcome": "effective",
        "notes": "Backups restored"}).status_code == 201
    for title, control, valid_until in (("Old scan", "A.12.6.1", today - timedelta(days=1)),
                                        ("Renewal due", "A.12.4.1", today + timedelta(days=3))):
        assert api.post(token, "/api/v1/evidence", content_type="multipart/form-data", data={
            "title": title, "kind": "statement", "text": "Seen.", "controls": control,
            "collected_on": (today - timedelta(days=400)).isoformat(),
            "valid_until": valid_until.isoformat()}).status_code == 201
    whole = api.get(token, "/api/v1/controls?per_page=200").json
    pages = [api.get(token, f"/api/v1/controls?per_page=25&page={n}") for n in range(1, 6)]
    assert [c for page in pages for c in page.json] == whole
    assert {p.headers["X-Total-Count"] for p in pages} == {str(len(whole))}
    for control in whole:
        assert control == api.get(token, f"/api/v1/controls/{control['control_id']}").json
    by_id = {c["control_id"]: c for c in whole}
    assert by_id["A.9.1.1"]["evidence_status"] == "current"
    assert by_id["A.9.1.2"]["review_status"] == "overdue"
    assert by_id["A.12.3.1"]["review_status"] == "scheduled"
    assert by_id["A.12.3.1"]["next_review_on"] == (
        add_months(today - timedelta(days=30), 12).isoformat())
    assert by_id["A.12.6.1"]["evidence_status"] == "expired"
    assert by_id["A.12.4.1"]["evidence_status"] == "expiring"
    assert by_id["A.5.1.1"]["evidence_status"] == "none"
    # filters on computed values read every control, and page the same way
    for query, keep in (("evidence=current", lambda c: c["evidence_status"] == "current"),
                        ("review=overdue", lambda c: c["review_status"] == "overdue")):
        assert api.get(token, f"/api/v1/controls?per_page=200&{query}").json == [
            c for c in whole if keep(c)]
    auditor = make_token(Role.AUDITOR, scope="A.9", name="auditor")
    seen = api.get(auditor, "/api/v1/controls?per_page=5&page=2")
    assert seen.json == [c for c in whole if c["group_id"] == "A.9"][5:10]
    assert seen.headers["X-Total-Count"] == "14"
