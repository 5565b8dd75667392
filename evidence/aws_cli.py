"""`isms aws ...`: add a connection, collect evidence now."""

import click
from flask.cli import AppGroup

from evidence.aws_services import (
    ConnectionValues,
    collect,
    get_connection_by_name,
    list_connections,
    save_connection,
)
from evidence.services import EvidenceError
from isms.api import Role, as_option, cli_actor, db, get_user_by_email, local_today

aws_cli = AppGroup("aws", help="Automated AWS evidence.")
MANAGERS = (Role.LEAD, Role.ADMIN)


@aws_cli.command("collect")
@click.option("--connection", "name", default=None, help="Only this connection.")
@as_option
def collect_command(name, as_email):
    """Read every check on each enabled connection (or one) and store the snapshots."""
    actor = cli_actor(as_email, MANAGERS)
    if name:
        connection = get_connection_by_name(name)
        if connection is None:
            raise click.ClickException(f"No AWS connection named {name!r}.")
        connections = [connection]
    else:
        connections = list_connections(enabled_only=True)
    if not connections:
        raise click.ClickException("No AWS connection is configured.")
    failed = False
    for connection in connections:
        run = collect(connection, local_today(), trigger="cli", audit_actor=actor)
        db.session.commit()
        click.echo(f"{connection.name} ({connection.account_id}): {run.status}. {run.message}")
        failed |= run.status == "error"
    if failed:
        raise SystemExit(1)


@aws_cli.command("add-connection")
@click.argument("name")
@click.option("--account", "account_id", required=True, help="12-digit account id.")
@click.option("--regions", required=True, help="Comma-separated, e.g. eu-west-1,us-east-1.")
@click.option("--owner", "owner_email", required=True, help="Owner of the collected evidence.")
@click.option("--profile", default="", help="Named profile; default: the default chain.")
@click.option("--role-arn", default="", help="Role to assume in the account.")
@click.option("--external-id", default="", help="External id the role expects.")
@as_option
def add_connection_command(name, account_id, regions, owner_email, profile, role_arn,
                           external_id, as_email):
    """Add an AWS connection; credentials stay in the AWS credential chain, never here."""
    actor = cli_actor(as_email, MANAGERS)
    owner = get_user_by_email(owner_email)
    if owner is None:
        raise click.ClickException(f"No user {owner_email}.")
    try:
        connection = save_connection(ConnectionValues(
            name, account_id, regions, owner.id, profile, role_arn, external_id),
            audit_actor=actor)
    except EvidenceError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Added AWS connection {connection.name} for account {connection.account_id}.")
