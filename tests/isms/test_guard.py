"""Every route is behind the guard: declared, login-protected, role-checked."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from isms import create_app
from isms.auth.guard import SAFE_METHODS, access_for, safe_next
from isms.auth.models import Role, User
from isms.db import db

PUBLIC_ENDPOINTS = {"auth.login", "auth.login_code", "core.healthz", "static",
                    "controls.calendar_feed", "restapi.openapi", "restapi.docs"}
TOKEN_ONLY = {"controls.calendar_feed"}
_OWNER = frozenset({Role.OWNER})
# Routes a role reaches only for objects it may touch: the sample objects belong to a lead,
# the sample user is a lead (whom a lead may neither disable nor reset).
OBJECT_CHECKED = {
    "controls.edit": _OWNER, "controls.new_review": _OWNER, "controls.edit_review": _OWNER,
    "evidence.new_version": _OWNER, "evidence.add_links": _OWNER,
    "evidence.remove_link": _OWNER, "evidence.delete": _OWNER,
    "controls.follow_up_done": _OWNER, "controls.answer": _OWNER,
    "auth.toggle_user": frozenset({Role.LEAD}),
    "auth.reset_user_password": frozenset({Role.LEAD}),
    # Management: the sample clause has no owner, the sample action is the lead's, and only
    # the lead adds actions to a management review.
    "management.edit_clause": _OWNER, "management.link_clause_evidence": _OWNER,
    "management.action_done": _OWNER,
    "management.review": frozenset({Role.ADMIN, Role.OWNER}),
    # Coverage: the sample requirement's record has no owner yet.
    "coverage.edit_record": _OWNER, "coverage.link_record_evidence": _OWNER,
}
# Argument values that make every rule build a URL; object ids come from the fixture.
SAMPLE_ARGS = {"control_id": "A.5.1.1", "edition": "2013", "number": 1,
               "filename": "style.css", "token": "not-a-real-token", "a": 1, "b": 1,
               "action": "", "decision": "", "clause_id": "4.1",
               "check_id": "s3-versioning", "code": "nis2", "requirement_id": "9.3",
               "seq": 1}


def _rules():
    app = create_app({"ISMS_DATABASE_URL": "sqlite://", "ISMS_SECRET_KEY": "x"})
    return app, sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


APP, RULES = _rules()
ROUTES = [(r.rule, r.endpoint, m) for r in RULES for m in sorted(r.methods - {"HEAD", "OPTIONS"})]
RULE_ARGS = {r.rule: r.arguments for r in RULES}
# For any(a, b) converters: the alphabetically first choice, so every rule builds a URL.
RULE_CHOICES = {r.rule: {name: sorted(conv.items)[0] for name, conv in r._converters.items()
                         if hasattr(conv, "items")} for r in RULES}
with APP.app_context():
    # API routes: a bearer token is their only credential (walked in tests/restapi/).
    API_ROUTES = [r for r in ROUTES if getattr(access_for(r[1]), "api", False)]
GUARDED = [r for r in ROUTES if r[1] not in PUBLIC_ENDPOINTS and r not in API_ROUTES]


@pytest.fixture
def objects(app, make_user, monkeypatch):
    """Real objects for every id a URL can carry: a user, an evidence item, a purge."""
    # "Test connection" and "Run now" answer at once: AWS is a closed local port here.
    app.config["ISMS_AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    from connectors.aws.runs import start_run
    from connectors.aws.services import ConnectionValues, save_connection
    from controls.models import ControlState, FollowUp, ReviewOutcome
    from controls.proposals import propose
    from controls.requests import create_request
    from controls.reviews import NewFollowUp, record_review
    from evidence.maintenance import request_purge
    from evidence.models import EvidenceKind, EvidenceVersion
    from evidence.services import Content, create_item
    from isms.auth.models import User
    from soa.versions import approve, submit
    from tests.soa_helpers import decide_every_control

    lead, admin = make_user(Role.LEAD), make_user(Role.ADMIN)
    decide_every_control(app)
    with app.app_context():
        item = create_item(title="Sample", kind=EvidenceKind.FILE, owner_id=lead.id,
                           content=Content(stream=io.BytesIO(b"sample"), file_name="s.txt"),
                           collected_on=date.today(), valid_until=None, today=date.today(),
                           actor_id=lead.id, refs=[("2013", "A.5.1.1")],
                           audit_actor=str(lead.id))
        db.session.flush()
        version = db.session.scalars(select(EvidenceVersion).filter_by(item_id=item.id)).one()
        lead_user = db.session.get(User, lead.id)
        purge = request_purge(version, "test", lead_user)
        state = db.session.scalars(select(ControlState).filter_by(
            edition="2013", control_id="A.5.1.1")).one()
        review = record_review(
            state, lead_user, reviewed_on=date.today(), outcome=ReviewOutcome.EFFECTIVE,
            notes="checked", version_ids=[version.id], today=date.today(),
            follow_ups=[NewFollowUp("Tidy up", lead.id, date.today())],
            audit_actor=str(lead.id))
        db.session.commit()
        follow_up_id = db.session.scalar(select(FollowUp.id).filter_by(review_id=review.id))
        auditor = db.session.get(User, make_user(Role.AUDITOR).id)
        evidence_request = create_request(state, auditor, "Show me", date.today(), date.today())
        version = submit(lead_user, "Sample issue")
        approve(version, db.session.get(User, admin.id), "CEO")
        management = _management_objects(lead_user)
        from isms.auth.tokens import create_token

        token = create_token(lead_user, "sample", "read", actor="system:test")
        connection = save_connection(ConnectionValues("prod", "123456789012", "eu-west-1",
                                                      lead.id), audit_actor=str(lead.id))
        run = start_run(connection, trigger="web")
        proposal = propose(state, lead_user, {"justification": "Proposed text"})
        db.session.commit()
        return {**SAMPLE_ARGS, "user_id": lead.id, "item_id": item.id, "purge_id": purge.id,
                "proposal_id": proposal.id,
                "review_id": review.id, "follow_up_id": follow_up_id,
                "request_id": evidence_request.id, "connection_id": connection.id,
                "token_id": token.id,
                "run_id": run.id,
                **management}


def _management_objects(lead) -> dict:
    """A risk, an internal audit, a management review, a finding and its action."""
    from management.findings import raise_finding
    from management.models import (
        AuditStatus,
        FindingSource,
        FindingType,
        InputState,
        PlanStatus,
        Treatment,
    )
    from management.records import REVIEW_INPUTS, add_action, save_audit, save_review
    from management.risks import save_risk

    risk = save_risk(None, {"ref": "R-001", "title": "Sample", "owner_id": lead.id,
                            "likelihood": 2, "impact": 2, "treatment": Treatment.MODIFY,
                            "plan_status": PlanStatus.NOT_STARTED}, [], "2013", lead)
    audit = save_audit(None, {"title": "Sample", "scope": "9.2", "auditor": "Someone",
                              "planned_on": date.today(), "status": AuditStatus.PLANNED}, lead)
    meeting = save_review({"held_on": date.today(), "attendees": "All"},
                          {key: (InputState.NOTHING_TO_REPORT, "") for key, _ in REVIEW_INPUTS},
                          lead)
    finding = raise_finding({"type": FindingType.OBSERVATION, "source": FindingSource.INCIDENT,
                             "description": "Sample"}, lead, date.today())
    action = add_action(description="Sample", owner_id=lead.id, due_on=date.today(),
                        finding=finding, actor=lead)
    return {"ref": risk.ref, "audit_id": audit.id, "management_review_id": meeting.id,
            "finding_ref": finding.ref, "action_id": action.id}


def _url(app, rule, endpoint, objects):
    with app.test_request_context():
        from flask import url_for

        args = {a: objects[a] for a in RULE_ARGS[rule]}
        return url_for(endpoint, **{**args, **RULE_CHOICES[rule]})


@pytest.mark.parametrize("rule,endpoint", sorted({(r, e) for r, e, _ in ROUTES}))
def test_every_route_declares_who_may_use_it(rule, endpoint):
    with APP.app_context():
        access = access_for(endpoint)
    assert access is not None, f"{rule} ({endpoint}) has no @public or @allow declaration"
    assert access.public == (endpoint in PUBLIC_ENDPOINTS)
    assert access.token_only == (endpoint in TOKEN_ONLY)


@pytest.mark.parametrize("rule,endpoint,method", GUARDED)
def test_anonymous_users_are_sent_to_login(app, client, objects, rule, endpoint, method):
    response = client.open(_url(app, rule, endpoint, objects), method=method)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("rule,endpoint,method", [r for r in GUARDED if r[2] not in SAFE_METHODS])
def test_auditors_get_403_on_every_undeclared_post(app, client, login_as, objects, rule,
                                                   endpoint, method):
    with app.app_context():
        may_write = access_for(endpoint).auditor_may_write
    login_as(Role.AUDITOR)
    response = client.open(_url(app, rule, endpoint, objects), method=method,
                           data={"csrf_token": client.csrf_token()})
    if may_write:
        assert response.status_code != 403
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("rule,endpoint", sorted({(r, e) for r, e, m in GUARDED if m == "GET"}))
def test_each_role_reaches_exactly_the_pages_declared_for_it(app, client, login_as, objects,
                                                             role, rule, endpoint):
    with app.app_context():
        allowed = role in access_for(endpoint).roles
    login_as(role)
    response = client.get(_url(app, rule, endpoint, objects))
    if allowed:
        assert response.status_code in (200, 302, 403), response.status_code
        # A 403 for an allowed role may only come from an object-level check.
        if response.status_code == 403:
            assert role in OBJECT_CHECKED.get(endpoint, ())
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("rule,endpoint,method",
                         [r for r in GUARDED if r[2] not in SAFE_METHODS])
def test_each_role_may_post_exactly_where_declared(app, client, login_as, objects, role, rule,
                                                   endpoint, method):
    with app.app_context():
        access = access_for(endpoint)
    allowed = role in access.roles and (role is not Role.AUDITOR or access.auditor_may_write)
    login_as(role)
    response = client.open(_url(app, rule, endpoint, objects), method=method,
                           data={"csrf_token": client.csrf_token()})
    assert response.status_code < 500, (endpoint, role, response.status_code)
    if not allowed:
        assert response.status_code == 403
    elif response.status_code == 403:
        assert role in OBJECT_CHECKED.get(endpoint, ()), (endpoint, role)


# The role table from the README, spelled out so that a wrong declaration fails here too.
ROLE_TABLE = {
    "/": {Role.ADMIN: 200, Role.LEAD: 200, Role.OWNER: 200, Role.AUDITOR: 200},
    "/controls": {Role.ADMIN: 200, Role.LEAD: 200, Role.OWNER: 200, Role.AUDITOR: 200},
    "/controls/A.5.1.1": {Role.ADMIN: 200, Role.LEAD: 200, Role.OWNER: 200, Role.AUDITOR: 200},
    "/aws": {Role.ADMIN: 200, Role.LEAD: 200, Role.OWNER: 200, Role.AUDITOR: 403},
    "/aws/connections/new": {Role.ADMIN: 200, Role.LEAD: 200, Role.OWNER: 403,
                             Role.AUDITOR: 403},
    "/controls/A.5.1.1/edit": {Role.ADMIN: 403, Role.LEAD: 200, Role.OWNER: 403,
                               Role.AUDITOR: 403},
    "/users": {Role.ADMIN: 200, Role.LEAD: 200, Role.OWNER: 403, Role.AUDITOR: 403},
    "/users/new": {Role.ADMIN: 200, Role.LEAD: 200, Role.OWNER: 403, Role.AUDITOR: 403},
    "/settings": {Role.ADMIN: 200, Role.LEAD: 200, Role.OWNER: 403, Role.AUDITOR: 403},
}


@pytest.mark.parametrize("role", list(Role))
def test_the_role_table_holds(client, login_as, role):
    login_as(role)
    for url, expected in ROLE_TABLE.items():
        assert client.get(url).status_code == expected[role], (url, role)


def test_the_calendar_feed_needs_a_valid_token(client):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404


def test_public_routes_answer_without_login(client):
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/style.css").status_code == 200


def test_unknown_urls_send_anonymous_users_to_login_and_show_404_to_users(client, login_as):
    assert client.get("/no/such/page").status_code == 302
    login_as(Role.OWNER)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


@pytest.mark.parametrize("target,expected", [
    ("/controls?group=A.9", "/controls?group=A.9"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("controls", "/"),
    ("/ok\r\nSet-Cookie: x=1", "/"),
    ("", "/"),
])
def test_next_redirects_stay_on_this_site(target, expected):
    assert safe_next(target, "/") == expected


def test_login_follows_a_safe_next_and_ignores_an_unsafe_one(client, make_user):
    user = make_user(Role.LEAD)
    response = client.post("/login?next=/controls", data={
        "email": user.email, "password": user.password, "next": "/controls"})
    assert response.headers["Location"] == "/controls"
    client.post("/logout")
    response = client.post("/login", data={
        "email": user.email, "password": user.password, "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_wrong_email_and_wrong_password_get_the_same_message(client, make_user):
    user = make_user(Role.LEAD)
    wrong_password = client.post("/login", data={"email": user.email, "password": "nope"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "nope"})
    assert wrong_password.status_code == unknown.status_code == 200
    for response in (wrong_password, unknown):
        assert "Invalid email or password." in response.get_data(as_text=True)


def test_a_disabled_user_cannot_sign_in_and_loses_a_live_session(app, client, make_user, login):
    user = login(make_user(Role.OWNER))
    assert client.get("/controls").status_code == 200
    with app.app_context():
        db.session.get(User, user.id).is_enabled = False
        db.session.commit()
    assert client.get("/controls").status_code == 302
    response = client.post("/login", data={"email": user.email, "password": user.password})
    assert "Invalid email or password." in response.get_data(as_text=True)


def test_an_auditor_outside_the_window_is_refused_with_a_clear_message(client, make_user):
    later = date.today() + timedelta(days=5)
    user = make_user(Role.AUDITOR, valid_from=later, valid_until=later + timedelta(days=3))
    response = client.post("/login", data={"email": user.email, "password": user.password})
    assert response.status_code == 200
    assert "Your auditor access runs from" in response.get_data(as_text=True)
    assert client.get("/controls").status_code == 302


def test_an_auditor_session_ends_at_the_next_request_after_the_window_closes(
        app, client, make_user, login):
    user = login(make_user(Role.AUDITOR))
    assert client.get("/controls").status_code == 200
    with app.app_context():
        db.session.get(User, user.id).valid_until = date.today() - timedelta(days=1)
        db.session.commit()
    response = client.get("/controls")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/controls").status_code == 302  # the session is gone, not just refused


def test_logout_only_by_post(client, login_as):
    login_as(Role.OWNER)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/controls").status_code == 302


def test_a_post_without_or_with_a_forged_csrf_token_is_refused(client, login_as):
    login_as(Role.LEAD)
    data = {"applicability": "applicable", "reasons": "risk",
            "implementation_status": "planned", "responsibility": "company",
            "review_cadence": "none"}
    missing = client.post("/controls/A.5.1.1/edit", data=data, csrf=False)
    forged = client.post("/controls/A.5.1.1/edit", data={**data, "csrf_token": "forged"})
    for response in (missing, forged):
        assert response.status_code == 400
        assert "Reload the page" in response.get_data(as_text=True)


# --- API routes: the same declarations, with a bearer token as the only credential ---------

def _bearer(app, user_id: int, scope: str) -> dict:
    from isms.auth.tokens import create_token

    with app.app_context():
        token = create_token(db.session.get(User, user_id), f"walk-{scope}", scope,
                             actor="system:test")
        db.session.commit()
    return {"Authorization": f"Bearer {token.secret}"}


def test_every_api_route_is_declared_for_tokens_and_every_api_path_is_one():
    assert API_ROUTES, "the API has routes"
    api_paths = {r for r, e, _ in ROUTES if r.startswith("/api/")}
    assert api_paths == {r for r, _, _ in API_ROUTES} | {"/api/v1/openapi.json", "/api/v1/docs"}


@pytest.mark.parametrize("rule,endpoint,method", API_ROUTES)
def test_api_routes_refuse_requests_without_a_token_even_with_a_session(
        app, client, login_as, objects, rule, endpoint, method):
    url = _url(app, rule, endpoint, objects)
    assert client.open(url, method=method).status_code == 401
    login_as(Role.LEAD)  # a cookie session is ignored on the API
    response = client.open(url, method=method)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("rule,endpoint,method", API_ROUTES)
def test_each_role_token_reaches_exactly_the_api_routes_declared(
        app, client, make_user, objects, role, rule, endpoint, method):
    with app.app_context():
        access = access_for(endpoint)
    user = make_user(role)
    url = _url(app, rule, endpoint, objects)
    writes = method not in SAFE_METHODS
    allowed = role in access.roles and not (writes and role is Role.AUDITOR)
    response = client.open(url, method=method, headers=_bearer(app, user.id, "write"),
                           json={} if method in ("PATCH", "PUT") else None)
    assert response.status_code < 500, (endpoint, role, response.status_code)
    if not allowed:
        assert response.status_code == 403, (endpoint, role, response.status_code)
    elif response.status_code == 403:
        assert role in OBJECT_CHECKED.get(endpoint, ()) or (
            writes and role is Role.OWNER), (endpoint, role)
    if writes:  # a read token never writes, whatever the role
        read_only = client.open(url, method=method, headers=_bearer(app, user.id, "read"))
        assert read_only.status_code == 403, (endpoint, role)
