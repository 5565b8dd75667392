"""Who an audit event names when no one is signed in: `--as EMAIL` or `cli:<os user>`."""

import getpass

import click
from sqlalchemy import func, select

from isms.audit import actor_of
from isms.auth.models import Role, User
from isms.db import db

AS_HELP = "Record this user (who must exist and hold a role allowed to do it) as the actor."


def as_option(command):
    """Add `--as EMAIL` to a CLI command that changes state."""
    return click.option("--as", "as_email", default=None, metavar="EMAIL", help=AS_HELP)(command)


def cli_user(as_email: str | None, roles) -> User | None:
    """The user named by `--as`, checked to exist, be enabled and hold one of `roles`."""
    if not as_email:
        return None
    user = db.session.scalar(select(User).where(
        func.lower(User.email) == as_email.strip().lower()))
    if user is None:
        raise click.BadParameter(f"No user has the email {as_email}.", param_hint="--as")
    if not user.is_enabled:
        raise click.BadParameter(f"{as_email} is disabled.", param_hint="--as")
    allowed = tuple(Role(r) for r in roles)
    if user.role not in allowed:
        names = ", ".join(r.value for r in allowed)
        raise click.BadParameter(f"{as_email} is {user.role.value}; this needs {names}.",
                                 param_hint="--as")
    return user


def cli_actor(as_email: str | None, roles) -> str:
    """The audit actor for a CLI command: the `--as` user's id, else `cli:<os user>`."""
    user = cli_user(as_email, roles)
    return actor_of(user) if user else f"cli:{os_user()}"


def os_user() -> str:
    """The operating-system account running the command."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "unknown"
