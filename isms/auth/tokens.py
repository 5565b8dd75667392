"""Personal access tokens: created for a user, shown once, stored hashed, revoked, expiring.

A token's secret carries 256 random bits, so one SHA-256 of it is enough to store: nobody can
search that space, and a slow password hash would only slow every API request down.
"""

import hashlib
import math
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, literal, select, update

from isms.audit import record_event
from isms.auth.models import ApiToken, TokenScope, User
from isms.db import UTCDateTime, db, utcnow

SECRET_PREFIX = "isms_"  # noqa: S105 (a marker that makes leaked tokens easy to scan for)
DEFAULT_DAYS = 90
MAX_DAYS = 365
NAME_LENGTH = 40
RATE_WINDOW = timedelta(minutes=1)
LEASE_SHARE = 50  # a worker claims a fiftieth of a token's rate limit at a time


class TokenError(ValueError):
    """A token could not be created or changed; `field` names the input at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NewToken:
    id: int
    name: str
    scope: str
    expires_at: datetime
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    """Return the stored form of a token's secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_actor(token: ApiToken) -> str:
    """The audit actor of a token's requests: the user's id and the token's name."""
    return f"{token.user_id}/token:{token.name}"[:64]


def create_token(user: User, name: str, scope: str, days: int | None = None, *,
                 actor: str, now: datetime | None = None) -> NewToken:
    """Create a token for a user (the caller commits); the secret is returned only here."""
    now = now or utcnow()
    name = (name or "").strip()
    if not name:
        raise TokenError("Name the token, e.g. after the pipeline that uses it.", "name")
    if len(name) > NAME_LENGTH or any(ord(c) < 32 for c in name):
        raise TokenError(f"Token names are at most {NAME_LENGTH} printable characters.", "name")
    if scope not in {s.value for s in TokenScope}:
        raise TokenError("The scope is read or write.", "scope")
    days = DEFAULT_DAYS if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"A token lasts from 1 to {MAX_DAYS} days.", "days")
    if db.session.scalar(select(ApiToken.id).where(
            ApiToken.user_id == user.id, ApiToken.name == name, ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now)) is not None:
        raise TokenError("You already have a live token with this name.", "name")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, scope=TokenScope(scope),
                     secret_hash=hash_secret(secret), prefix=secret[:12], created_at=now,
                     expires_at=now + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    record_event("token.create", "user", user.id, actor=actor, after={
        "token_id": token.id, "name": name, "scope": scope, "expires_at": token.expires_at})
    return NewToken(token.id, name, scope, token.expires_at, secret)


def list_tokens(user_id: int) -> list[ApiToken]:
    """Return a user's tokens, newest first (revoked and expired ones too)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                   .order_by(ApiToken.id.desc())))


def revoke_token(token: ApiToken, *, actor: str) -> bool:
    """Revoke a token (the caller commits); return False if it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record_event("token.revoke", "user", token.user_id, actor=actor,
                 after={"token_id": token.id, "name": token.name})
    return True


def may_be_secret(secret: str) -> bool:
    """Say whether a string is shaped like a token's secret (else it is not looked up)."""
    return secret.startswith(SECRET_PREFIX) and len(secret) <= 100


def token_usable(token: ApiToken | None, now: datetime) -> bool:
    """A token signs requests in while it is live and its user enabled and settled (no
    password change pending)."""
    if token is None or not token.is_live(now):
        return False
    user = token.user
    return user is not None and user.is_enabled and not user.must_change_password


def claim_uses(token: ApiToken, limit: int, slots: int, now: datetime | None = None
               ) -> tuple[int, int, datetime]:
    """Claim up to `slots` uses of the token's current rate window (the caller commits).

    Return how many were granted (0 when the window is full), the seconds to wait when none
    was, and the window's start. One UPDATE ... RETURNING, so every worker counts against
    the same row and no window ever grants more than `limit` uses in all.
    """
    now = now or utcnow()
    fresh = (ApiToken.window_start.is_(None)) | (ApiToken.window_start <= now - RATE_WINDOW)
    count, started = db.session.execute(
        update(ApiToken).where(ApiToken.id == token.id)
        .values(last_used_at=now,
                window_start=case((fresh, literal(now, UTCDateTime())),
                                  else_=ApiToken.window_start),
                window_count=case((fresh, slots), else_=ApiToken.window_count + slots))
        .returning(ApiToken.window_count, ApiToken.window_start)
        .execution_options(synchronize_session=False)).one()
    granted = max(0, min(slots, limit - (count - slots)))
    if granted:
        return granted, 0, started
    return 0, max(1, math.ceil((started + RATE_WINDOW - now).total_seconds())), started


def lease_size(limit: int) -> int:
    """How many uses a worker claims at once: a fiftieth of the limit (one for small limits).

    A worker may hold up to that many minus one unused when a window ends, so a token spread
    over several workers can be refused that many requests per worker before its limit; it
    never gets more than the limit."""
    return max(1, limit // LEASE_SHARE)


class TokenLeases:
    """The uses a worker process has claimed from its tokens' rate windows and not spent.

    A request spends one of them without writing to the database; only claiming writes (the
    rate window's count and the token's last use), so a busy token is written once every
    `lease_size` requests per worker, and at least once per rate window."""

    def __init__(self):
        self._lock = threading.Lock()
        self._left: dict[int, tuple[datetime, int]] = {}  # token id -> (window start, uses)

    def spend(self, token_id: int, now: datetime) -> bool:
        """Spend one claimed use of the token's window; False when none is left."""
        with self._lock:
            started, left = self._left.get(token_id, (None, 0))
            if not left or started + RATE_WINDOW <= now:
                return False
            self._left[token_id] = (started, left - 1)
            return True

    def keep(self, token_id: int, started: datetime, uses: int) -> None:
        """Keep uses claimed from the window that started at `started`."""
        with self._lock:
            if uses > 0:
                self._left[token_id] = (started, uses)
            else:
                self._left.pop(token_id, None)
