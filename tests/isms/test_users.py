from datetime import date, timedelta

from sqlalchemy import select

from isms.auth.models import Role, User
from isms.db import db


def _user(app, email):
    with app.app_context():
        return db.session.scalars(select(User).filter_by(email=email)).one_or_none()


def test_an_admin_adds_an_owner(app, client, login_as):
    login_as(Role.ADMIN)
    response = client.post("/users/new", data={
        "email": "New.Owner@Example.com", "name": "New Owner", "role": "owner",
        "password": "a long enough password"})
    assert response.status_code == 302
    user = _user(app, "new.owner@example.com")
    assert user.role is Role.OWNER and user.valid_from is None
    assert "new.owner@example.com" in client.get("/users").get_data(as_text=True)


def test_the_lead_may_invite_owners_and_auditors_only(app, client, login_as):
    login_as(Role.LEAD)
    form = client.get("/users/new").get_data(as_text=True)
    assert 'value="auditor"' in form and 'value="owner"' in form
    assert 'value="admin"' not in form and 'value="lead"' not in form
    for role in ("admin", "lead"):
        refused = client.post("/users/new", data={
            "email": "sneaky@example.com", "role": role, "password": "a long enough password"})
        assert refused.status_code == 422
        assert "Not a valid choice" in refused.get_data(as_text=True)
    assert _user(app, "sneaky@example.com") is None
    client.post("/users/new", data={
        "email": "new.owner@example.com", "role": "owner", "password": "a long enough password"})
    assert _user(app, "new.owner@example.com").role is Role.OWNER
    start = date.today() + timedelta(days=7)
    client.post("/users/new", data={
        "email": "auditor@certifier.example", "role": "auditor",
        "password": "a long enough password",
        "valid_from": start.isoformat(), "valid_until": (start + timedelta(days=4)).isoformat(),
        "scope": "all"})
    auditor = _user(app, "auditor@certifier.example")
    assert auditor.role is Role.AUDITOR
    assert (auditor.valid_from, auditor.valid_until) == (start, start + timedelta(days=4))


def test_user_form_errors_keep_nothing(app, client, login_as, make_user):
    login_as(Role.ADMIN)
    existing = make_user(Role.OWNER)
    cases = [
        ({"email": "not-an-email", "role": "owner", "password": "a long enough password"},
         "Invalid email address"),
        ({"email": "short@example.com", "role": "owner", "password": "short"},
         "at least 12"),
        ({"email": existing.email.upper(), "role": "owner", "password": "a long enough password"},
         "already exists"),
        ({"email": "w@example.com", "role": "auditor", "password": "a long enough password",
          "valid_from": "2026-05-10", "valid_until": "2026-05-01"}, "ends before it starts"),
    ]
    for data, message in cases:
        response = client.post("/users/new", data=data)
        assert response.status_code == 422 and message in response.get_data(as_text=True), data
    assert _user(app, "short@example.com") is None and _user(app, "w@example.com") is None


def test_the_lead_revokes_an_auditor_at_once_but_cannot_disable_others(app, client, make_user,
                                                                       login):
    lead, owner = make_user(Role.LEAD), make_user(Role.OWNER)
    auditor = make_user(Role.AUDITOR)
    from tests.conftest import CsrfClient

    auditor_client = CsrfClient(app, app.response_class, use_cookies=True)
    auditor_client.post("/login", data={"email": auditor.email, "password": auditor.password})
    assert auditor_client.get("/controls").status_code == 200
    login(lead)
    assert client.post(f"/users/{auditor.id}/enabled", data={"enabled": "0"}).status_code == 302
    assert auditor_client.get("/controls").status_code == 302
    assert client.post(f"/users/{owner.id}/enabled", data={"enabled": "0"}).status_code == 403
    assert _user(app, owner.email).is_enabled


def test_nobody_disables_themselves(app, client, login_as):
    admin = login_as(Role.ADMIN)
    response = client.post(f"/users/{admin.id}/enabled", data={"enabled": "0"},
                           follow_redirects=True)
    assert "cannot disable your own account" in response.get_data(as_text=True)
    assert _user(app, admin.email).is_enabled


def test_settings_save_scope_and_refuse_an_unknown_time_zone(app, client, login_as):
    login_as(Role.LEAD)
    bad = client.post("/settings", data={"name": "Cloudar", "scope": "x", "timezone": "Mars/Base"})
    assert "Unknown time zone" in bad.get_data(as_text=True)
    ok = client.post("/settings", data={"name": "Cloudar", "scope": "AWS consulting",
                                        "timezone": "Europe/Brussels"}, follow_redirects=True)
    assert "Organisation settings saved." in ok.get_data(as_text=True)
    assert "2013" in client.get("/settings").get_data(as_text=True)
