"""Control list, detail and the decision form."""

import re

import pytest
from sqlalchemy import func, select

from controls.models import ControlState
from isms.audit import AuditEvent, record_event
from isms.auth.models import Role
from isms.db import db

VALID = {
    "applicability": "applicable", "reasons": ["risk", "legal"],
    "implementation_status": "partial", "responsibility": "shared",
    "company_part": "We configure the buckets.", "aws_part": "AWS runs the storage layer.",
    "owner_id": "", "review_cadence": "quarterly", "notes": "",
}


def state_of(app, control_id, edition="2013") -> ControlState:
    with app.app_context():
        state = db.session.scalars(select(ControlState).filter_by(
            edition=edition, control_id=control_id)).one()
        db.session.expunge(state)
        return state


def events(app, action="control.update"):
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


def rows_in(html: str) -> list[str]:
    return re.findall(r'href="/controls/(A\.[0-9.]+)"', html)


def test_every_2013_control_has_a_state_with_its_default_responsibility(app):
    with app.app_context():
        states = db.session.scalars(select(ControlState).filter_by(edition="2013")).all()
    assert len(states) == 114
    by_id = {s.control_id: s for s in states}
    assert by_id["A.11.1.6"].responsibility.value == "aws"
    assert by_id["A.5.1.1"].responsibility.value == "company"
    assert all(s.applicability is None for s in states)


@pytest.mark.edition("2022")
def test_a_2022_organisation_lists_93_controls_grouped_by_theme(client, login_as):
    login_as(Role.LEAD)
    html = client.get("/controls?per_page=200").get_data(as_text=True)
    assert len(rows_in(html)) == 93
    assert "A.5 Organizational" in html
    detail = client.get("/controls/A.5.7").get_data(as_text=True)
    assert "Threat intelligence" in detail and "New in 2022" in detail


def test_the_list_paginates_and_keeps_filters_in_page_links(client, login_as):
    login_as(Role.OWNER)
    first = client.get("/controls?per_page=50").get_data(as_text=True)
    assert len(rows_in(first)) == 50 and "Page 1 of 3" in first
    last = client.get("/controls?per_page=50&page=3").get_data(as_text=True)
    assert len(rows_in(last)) == 14
    beyond = client.get("/controls?per_page=50&page=99").get_data(as_text=True)
    assert "Page 3 of 3" in beyond
    filtered = client.get("/controls?per_page=25&responsibility=company").get_data(as_text=True)
    assert "responsibility=company" in filtered.split('rel="next"')[0].rsplit("href=", 1)[1]


def test_filters_by_clause_text_responsibility_owner_and_status(app, client, login_as,
                                                                 make_user):
    lead = login_as(Role.LEAD)
    owner = make_user(Role.OWNER, name="Olga Owner")
    client.post("/controls/A.9.4.2/edit", data={**VALID, "owner_id": str(owner.id),
                                                "implementation_status": "planned"})
    client.post("/controls/A.12.3.1/edit", data={**VALID, "implementation_status": "implemented"})
    assert len(rows_in(client.get("/controls?group=A.9&per_page=200").get_data(as_text=True))
               ) == 14
    assert rows_in(client.get("/controls?q=password management").get_data(as_text=True)) == [
        "A.9.4.3"]
    assert rows_in(client.get("/controls?q=a.12.3").get_data(as_text=True)) == ["A.12.3.1"]
    assert rows_in(client.get(f"/controls?owner={owner.id}").get_data(as_text=True)) == [
        "A.9.4.2"]
    assert rows_in(client.get("/controls?status=implemented").get_data(as_text=True)) == [
        "A.12.3.1"]
    shared_open = rows_in(client.get(
        "/controls?responsibility=shared&status=not_implemented").get_data(as_text=True))
    assert shared_open == ["A.9.4.2"]
    aws = rows_in(client.get("/controls?responsibility=aws").get_data(as_text=True))
    assert aws == ["A.11.1.6"]
    undecided = client.get("/controls?status=undecided&per_page=200").get_data(as_text=True)
    assert len(rows_in(undecided)) == 112
    nonsense = client.get("/controls?status=bogus&group=Z&owner=x&per_page=200")
    assert len(rows_in(nonsense.get_data(as_text=True))) == 114
    assert lead.role is Role.LEAD


