"""Password change and admin reset; a new session at login; other sessions end."""

import getpass
import re

from sqlalchemy import select

from isms.audit import AuditEvent
from isms.auth.models import Role, User
from isms.db import db

NEW = "a brand new passphrase"


def _second_client(app, user):
    other = app.test_client()
    assert other.post("/login", data={"email": user.email,
                                      "password": user.password}).status_code == 302
    assert other.get("/controls").status_code == 200
    return other


def test_sign_in_starts_a_new_session(client, make_user):
    user = make_user(Role.OWNER)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker before sign-in"
    client.post("/login", data={"email": user.email, "password": user.password})
    with client.session_transaction() as session:
        assert "planted" not in session and session["_user_id"].startswith(f"{user.id}:")


def test_changing_the_password_needs_the_current_one(app, client, login_as):
    user = login_as(Role.OWNER)
    wrong = client.post("/account/password", data={"current": "not it", "new": NEW,
                                                   "confirm": NEW})
    assert wrong.status_code == 422
    assert "The current password is not right." in wrong.get_data(as_text=True)
    short = client.post("/account/password", data={"current": user.password, "new": "short",
                                                   "confirm": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).check_password(user.password)


def test_a_password_change_ends_other_sessions_and_renews_this_one(app, client, login_as):
    user = login_as(Role.OWNER)
    other = _second_client(app, user)
    with client.session_transaction() as session:
        before = session["_user_id"]
    response = client.post("/account/password", data={"current": user.password, "new": NEW,
                                                      "confirm": NEW})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session["_user_id"] != before
    assert client.get("/controls").status_code == 200
    assert other.get("/controls").status_code == 302
    assert client.post("/logout").status_code == 302
    old = client.post("/login", data={"email": user.email, "password": user.password})
    assert "Invalid email or password." in old.get_data(as_text=True)
    assert client.post("/login", data={"email": user.email, "password": NEW}).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).filter_by(
            action="user.password_change")).one()


def test_an_admin_reset_shows_a_temporary_password_once_and_forces_a_change(
        app, client, make_user, login):
    owner = make_user(Role.OWNER)
    victim_session = _second_client(app, owner)
    login(make_user(Role.ADMIN))
    response = client.post(f"/users/{owner.id}/password")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    temporary = re.search(r'<code class="secret">([^<]+)</code>',
                          response.get_data(as_text=True)).group(1)
    assert victim_session.get("/controls").status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"email": owner.email,
                                       "password": temporary}).status_code == 302
    response = client.get("/controls")
    assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    client.post("/account/password", data={"current": temporary, "new": NEW, "confirm": NEW})
    assert client.get("/controls").status_code == 200
    with app.app_context():
        assert not db.session.get(User, owner.id).must_change_password


def test_a_lead_may_reset_auditors_only(client, make_user, login):
    owner, auditor = make_user(Role.OWNER), make_user(Role.AUDITOR)
    login(make_user(Role.LEAD))
    assert client.post(f"/users/{owner.id}/password").status_code == 403
    assert client.post(f"/users/{auditor.id}/password").status_code == 200


def test_the_cli_resets_a_password(app, client, runner, make_user):
    owner = make_user(Role.OWNER)
    result = runner.invoke(args=["user", "reset-password", owner.email.upper()])
    assert result.exit_code == 0, result.output
    temporary = re.search(r"Temporary password for \S+: (\S+)", result.output).group(1)
    assert client.post("/login", data={"email": owner.email,
                                       "password": temporary}).status_code == 302
    missing = runner.invoke(args=["user", "reset-password", "nobody@example.com"])
    assert missing.exit_code == 1 and "No user with the email" in missing.output
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).filter_by(
            action="user.password_reset", actor=f"cli:{getpass.getuser()}")).one()
