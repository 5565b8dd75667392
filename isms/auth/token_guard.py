"""The guard's half for API routes: a bearer token is the only way in, cookies count for nothing.

The outcome is an HTTP error the API turns into a problem document: 401 for a missing or dead
token (failures count towards the address's lockout), 403 for a role or scope that does not
allow the request, 429 with Retry-After for a locked address or a token over its rate.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask import current_app, g, request
from sqlalchemy import bindparam, select, true
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, TooManyRequests, Unauthorized

from isms.auth.models import ApiToken, Role, TokenScope
from isms.auth.throttle import (
    address_failures,
    address_wait,
    address_window_start,
    record_token_failure,
)
from isms.auth.tokens import (
    TokenLeases,
    claim_uses,
    hash_secret,
    lease_size,
    may_be_secret,
    token_actor,
    token_usable,
)
from isms.db import db, utcnow
from isms.org import Organisation, keep_organisation, local_now
from isms.security import client_ip

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    scope: str
    user_id: int


def _unauthorized(message: str) -> Unauthorized:
    error = Unauthorized(message, www_authenticate=WWWAuthenticate("bearer", {"realm": "isms"}))
    return error


def _too_many(seconds: int, message: str) -> TooManyRequests:
    return TooManyRequests(message, retry_after=seconds)


def bearer_secret() -> str | None:
    """Return the token in `Authorization: Bearer ...`, or None."""
    scheme, _, secret = (request.headers.get("Authorization") or "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def _count_request(token) -> None:
    """Count the request against the token's rate, from this worker's claimed uses when it
    has some left; else claim more (and note the last use) and commit at once, so the count
    holds even if the request fails."""
    now = utcnow()
    leases = current_app.extensions.setdefault("isms_token_leases", TokenLeases())
    if leases.spend(token.id, now):
        return
    limit = current_app.config["ISMS_API_RATE_LIMIT"]
    granted, wait, started = claim_uses(token, limit, lease_size(limit), now)
    db.session.commit()
    if wait:
        raise _too_many(wait, "This token sent too many requests; wait and try again.")
    leases.keep(token.id, started, granted - 1)


def _look_up(secret: str | None, ip: str, now: datetime):
    """Return the address's failures in its window, the last one's time and the token of this
    secret (None if none), read in one statement with the token's user and the organisation
    (kept for `get_organisation`): the API's every request starts here."""
    wanted = hash_secret(secret) if secret and may_be_secret(secret) else ""
    failures, last_failure, token, org = db.session.execute(_look_up_statement(), {
        "value": ip, "since": address_window_start(now), "hash": wanted}).one()
    if org is not None:
        keep_organisation(org)
    return failures, last_failure, token


@cache
def _look_up_statement():
    counted = address_failures()
    return (select(counted.c.failures, counted.c.last_failure, ApiToken, Organisation)
            .select_from(counted)
            .outerjoin(ApiToken, ApiToken.secret_hash == bindparam("hash"))
            .outerjoin(Organisation, true())
            .options(joinedload(ApiToken.user))
            .order_by(Organisation.id).limit(1))


def enforce_token(access) -> None:
    """Sign the request in with its bearer token, or raise the error that refuses it."""
    ip = client_ip()
    now = utcnow()
    secret = bearer_secret()
    failures, last_failure, token = _look_up(secret, ip, now)
    locked = address_wait(failures, last_failure, now)
    if locked:
        raise _too_many(locked, "Too many failed attempts from this address.")
    if secret is None:
        raise _unauthorized("Send a personal access token as 'Authorization: Bearer <token>'.")
    if not token_usable(token, now):
        record_token_failure(ip, "unknown, revoked or expired token")
        db.session.commit()
        raise _unauthorized("The token is unknown, revoked or expired.")
    user = token.user
    if not user.is_within_window(local_now().date()):
        raise _unauthorized("Your auditor access window is closed.")
    g.isms_api_token = TokenInfo(token.id, token.name, token.scope.value, user.id)
    g.isms_actor = token_actor(token)
    _count_request(token)
    g._login_user = user  # Flask-Login's current user for this request only; no session
    if user.role not in access.roles:
        raise Forbidden("Your role does not allow this.")
    if request.method not in SAFE_METHODS and (
            user.role is Role.AUDITOR or g.isms_api_token.scope != TokenScope.WRITE):
        raise Forbidden("This token may only read." if user.role is not Role.AUDITOR
                        else "Auditors read; they do not change anything.")
