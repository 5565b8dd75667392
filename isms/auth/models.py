"""Users and roles."""

from datetime import date, datetime
from enum import StrEnum
from functools import cache

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    bindparam,
    false,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from isms.db import UTCDateTime, db, enum_column, utcnow
from isms.org import Organisation, keep_organisation


class Role(StrEnum):
    ADMIN = "admin"
    LEAD = "lead"
    OWNER = "owner"
    AUDITOR = "auditor"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), nullable=False)
    is_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Auditors only: the dates (inclusive, organisation time zone) they may log in.
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SHA-256 of the secret in the user's calendar feed URL; empty when revoked.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Raised on every password change or reset; sessions carrying an older stamp end.
    session_stamp: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                               server_default="0")
    # Set by an admin's reset: the user must choose a new password before anything else.
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                       server_default=false())
    # The base32 TOTP secret once enrolment is confirmed; None means no second factor.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last time step a code was accepted for, so one code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    def get_id(self) -> str:
        # Flask-Login keeps this in the session; a new stamp makes old sessions invalid.
        return f"{self.id}:{self.session_stamp}"

    @property
    def has_totp(self) -> bool:
        return self.totp_secret is not None

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def set_password(self, password: str) -> None:
        method = current_app.config["ISMS_PASSWORD_HASH"] if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def is_within_window(self, today: date) -> bool:
        """Say whether an auditor may use the tracker on this local date."""
        if self.role is not Role.AUDITOR:
            return True
        if self.valid_from and today < self.valid_from:
            return False
        return not (self.valid_until and today > self.valid_until)

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


def load_user(session_id: str) -> User | None:
    """Return the enabled user a session's "id:stamp" names, if the stamp is still current.

    The organisation comes in the same statement (every page needs it), and is kept for
    `get_organisation`."""
    user_id, _, stamp = (session_id or "").partition(":")
    if not user_id.isdigit() or len(user_id) > 18:
        return None
    row = db.session.execute(_user_and_organisation(), {"id": int(user_id)}).first()
    if row is None:
        return None
    user, org = row
    if org is not None:
        keep_organisation(org)
    if not user.is_enabled or str(user.session_stamp) != stamp:
        return None
    return user


@cache
def _user_and_organisation():
    return (select(User, Organisation).outerjoin(Organisation, true())
            .where(User.id == bindparam("id")).order_by(Organisation.id).limit(1))


class AuditorScope(db.Model):
    """One control an auditor may see, by catalog id (either edition)."""

    __tablename__ = "auditor_scopes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    control_id: Mapped[str] = mapped_column(String(16), primary_key=True)


class RecoveryCode(db.Model):
    """A one-time code that stands in for the second factor; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(db.Model):
    """One failed sign-in, kept in the database so every worker counts the same failures."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False, index=True)
    ip: Mapped[str] = mapped_column(String(64), nullable=False, index=True)


class TokenScope(StrEnum):
    READ = "read"
    WRITE = "write"


class ApiToken(db.Model):
    """A personal access token for /api/v1; only the SHA-256 of its secret is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    scope: Mapped[TokenScope] = mapped_column(enum_column(TokenScope, "token_scope"),
                                              nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # The first characters of the secret, shown in lists so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The per-token rate limit: requests counted in the window that started at window_start.
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                              server_default="0")

    user: Mapped[User] = relationship(lazy="raise")

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
