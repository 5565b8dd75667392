"""Every page carries strict policies; idle sessions end."""

import time

import pytest

from isms.auth.models import Role


@pytest.mark.parametrize("url", ["/login", "/controls/A.5.1.1"])
def test_pages_carry_the_security_policies(client, login_as, url):
    if url != "/login":
        login_as(Role.OWNER)
    response = client.get(url)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http here
    cookie = response.headers.get("Set-Cookie", "")
    if cookie:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_https_deployments_get_hsts_and_secure_cookies(app, client):
    app.config["ISMS_BASE_URL"] = "https://isms.example.com"
    app.config["SESSION_COOKIE_SECURE"] = True
    response = client.get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Secure" in response.headers["Set-Cookie"]


def test_an_idle_session_ends(app, client, login_as, monkeypatch):
    login_as(Role.OWNER)
    assert client.get("/controls").status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get("/controls")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/controls").status_code == 302
