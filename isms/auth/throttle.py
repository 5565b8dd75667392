"""Failed sign-ins counted in the database, per account and per client address."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import String, bindparam, delete, func, select

from isms.audit import record_event
from isms.auth.models import LoginFailure, User
from isms.db import db, utcnow

# Rows older than this can no longer count towards any window or lockout.
KEEP_FAILURES = timedelta(days=1)


@dataclass(frozen=True)
class Limit:
    column: str
    value: str
    max_failures: int
    since: datetime


def _limits(email: str, ip: str, user: User | None, now: datetime) -> list[Limit]:
    config = current_app.config
    window_start = now - timedelta(minutes=config["ISMS_LOGIN_WINDOW_MINUTES"])
    # A successful sign-in wipes the account's slate (never the address's).
    account_since = max(window_start, user.last_login_at) if user and user.last_login_at \
        else window_start
    return [Limit("email", email, config["ISMS_LOGIN_MAX_FAILURES"], account_since),
            Limit("ip", ip, config["ISMS_LOGIN_MAX_FAILURES_PER_IP"], window_start)]


def _count(limit: Limit) -> tuple[int, datetime | None]:
    return db.session.execute(_count_statement(limit.column),
                              {"value": limit.value, "since": limit.since}).one()


@cache
def _count_statement(column: str):
    """How many failures of one account or address since a time, and the last one's time:
    built once per column (value and time are bound)."""
    return select(func.count().label("failures"),
                  func.max(LoginFailure.at).label("last_failure")).where(
        getattr(LoginFailure, column) == bindparam("value", type_=String),
        LoginFailure.at > bindparam("since", type_=LoginFailure.at.type))


def seconds_locked(email: str, ip: str, user: User | None, now: datetime | None = None) -> int:
    """Return how long sign-ins for this account or from this address stay refused (0: open)."""
    now = now or utcnow()
    lockout = timedelta(minutes=current_app.config["ISMS_LOGIN_LOCKOUT_MINUTES"])
    wait = 0.0
    for limit in _limits(email, ip, user, now):
        count, last = _count(limit)
        if count >= limit.max_failures and last is not None:
            wait = max(wait, (last + lockout - now).total_seconds())
    return math.ceil(wait)


def record_failure(email: str, ip: str, user: User | None, reason: str) -> bool:
    """Count a failed sign-in and audit it; return True when it starts a lockout."""
    now = utcnow()
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - KEEP_FAILURES))
    db.session.add(LoginFailure(at=now, email=email[:254], ip=ip[:64]))
    db.session.flush()
    record_event("auth.login_failed", "login", email[:128], after={"reason": reason},
                 actor="anonymous")
    reached = [limit.column for limit in _limits(email, ip, user, now)
               if _count(limit)[0] == limit.max_failures]
    if reached:
        record_event("auth.lockout", "login", email[:128], actor="anonymous",
                     after={"by": reached, "minutes":
                            current_app.config["ISMS_LOGIN_LOCKOUT_MINUTES"]})
    return bool(reached)


def wait_message(seconds: int) -> str:
    """Say, without naming the reason, how long to wait."""
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed sign-ins. Try again in {minutes} {unit}."


def seconds_address_locked(ip: str, now: datetime | None = None) -> int:
    """Return how long requests from this address stay refused (failed sign-ins and tokens)."""
    now = now or utcnow()
    count, last = _count(Limit("ip", ip, 0, address_window_start(now)))
    return address_wait(count, last, now)


def address_window_start(now: datetime) -> datetime:
    """Failures of an address since this time count towards its lockout."""
    return now - timedelta(minutes=current_app.config["ISMS_LOGIN_WINDOW_MINUTES"])


def address_failures():
    """The failures of the address bound as `ip` since the time bound as `since`: their number
    and the last one's time, as a one-row subquery another statement can read along (the API's
    token look-up does)."""
    return _count_statement("ip").subquery("address_failures")


def address_wait(count: int, last: datetime | None, now: datetime) -> int:
    """Seconds an address with `count` failures in its window, the last at `last`, waits."""
    config = current_app.config
    if count < config["ISMS_LOGIN_MAX_FAILURES_PER_IP"] or last is None:
        return 0
    lockout = timedelta(minutes=config["ISMS_LOGIN_LOCKOUT_MINUTES"])
    return max(0, math.ceil((last + lockout - now).total_seconds()))


def record_token_failure(ip: str, reason: str) -> None:
    """Count a refused API token against its address and audit it (the caller commits)."""
    now = utcnow()
    db.session.add(LoginFailure(at=now, email=TOKEN_FAILURE_EMAIL, ip=ip[:64]))
    db.session.flush()
    record_event("auth.token_failed", "api_token", "-", after={"reason": reason},
                 actor="anonymous")
    limit = _limits("", ip, None, now)[1]
    if _count(limit)[0] == limit.max_failures:
        record_event("auth.lockout", "login", ip[:128], actor="anonymous", after={
            "by": ["ip"], "minutes": current_app.config["ISMS_LOGIN_LOCKOUT_MINUTES"]})


# Failures of API tokens are kept under this pseudo-address so no account is locked by them.
TOKEN_FAILURE_EMAIL = "(api token)"  # noqa: S105 (a label, not a secret)
