"""Tokens: shown once, stored hashed, revoked and expiring; the guard's answers to each."""

from datetime import timedelta

from sqlalchemy import event, select

from isms.audit import AuditEvent
from isms.auth.models import ApiToken, Role
from isms.auth.tokens import TokenLeases, claim_uses, hash_secret, lease_size
from isms.db import db, utcnow


def test_a_token_is_stored_only_as_its_hash(app, make_token):
    token = make_token(Role.LEAD)
    with app.app_context():
        stored = db.session.scalars(select(ApiToken)).one()
        assert stored.secret_hash == hash_secret(token.secret)
        assert token.secret not in (stored.secret_hash, stored.prefix)
        assert token.secret.startswith(stored.prefix)


def test_a_use_updates_last_used(app, make_token, api):
    token = make_token(Role.LEAD)
    assert api.get(token, "/api/v1/controls").status_code == 200
    with app.app_context():
        assert db.session.scalars(select(ApiToken)).one().last_used_at is not None


def test_a_worker_writes_the_rate_count_once_per_claim_of_uses(app, make_token, api):
    app.config["ISMS_API_RATE_LIMIT"] = 200  # claims of 200 // 50 = 4 uses
    token = make_token(Role.LEAD)
    updates = []

    def count(_conn, _cursor, statement, *_):
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            updates.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            codes = [api.get(token, "/api/v1/controls?per_page=1").status_code
                     for _ in range(9)]
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        stored = db.session.scalars(select(ApiToken)).one()
    assert codes == [200] * 9
    assert len(updates) == 3  # uses 1, 5 and 9 claim; the others spend what was claimed
    assert stored.window_count == 12 and stored.last_used_at is not None


def test_workers_sharing_a_token_never_get_more_than_its_limit(app, make_token):
    make_token(Role.LEAD)
    limit, now = 100, utcnow()
    workers = [TokenLeases() for _ in range(3)]
    allowed = refused = 0
    with app.app_context():
        row = db.session.scalars(select(ApiToken)).one()
        for turn in range(150):
            leases = workers[turn % 3]
            if leases.spend(row.id, now):
                allowed += 1
                continue
            granted, wait, started = claim_uses(row, limit, lease_size(limit), now)
            db.session.commit()
            if wait:
                refused += 1
                assert 1 <= wait <= 60
                continue
            allowed += 1
            leases.keep(row.id, started, granted - 1)
        assert allowed <= limit
        # each worker may hold at most lease_size - 1 claimed uses it has not spent
        assert allowed >= limit - 3 * (lease_size(limit) - 1) and refused == 150 - allowed
        # a new window starts afresh, and claimed uses of the old one are not spent in it
        later = now + timedelta(minutes=1)
        assert not any(w.spend(row.id, later) for w in workers)
        assert claim_uses(row, limit, lease_size(limit), later)[:2] == (2, 0)


def test_no_token_is_401_with_a_problem_document(api):
    response = api.get(None, "/api/v1/controls")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_a_cookie_session_without_a_token_gets_401(client, login_as):
    login_as(Role.LEAD)
    assert client.get("/controls").status_code == 200  # the session works on pages
    response = client.get("/api/v1/controls")
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers


def test_a_revoked_token_gets_401(app, make_token, api):
    token = make_token(Role.LEAD)
    with app.app_context():
        db.session.scalars(select(ApiToken)).one().revoked_at = utcnow()
        db.session.commit()
    assert api.get(token, "/api/v1/controls").status_code == 401


def test_an_expired_token_gets_401(app, make_token, api):
    token = make_token(Role.LEAD)
    with app.app_context():
        db.session.scalars(select(ApiToken)).one().expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert api.get(token, "/api/v1/controls").status_code == 401


def test_a_wrong_token_is_audited_and_counts_towards_the_address_lockout(app, api):
    app.config["ISMS_LOGIN_MAX_FAILURES_PER_IP"] = 3
    bad = type("T", (), {"headers": {"Authorization": "Bearer isms_not-a-real-token"}})()
    assert [api.get(bad, "/api/v1/controls").status_code for _ in range(3)] == [401] * 3
    locked = api.get(bad, "/api/v1/controls")
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert client_login_refused(app)
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("auth.token_failed") == 3 and "auth.lockout" in actions


def client_login_refused(app) -> bool:
    """The same address is now refused at the sign-in page too."""
    with app.app_context():
        from isms.auth.throttle import seconds_address_locked

        return seconds_address_locked("127.0.0.1") > 0


def test_a_token_over_its_rate_gets_429_with_retry_after(app, make_token, api):
    app.config["ISMS_API_RATE_LIMIT"] = 3
    token = make_token(Role.LEAD)
    codes = [api.get(token, "/api/v1/controls?per_page=1").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = api.get(token, "/api/v1/controls")
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_the_cli_creates_a_token_that_works(app, runner, make_user, api):
    user = make_user(Role.OWNER)
    result = runner.invoke(args=["token", "create", user.email, "--name", "ci",
                                 "--scope", "read", "--expires-days", "7"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[0]
    token = type("T", (), {"headers": {"Authorization": f"Bearer {secret}"}})()
    assert api.get(token, "/api/v1/controls").status_code == 200
    listed = runner.invoke(args=["token", "list", user.email])
    assert "ci\tread\tlive" in listed.output
    too_long = runner.invoke(args=["token", "create", user.email, "--name", "x",
                                   "--scope", "read", "--expires-days", "400"])
    assert too_long.exit_code != 0 and "365" in too_long.output
    revoked = runner.invoke(args=["token", "revoke", user.email, "--name", "ci"])
    assert revoked.exit_code == 0
    assert api.get(token, "/api/v1/controls").status_code == 401


def test_the_account_page_creates_shows_once_and_revokes(app, client, login_as, api):
    user = login_as(Role.AUDITOR)
    page = client.post("/account/tokens", data={"name": "bi", "scope": "read", "days": "30"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    secret = html.split('<code class="secret">')[1].split("</code>")[0]
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "bi" in listing and secret not in listing
    token = type("T", (), {"headers": {"Authorization": f"Bearer {secret}"}})()
    assert api.get(token, "/api/v1/controls").status_code == 200
    with app.app_context():
        token_id = db.session.scalars(select(ApiToken.id)).one()
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "auditor.view")).all()
    assert any(e.actor == f"{user.id}/token:bi" for e in events)
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert api.get(token, "/api/v1/controls").status_code == 401


def test_a_token_name_is_required_and_days_are_bounded(client, login_as):
    login_as(Role.OWNER)
    page = client.post("/account/tokens", data={"name": "", "scope": "read", "days": "400"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "This field is required" in html and "between 1 and 365" in html


def test_with_a_session_and_a_token_the_token_alone_decides(client, login_as, make_token,
                                                             api):
    login_as(Role.LEAD)
    auditor = make_token(Role.AUDITOR, scope="A.9")
    assert api.get(auditor, "/api/v1/controls/A.5.1.1").status_code == 404
    read = api.get(auditor, "/api/v1/controls/A.9.1.1")
    assert read.status_code == 200 and "Set-Cookie" not in read.headers
    response = api.patch(auditor, "/api/v1/controls/A.9.1.1", json={"notes": "x"})
    assert response.status_code == 403
    assert "Set-Cookie" not in response.headers
