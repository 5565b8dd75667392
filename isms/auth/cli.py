"""`isms user ...` commands."""

import sys

import click
from flask.cli import AppGroup

from isms.actors import as_option, cli_actor
from isms.auth.guard import local_today
from isms.auth.models import Role, TokenScope
from isms.auth.scope import ScopeError, expand_scope, set_scope
from isms.auth.services import UserError, create_user, get_user_by_email, reset_password
from isms.auth.tokens import (
    DEFAULT_DAYS,
    MAX_DAYS,
    TokenError,
    create_token,
    list_tokens,
    revoke_token,
)
from isms.auth.totp import disable_totp
from isms.db import db, utcnow
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


token_cli = AppGroup("token", help="Personal access tokens for the API.")


@token_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. the pipeline's name.")
@click.option("--scope", required=True, type=click.Choice([s.value for s in TokenScope]))
@click.option("--expires-days", type=int, default=DEFAULT_DAYS, show_default=True,
              help=f"Days until the token expires (at most {MAX_DAYS}).")
@as_option
def create_token_command(email, name, scope, expires_days, as_email):
    """Create a token for a user and print its secret, once."""
    user = get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    if not user.is_enabled:
        raise click.ClickException(f"{user.email} is disabled.")
    try:
        token = create_token(user, name, scope, expires_days,
                             actor=cli_actor(as_email, USER_ADMINS))
    except TokenError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(token.secret)
    click.echo(f"Token '{token.name}' ({token.scope}) for {user.email}, expires "
               f"{token.expires_at:%Y-%m-%d}. It is shown only now.", err=True)


@token_cli.command("list")
@click.argument("email")
def list_tokens_command(email):
    """List a user's tokens: name, scope, expiry, last use, state."""
    user = get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    now = utcnow()
    for token in list_tokens(user.id):
        state = ("revoked" if token.revoked_at else "live" if token.is_live(now) else "expired")
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        click.echo(f"{token.id}\t{token.name}\t{token.scope.value}\t{state}\t"
                   f"expires {token.expires_at:%Y-%m-%d}\tlast used {used}")


@token_cli.command("revoke")
@click.argument("email")
@click.option("--name", required=True, help="The token's name.")
@as_option
def revoke_token_command(email, name, as_email):
    """Revoke a user's live tokens of this name."""
    user = get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    actor = cli_actor(as_email, USER_ADMINS)
    revoked = [t for t in list_tokens(user.id)
               if t.name == name and revoke_token(t, actor=actor)]
    if not revoked:
        raise click.ClickException(f"{user.email} has no live token named '{name}'.")
    db.session.commit()
    click.echo(f"Revoked {len(revoked)} token(s) named '{name}'.")
