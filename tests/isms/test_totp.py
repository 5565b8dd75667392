"""The optional second factor: enrolment, sign-in with codes, recovery codes, the org setting."""

import re
import time

import pyotp
from sqlalchemy import select

from isms.audit import AuditEvent
from isms.auth.models import RecoveryCode, Role, User
from isms.db import db
from isms.org import get_organisation


def _enrol(client) -> tuple[str, list[str]]:
    page = client.get("/account/totp").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    assert f"secret={secret}" in page  # the otpauth:// URI for the app
    response = client.post("/account/totp", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</code>",
                       response.get_data(as_text=True))
    return secret, codes


def _next_code(secret: str) -> str:
    """The next step's code: accepted now (one step of drift), and unused by the enrolment."""
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(time.time()) + 1)


def _password_step(client, user):
    response = client.post("/login", data={"email": user.email, "password": user.password})
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"


def test_enrolment_needs_a_right_code_and_shows_ten_recovery_codes(app, client, login_as):
    user = login_as(Role.OWNER)
    page = client.get("/account/totp").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    wrong = client.post("/account/totp", data={"code": "000000"})
    assert wrong.status_code == 422 and "does not match" in wrong.get_data(as_text=True)
    right = client.post("/account/totp", data={"code": pyotp.TOTP(secret).now()})
    assert right.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([0-9a-f-]{19})</code>", right.get_data(as_text=True))
    assert len(set(codes)) == 10
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.totp_secret == secret
        hashes = db.session.scalars(select(RecoveryCode.code_hash)
                                    .filter_by(user_id=user.id)).all()
        assert len(hashes) == 10 and not set(codes) & set(hashes)  # only hashes are kept


def test_the_qr_code_is_an_svg_from_this_site(client, login_as):
    login_as(Role.OWNER)
    page = client.get("/account/totp").get_data(as_text=True)
    assert '<img src="/account/totp/qr.svg"' in page
    response = client.get("/account/totp/qr.svg")
    assert response.mimetype == "image/svg+xml"
    assert response.data.lstrip().startswith(b"<?xml") and b"<script" not in response.data


def test_sign_in_asks_for_the_code_after_the_password(client, login_as):
    user = login_as(Role.LEAD)
    secret, _ = _enrol(client)
    client.post("/logout")
    _password_step(client, user)
    assert client.get("/controls").status_code == 302  # not signed in yet
    wrong = client.post("/login/code", data={"code": "123456"})
    assert wrong.status_code == 422 and "That code is not right." in wrong.get_data(as_text=True)
    response = client.post("/login/code", data={"code": _next_code(secret)})
    assert response.status_code == 302
    assert client.get("/controls").status_code == 200


def test_a_code_works_only_once(client, login_as):
    user = login_as(Role.OWNER)
    secret, _ = _enrol(client)
    client.post("/logout")
    code = _next_code(secret)
    _password_step(client, user)
    assert client.post("/login/code", data={"code": code}).status_code == 302
    client.post("/logout")
    _password_step(client, user)
    assert client.post("/login/code", data={"code": code}).status_code == 422


def test_a_recovery_code_signs_in_once(app, client, login_as):
    user = login_as(Role.OWNER)
    _, codes = _enrol(client)
    client.post("/logout")
    _password_step(client, user)
    assert client.post("/login/code", data={"code": codes[3].upper()}).status_code == 302
    client.post("/logout")
    _password_step(client, user)
    assert client.post("/login/code", data={"code": codes[3]}).status_code == 422
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "user.recovery_code_used" in actions and "user.totp_enable" in actions


def test_wrong_codes_count_towards_the_lockout(client, login_as):
    user = login_as(Role.OWNER)
    secret, _ = _enrol(client)
    client.post("/logout")
    _password_step(client, user)
    for _ in range(10):
        assert client.post("/login/code", data={"code": "000000"}).status_code == 422
    response = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 429
    assert client.get("/controls").status_code == 302


def test_the_code_step_expires_with_the_pending_sign_in(client, login_as, monkeypatch):
    user = login_as(Role.OWNER)
    secret, _ = _enrol(client)
    client.post("/logout")
    _password_step(client, user)
    later = time.time() + 301
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.post("/login/code", data={"code": pyotp.TOTP(secret).at(later)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_the_organisation_can_require_it_for_admins_and_leads(app, client, make_user, login):
    lead, owner = make_user(Role.LEAD), make_user(Role.OWNER)
    login(lead)
    response = client.post("/settings", data={"name": "Test organisation", "scope": "",
                                              "timezone": "Europe/Brussels",
                                              "require_totp": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert get_organisation().require_totp
    response = client.get("/controls")
    assert response.status_code == 302 and response.headers["Location"] == "/account/totp"
    _enrol(client)
    assert client.get("/controls").status_code == 200
    # Once required, the lead cannot turn it off.
    assert client.post("/account/totp/disable",
                       data={"password": lead.password}).status_code == 403
    client.post("/logout")
    login(owner)
    assert client.get("/controls").status_code == 200  # owners are not required


def test_a_user_may_turn_an_optional_second_factor_off_with_their_password(app, client,
                                                                            login_as):
    user = login_as(Role.OWNER)
    _enrol(client)
    client.post("/account/totp/disable", data={"password": "wrong"})
    with app.app_context():
        assert db.session.get(User, user.id).has_totp
    client.post("/account/totp/disable", data={"password": user.password})
    with app.app_context():
        assert not db.session.get(User, user.id).has_totp
        assert not db.session.scalars(select(RecoveryCode).filter_by(user_id=user.id)).all()
