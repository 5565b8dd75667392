"""The optional second factor: TOTP codes (RFC 6238) and one-time recovery codes."""

import hashlib
import hmac
import io
import secrets
import time

import pyotp
import segno
from sqlalchemy import delete, or_, select, update

from isms.audit import record_event
from isms.auth.models import RecoveryCode, Role, User
from isms.db import db, utcnow

RECOVERY_CODE_COUNT = 10
# Codes from one step before or after now still count, for clocks a little apart.
ALLOWED_DRIFT_STEPS = 1
ROLES_THAT_MAY_BE_REQUIRED = frozenset({Role.ADMIN, Role.LEAD})


def new_secret() -> str:
    """Return a fresh random base32 secret."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """Return the otpauth:// URI that authenticator apps read."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str) -> bytes:
    """Render the URI as a QR code in SVG."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, border=2)
    return out.getvalue()


def _clean(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """Return the time step a six-digit code belongs to, or None."""
    code = _clean(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(int(now if now is not None else time.time()))
    for candidate in range(step - ALLOWED_DRIFT_STEPS, step + ALLOWED_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def accept_code(user: User, code: str) -> bool:
    """Check a code against the user's secret; each code works once."""
    step = matching_step(user.totp_secret, code) if user.has_totp else None
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    # Claim the step in the database: of two sign-ins sending the same code at once, the
    # second finds the row already moved on and updates nothing.
    claimed = db.session.execute(
        update(User).where(User.id == user.id, or_(User.totp_last_step.is_(None),
                                                   User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.refresh(user)
        return False
    user.totp_last_step = step
    return True


def _hash(code: str) -> str:
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def issue_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with new ones; return them (shown once)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(8)
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
    record_event("user.recovery_codes", "user", user.id, after={"issued": len(codes)},
                 actor=str(user.id))
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one unused recovery code; return False when it does not match one."""
    row = db.session.scalars(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code),
        RecoveryCode.used_at.is_(None))).first()
    if row is None:
        return False
    row.used_at = utcnow()
    record_event("user.recovery_code_used", "user", user.id, actor=str(user.id))
    return True


def count_unused_recovery_codes(user: User) -> int:
    """Return how many recovery codes the user has left."""
    return len(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def enable_totp(user: User, secret: str, code: str) -> list[str] | None:
    """Turn the second factor on if the code proves the app holds the secret."""
    step = matching_step(secret, code)
    if step is None:
        return None
    user.totp_secret, user.totp_last_step = secret, step
    record_event("user.totp_enable", "user", user.id, after={"totp": True},
                 actor=str(user.id))
    return issue_recovery_codes(user)


def disable_totp(user: User, *, actor: str) -> None:
    """Turn the second factor off and drop the recovery codes."""
    if not user.has_totp:
        return
    user.totp_secret = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record_event("user.totp_disable", "user", user.id, after={"totp": False}, actor=actor)


def is_totp_required(user: User, require_for_staff: bool) -> bool:
    """Say whether the organisation makes this user sign in with a second factor."""
    return require_for_staff and user.role in ROLES_THAT_MAY_BE_REQUIRED
