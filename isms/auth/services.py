"""Create users, check passwords, keep auditor windows consistent."""

import hashlib
import secrets
from datetime import date, timedelta
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from isms.audit import record_event
from isms.auth.models import Role, User
from isms.db import db, utcnow

MIN_PASSWORD_LENGTH = 12
DEFAULT_AUDITOR_DAYS = 30


class UserError(ValueError):
    """A user could not be created or changed; the message says why."""


def normalise_email(email: str) -> str:
    """Return the email trimmed and lower-cased, the form it is stored in."""
    return email.strip().lower()


def get_user_by_email(email: str) -> User | None:
    """Return the user with this email, if any."""
    return db.session.scalars(
        select(User).where(User.email == normalise_email(email))
    ).first()


def check_password_rules(password: str) -> None:
    """Refuse passwords that are too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")


def auditor_window(today: date, valid_from: date | None, valid_until: date | None):
    """Return an auditor's (from, until), defaulting to today and 30 days ahead."""
    start = valid_from or today
    end = valid_until or start + timedelta(days=DEFAULT_AUDITOR_DAYS)
    if end < start:
        raise UserError("The access window ends before it starts.")
    return start, end


def create_user(
    email: str, role: Role, password: str, *, actor: str, name: str = "",
    valid_from: date | None = None, valid_until: date | None = None, today: date | None = None,
    is_demo: bool = False,
) -> User:
    """Add a user (the caller commits); auditors always get an access window."""
    email = normalise_email(email)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise UserError(f"{email} is not a valid email address: {error}") from error
    if get_user_by_email(email) is not None:
        raise UserError(f"A user with the email {email} already exists.")
    check_password_rules(password)
    role = Role(role)
    if role is Role.AUDITOR:
        valid_from, valid_until = auditor_window(today or date.today(), valid_from, valid_until)
    else:
        valid_from = valid_until = None
    user = User(email=email, name=name.strip(), role=role, valid_from=valid_from,
                valid_until=valid_until, is_demo=is_demo)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_event("user.create", "user", user.id, after=user_snapshot(user), actor=actor)
    return user


def set_enabled(user: User, enabled: bool, *, actor: str) -> None:
    """Enable or disable a login (the caller commits)."""
    if user.is_enabled == enabled:
        return
    user.is_enabled = enabled
    user.session_stamp += 1  # every session ends, and re-enabling does not revive them
    record_event("user.enable" if enabled else "user.disable", "user", user.id,
                 before={"is_enabled": not enabled}, after={"is_enabled": enabled}, actor=actor)


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; other sessions end."""
    if not user.check_password(current):
        raise UserError("The current password is not right.")
    check_password_rules(new)
    if new == current:
        raise UserError("Choose a password different from the current one.")
    user.set_password(new)
    user.must_change_password = False
    user.session_stamp += 1
    record_event("user.password_change", "user", user.id, actor=str(user.id))


def reset_password(user: User, *, actor: str) -> str:
    """Give the user a random temporary password to change at next sign-in; return it."""
    temporary = secrets.token_urlsafe(12)
    user.set_password(temporary)
    user.must_change_password = True
    user.session_stamp += 1
    record_event("user.password_reset", "user", user.id, actor=actor)
    return temporary


def password_matches(user: User | None, password: str) -> bool:
    """Check a password; for no user, check it against a dummy hash so both take as long."""
    if user is not None:
        return user.check_password(password)
    method = current_app.config["ISMS_PASSWORD_HASH"]
    dummies = current_app.extensions.setdefault("isms.dummy_hashes", {})
    if method not in dummies:
        dummies[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    check_password_hash(dummies[method], password)
    return False


def note_login(user: User) -> None:
    """Record a successful login."""
    user.last_login_at = utcnow()
    record_event("auth.login", "user", user.id, actor=str(user.id))


def user_snapshot(user: User) -> dict:
    """Return the audited fields of a user (never the password hash)."""
    return {
        "email": user.email, "name": user.name, "role": user.role.value,
        "is_enabled": user.is_enabled, "valid_from": user.valid_from,
        "valid_until": user.valid_until,
    }


def count_non_demo_users() -> int:
    """Return how many real (non-demo) users exist."""
    return db.session.scalar(select(func.count()).select_from(User).where(~User.is_demo))


def list_users() -> list[User]:
    """Return every user, by role then email."""
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))


def list_assignable_owners() -> list[User]:
    """Return the enabled users who may own controls."""
    return list(db.session.scalars(_assignable_owners_statement()))


@cache
def _assignable_owners_statement():
    return (select(User).where(User.is_enabled, User.role.in_([Role.OWNER, Role.LEAD]))
            .order_by(User.name, User.email))


def issue_calendar_token(user: User) -> str:
    """Create a new secret for the user's calendar feed (the old one stops working)."""
    token = secrets.token_urlsafe(32)
    user.calendar_token_hash = hashlib.sha256(token.encode()).hexdigest()
    record_event("user.calendar_token", "user", user.id, after={"issued": True},
                 actor=str(user.id))
    return token


def revoke_calendar_token(user: User) -> None:
    """Make the user's calendar feed URL stop working."""
    user.calendar_token_hash = None
    record_event("user.calendar_token", "user", user.id, after={"issued": False},
                 actor=str(user.id))


def user_for_calendar_token(token: str) -> User | None:
    """Return the enabled user whose feed this token opens, or None."""
    if not token or len(token) > 100:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    user = db.session.scalars(select(User).where(User.calendar_token_hash == digest)).first()
    return user if user is not None and user.is_enabled else None
