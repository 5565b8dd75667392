"""Failed sign-ins are counted in the database per account and per client address."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from isms.audit import AuditEvent
from isms.auth.models import LoginFailure, Role
from isms.db import db

WRONG = {"password": "not the password"}


def _fail(client, email, ip="127.0.0.1", **headers):
    return client.post("/login", data={"email": email, **WRONG},
                       environ_base={"REMOTE_ADDR": ip}, headers=headers)


def _events(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).filter_by(action=action)).all()


def test_the_eleventh_failure_within_the_window_gets_429_with_the_wait(app, client, make_user):
    user = make_user(Role.OWNER)
    for _ in range(10):
        response = _fail(client, user.email)
        assert response.status_code == 200
        assert "Invalid email or password." in response.get_data(as_text=True)
    response = _fail(client, user.email)
    assert response.status_code == 429
    assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-ins. Try again in 15 minutes." in response.get_data(as_text=True)
    assert len(_events(app, "auth.login_failed")) == 10
    [lockout] = _events(app, "auth.lockout")
    assert lockout.object_id == user.email and lockout.after["by"] == ["email"]


def test_a_correct_password_during_the_lockout_does_not_sign_in(client, make_user):
    user = make_user(Role.LEAD)
    for _ in range(10):
        _fail(client, user.email)
    response = client.post("/login", data={"email": user.email, "password": user.password})
    assert response.status_code == 429
    assert client.get("/controls").status_code == 302


def test_the_lockout_ends_after_its_minutes(app, client, make_user):
    user = make_user(Role.OWNER)
    for _ in range(10):
        _fail(client, user.email)
    assert _fail(client, user.email).status_code == 429
    with app.app_context():  # let sixteen minutes pass for the stored failures
        for failure in db.session.scalars(select(LoginFailure)):
            failure.at -= timedelta(minutes=16)
        db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": user.password})
    assert response.status_code == 302


def test_unknown_emails_are_locked_the_same_way(client):
    for _ in range(10):
        assert _fail(client, "nobody@example.com").status_code == 200
    assert _fail(client, "nobody@example.com").status_code == 429


def test_a_successful_sign_in_clears_the_account_count(client, make_user):
    user = make_user(Role.OWNER)
    for _ in range(9):
        _fail(client, user.email)
    assert client.post("/login", data={"email": user.email,
                                       "password": user.password}).status_code == 302
    client.post("/logout")
    for _ in range(9):
        assert _fail(client, user.email).status_code == 200


def test_failures_from_one_address_lock_that_address_for_every_account(app, client, make_user):
    app.config["ISMS_LOGIN_MAX_FAILURES_PER_IP"] = 3
    user = make_user(Role.OWNER)
    for n in range(3):
        assert _fail(client, f"guess{n}@example.com", ip="10.0.0.7").status_code == 200
    refused = client.post("/login", data={"email": user.email, "password": user.password},
                          environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert refused.status_code == 429
    [lockout] = _events(app, "auth.lockout")
    assert lockout.after["by"] == ["ip"] and lockout.ip == "10.0.0.7"
    elsewhere = client.post("/login", data={"email": user.email, "password": user.password},
                            environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert elsewhere.status_code == 302


def test_x_forwarded_for_is_ignored_unless_a_trusted_proxy_sends_it(app, client):
    app.config["ISMS_LOGIN_MAX_FAILURES_PER_IP"] = 3
    for n in range(3):
        _fail(client, f"a{n}@example.com", ip="10.0.0.7", **{"X-Forwarded-For": f"192.0.2.{n}"})
    # A client cannot dodge the address limit by inventing a forwarded address.
    spoofed = _fail(client, "b@example.com", ip="10.0.0.7", **{"X-Forwarded-For": "192.0.2.99"})
    assert spoofed.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_address_counts(app, client):
    app.config.update(ISMS_LOGIN_MAX_FAILURES_PER_IP=3, ISMS_TRUSTED_PROXIES="10.0.0.0/24")
    proxy = "10.0.0.1"
    for n in range(3):  # the client put a fake hop first; the proxy appended the real one
        _fail(client, f"a{n}@example.com", ip=proxy,
              **{"X-Forwarded-For": f"198.51.100.{n}, 203.0.113.5"})
    assert _fail(client, "b@example.com", ip=proxy,
                 **{"X-Forwarded-For": "203.0.113.5"}).status_code == 429
    assert _fail(client, "c@example.com", ip=proxy,
                 **{"X-Forwarded-For": "203.0.113.6"}).status_code == 200
    assert {e.ip for e in _events(app, "auth.login_failed")} == {"203.0.113.5", "203.0.113.6"}


def test_a_malformed_proxy_list_stops_the_app_from_starting(app):
    from isms import create_app

    with pytest.raises(ValueError):
        create_app({"ISMS_DATABASE_URL": "sqlite://", "ISMS_SECRET_KEY": "x",
                    "ISMS_TRUSTED_PROXIES": "10.0.0.0/33"})


def test_the_limits_come_from_configuration(app, client, make_user):
    app.config.update(ISMS_LOGIN_MAX_FAILURES=2, ISMS_LOGIN_LOCKOUT_MINUTES=1)
    user = make_user(Role.OWNER)
    _fail(client, user.email)
    _fail(client, user.email)
    response = _fail(client, user.email)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) <= 60
    assert "Try again in 1 minute." in response.get_data(as_text=True)
