"""What doesn't add up: a registry of small consistency checks, shown on /checks.

A check is a plain function `check(today) -> list[Inconsistency]`, registered by the package
that knows the facts (`register_check(app, id, title, func)`); packages above may register
checks that read packages below them. Each finding links to the page where it is fixed.
"""

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, current_app, render_template, url_for
from sqlalchemy import select

from isms.auth.guard import STAFF, allow, local_today
from isms.auth.models import AuditorScope, Role, User
from isms.db import db

bp = Blueprint("checks", __name__)


@dataclass(frozen=True)
class Inconsistency:
    message: str
    url: str
    link_text: str = "Fix it"


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    func: object  # (today: date) -> list[Inconsistency]


@dataclass(frozen=True)
class CheckResult:
    check: Check
    found: tuple[Inconsistency, ...]


def register_check(app, check_id: str, title: str, func) -> None:
    """Add a consistency check (ids are unique; registering again replaces it)."""
    checks = app.extensions.setdefault("isms.checks", {})
    checks[check_id] = Check(check_id, title, func)


def list_checks() -> list[Check]:
    return list(current_app.extensions.get("isms.checks", {}).values())


def run_checks(today: date | None = None) -> list[CheckResult]:
    """Run every registered check, in registration order."""
    today = today or local_today()
    return [CheckResult(check, tuple(check.func(today))) for check in list_checks()]


@bp.route("/checks")
@allow(STAFF)
def index():
    """List every contradiction the checks find, each linking to what to fix."""
    results = run_checks()
    return render_template("checks/index.html", results=results,
                           total=sum(len(r.found) for r in results))


def init_app(app) -> None:
    """Register /checks; the checks themselves come from the feature packages."""
    app.register_blueprint(bp)
    register_check(app, "auditor-scope", "Auditors with open access but no scope",
                   auditors_without_scope)


def auditors_without_scope(today: date) -> list[Inconsistency]:
    """An auditor whose access window is open but who may see no control."""
    scoped = select(AuditorScope.user_id).distinct()
    found = []
    for user in db.session.scalars(select(User).where(
            User.role == Role.AUDITOR, User.is_enabled, User.id.not_in(scoped))
            .order_by(User.email)):
        if user.is_within_window(today):
            found.append(Inconsistency(
                f"{user.display_name}'s access is open"
                f"{f' until {user.valid_until}' if user.valid_until else ''} but they have "
                "no controls in scope.", url_for("auth.users") + f"#user-{user.id}",
                "Set their scope"))
    return found