def test_detail_shows_catalog_data_decision_and_the_other_edition(client, login_as):
    login_as(Role.AUDITOR)
    html = client.get("/controls/A.18.2.3").get_data(as_text=True)
    assert "Technical compliance review" in html
    assert "A.18.2 Information security reviews" in html
    assert "A.5.36" in html and "A.8.8" in html
    assert "Edit decision" not in html


def test_unknown_control_is_a_404_page(client, login_as):
    login_as(Role.LEAD)
    for url in ("/controls/A.99.1", "/controls/A.99.1/edit", "/controls/A.5.1"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Not found" in response.get_data(as_text=True)


def test_the_lead_records_a_decision_and_the_change_is_audited(app, client, login_as, make_user):
    lead = login_as(Role.LEAD)
    owner = make_user(Role.OWNER)
    response = client.post("/controls/A.13.1.1/edit", data={**VALID, "owner_id": str(owner.id)})
    assert response.status_code == 302
    state = state_of(app, "A.13.1.1")
    assert state.applicability.value == "applicable"
    assert state.inclusion_reasons == "legal,risk"
    assert state.implementation_status.value == "partial"
    assert state.responsibility.value == "shared"
    assert state.aws_part == "AWS runs the storage layer."
    assert state.owner_id == owner.id and state.updated_by_id == lead.id
    (event,) = events(app)
    assert event.object_id == "2013:A.13.1.1" and event.actor == str(lead.id)
    assert event.before["applicability"] is None
    assert event.after["inclusion_reasons"] == "legal,risk"
    assert event.after["owner_id"] == owner.id
    page = client.get("/controls/A.13.1.1").get_data(as_text=True)
    assert "AWS runs the storage layer." in page and "Risk treatment" not in page
    assert "Risk" in page and "Legal" in page


def test_saving_without_changes_writes_no_event(app, client, login_as):
    login_as(Role.LEAD)
    client.post("/controls/A.13.1.1/edit", data=VALID)
    client.post("/controls/A.13.1.1/edit", data=VALID)
    assert len(events(app)) == 1


@pytest.mark.parametrize("change,field,message", [
    ({"reasons": []}, "reasons", "Give at least one reason for including the control."),
    ({"applicability": ""}, "applicability", "Decide whether the control applies."),
    ({"implementation_status": ""}, "implementation_status", "Choose the implementation status."),
    ({"notes": "x" * 4001}, "notes", "Field cannot be longer than 4000 characters."),
    ({"company_part": "y" * 5000}, "company_part", "Field cannot be longer than 4000"),
    ({"responsibility": "martians"}, "responsibility", "Not a valid choice"),
    ({"owner_id": "99999"}, "owner_id", "Choose an owner from the list."),
    ({"reasons": ["risk", "whim"]}, "reasons", "not a valid choice"),
])
def test_bad_input_rerenders_with_a_field_error_and_saves_nothing(app, client, login_as, change,
                                                                  field, message):
    login_as(Role.LEAD)
    response = client.post("/controls/A.8.1.1/edit", data={**VALID, **change})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was saved" in html
    errors = re.search(rf'id="{field}-errors">(.*?)</ul>', html, re.S)
    assert errors and message.lower() in errors.group(1).lower()
    assert state_of(app, "A.8.1.1").applicability is None
    assert events(app) == []


def test_excluding_clears_status_and_reasons(app, client, login_as):
    login_as(Role.LEAD)
    client.post("/controls/A.14.2.7/edit", data=VALID)
    client.post("/controls/A.14.2.7/edit", data={
        **VALID, "applicability": "excluded", "justification": "No outsourced development.",
        "responsibility": "company"})
    state = state_of(app, "A.14.2.7")
    assert state.applicability.value == "excluded"
    assert state.implementation_status is None and state.inclusion_reasons == ""
    assert state.justification == "No outsourced development."


def test_excluding_a_control_aws_operates_warns_that_it_still_applies(client, login_as):
    login_as(Role.LEAD)
    response = client.post("/controls/A.11.1.6/edit", data={
        **VALID, "applicability": "excluded", "justification": "No delivery area.",
        "responsibility": "aws"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "still applies" in html
    assert "A.11.1.6 saved." in html


def test_an_owner_edits_their_own_control_but_not_others_nor_its_owner(app, client, make_user,
                                                                      login):
    lead = make_user(Role.LEAD)
    owner = make_user(Role.OWNER)
    other = make_user(Role.OWNER)
    login(lead)
    client.post("/controls/A.9.1.1/edit", data={**VALID, "owner_id": str(owner.id)})
    client.post("/controls/A.9.1.2/edit", data={**VALID, "owner_id": str(other.id)})
    client.post("/logout")
    login(owner)
    assert "Edit decision" in client.get("/controls/A.9.1.1").get_data(as_text=True)
    assert "Edit decision" not in client.get("/controls/A.9.1.2").get_data(as_text=True)
    assert client.get("/controls/A.9.1.2/edit").status_code == 403
    assert client.post("/controls/A.9.1.2/edit", data=VALID).status_code == 403
    assert state_of(app, "A.9.1.2").implementation_status.value == "partial"
    form = client.get("/controls/A.9.1.1/edit").get_data(as_text=True)
    assert 'name="owner_id"' not in form and "Only the security lead reassigns owners." in form
    browser_form = {k: v for k, v in VALID.items() if k != "owner_id"}
    response = client.post("/controls/A.9.1.1/edit", data={
        **browser_form, "implementation_status": "planned"})
    assert response.status_code == 302
    response = client.post("/controls/A.9.1.1/edit", data={
        **VALID, "implementation_status": "implemented", "owner_id": str(other.id)})
    assert response.status_code == 302
    state = state_of(app, "A.9.1.1")
    assert state.implementation_status.value == "implemented"
    assert state.owner_id == owner.id  # owners cannot hand their controls to someone else


def _make_audit_events(app, count: int) -> None:
    with app.app_context():
        for n in range(count):
            record_event("test.noise", "control", f"2013:A.5.1.{1 + n % 2}",
                         after={"n": n}, actor="system:test")
        db.session.commit()


def test_list_and_detail_query_counts_stay_flat(app, client, login_as, make_user,
                                                count_queries):
    login_as(Role.LEAD)
    for _n in range(3):
        make_user(Role.OWNER)
    client.get("/controls")  # warm the catalog cache

    def measure(url):
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    ten_controls = measure("/controls?group=A.6")  # A.6 holds 7 controls
    all_controls = measure("/controls?per_page=200")
    assert ten_controls == all_controls
    detail_before = measure("/controls/A.5.1.1")
    list_before = measure("/controls?per_page=200")
    _make_audit_events(app, 1000)
    assert measure("/controls/A.5.1.1") == detail_before
    assert measure("/controls?per_page=200") == list_before
    assert measure("/") == measure("/")


def test_the_dashboard_counts_decisions_status_and_responsibility(client, login_as):
    login_as(Role.LEAD)
    client.post("/controls/A.5.1.1/edit", data={**VALID, "implementation_status": "implemented",
                                                "responsibility": "company"})
    client.post("/controls/A.14.2.7/edit", data={**VALID, "applicability": "excluded",
                                                 "justification": "None.",
                                                 "responsibility": "company"})
    html = client.get("/").get_data(as_text=True)
    assert "<strong>112</strong> to decide" in html
    assert "<strong>1</strong> of 1 applicable implemented" in html
    assert "<strong>1</strong> excluded" in html
    assert "Applicability: Applicable 1; Excluded 1; To decide 112" in html
    assert "Responsibility: Company 93; Shared 20; AWS 1" in html
    assert re.search(r"A\.5 Information security policies</a></td>\s*<td>2</td><td>1</td>", html)


def test_state_rows_are_unique_per_edition_and_control(app):
    with app.app_context():
        duplicates = db.session.execute(
            select(ControlState.edition, ControlState.control_id)
            .group_by(ControlState.edition, ControlState.control_id).having(func.count() > 1)
        ).all()
    assert duplicates == []


def test_an_owner_filter_no_user_can_match_is_ignored_not_a_server_error(client, login_as):
    login_as(Role.LEAD)
    every = rows_in(client.get("/controls?per_page=200").get_data(as_text=True))
    for owner in ("2147483648", "99999999999999999999999"):
        response = client.get(f"/controls?per_page=200&owner={owner}")
        assert response.status_code == 200
        assert rows_in(response.get_data(as_text=True)) == every
