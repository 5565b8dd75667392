"""`isms user ...` commands."""

import sys

import click
from flask.cli import AppGroup

from isms.actors import as_option, cli_actor
from isms.auth.guard import local_today
from isms.auth.models import Role
from isms.auth.scope import ScopeError, expand_scope, set_scope
from isms.auth.services import UserError, create_user, get_user_by_email, reset_password
from isms.auth.totp import disable_totp
from isms.db import db
from isms.org import get_organisation

user_cli = AppGroup("user", help="Manage users.")
USER_ADMINS = (Role.ADMIN,)


@user_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", default="", help="Display name.")
@click.option("--valid-from", type=click.DateTime(["%Y-%m-%d"]), help="Auditors: first day.")
@click.option("--valid-until", type=click.DateTime(["%Y-%m-%d"]), help="Auditors: last day.")
@click.option("--scope", default="all", show_default=True,
              help="Auditors: 'all', or clauses, themes and controls (A.9, A.12.4, ...).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@as_option
def create_command(email, role, name, valid_from, valid_until, scope, password_stdin, as_email):
    """Create a user; auditors get a window (default: today to 30 days ahead)."""
    actor = cli_actor(as_email, USER_ADMINS)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            email, Role(role), password, name=name, actor=actor,
            valid_from=valid_from.date() if valid_from else None,
            valid_until=valid_until.date() if valid_until else None, today=local_today(),
        )
        if user.role is Role.AUDITOR:
            set_scope(user, expand_scope(scope, get_organisation().edition))
    except (UserError, ScopeError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    window = f" (access {user.valid_from} to {user.valid_until})" if user.valid_from else ""
    click.echo(f"Created {user.email} as {user.role.value}{window}.")


@user_cli.command("reset-password")
@click.argument("email")
@click.option("--remove-totp", is_flag=True, help="Also turn the user's second factor off.")
@as_option
def reset_password_command(email, remove_totp, as_email):
    """Give a user a temporary password (printed once) and end their sessions."""
    actor = cli_actor(as_email, USER_ADMINS)
    user = get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    temporary = reset_password(user, actor=actor)
    if remove_totp:
        disable_totp(user, actor=actor)
    db.session.commit()
    click.echo(f"Temporary password for {user.email}: {temporary}")
    click.echo("They must choose a new one when they sign in.")
