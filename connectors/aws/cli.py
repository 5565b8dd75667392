"""`isms aws ...`: add a connection (one account or an organization), collect evidence now."""

import json
import time

import click
from flask import current_app
from flask.cli import AppGroup

from connectors.aws.models import AwsRun
from connectors.aws.queries import run_accounts
from connectors.aws.runs import queue_run, start_run
from connectors.aws.services import (
    DEFAULT_ROLE_NAME,
    ConnectionValues,
    ConnectorError,
    get_connection_by_name,
    list_connections,
    save_connection,
)
from isms.api import Role, as_option, cli_actor, db, drain, get_user_by_email, queue_backend

aws_cli = AppGroup("aws", help="Automated AWS evidence.")
MANAGERS = (Role.LEAD, Role.ADMIN)  # who may be named by --as


@aws_cli.command("collect")
@click.option("--connection", "name", default=None, help="Only this connection.")
@click.option("--json", "as_json", is_flag=True, help="Print each run as JSON.")
@as_option
def collect_command(name, as_json, as_email):
    """Read every check on each enabled connection (or one) and wait for the runs to finish.

    The account x region jobs run in this process (embedded SQLite) or on `isms worker`
    processes (PostgreSQL queue).
    """
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
    app = current_app._get_current_object()
    failed = False
    for connection in connections:
        began = time.monotonic()
        run = start_run(connection, trigger="cli", actor=actor)
        db.session.commit()
        queue_run(run.id)
        run = _wait(app, run.id)
        seconds = round(time.monotonic() - began, 1)
        if as_json:
            click.echo(json.dumps(_as_json(connection.name, run, seconds)))
        else:
            click.echo(f"{connection.name} ({connection.account_id}): {run.status}. "
                       f"{run.message}")
        failed |= run.status == "error"
    if failed:
        raise SystemExit(1)


def _wait(app, run_id: int) -> AwsRun:
    """Wait for a run to close: the in-process pool drains, or the workers finish it."""
    if queue_backend(app) == "threads":
        drain(app)
    while True:
        db.session.expire_all()
        run = db.session.get(AwsRun, run_id)
        if run.status not in ("running", "closing"):
            return run
        db.session.rollback()
        time.sleep(0.5)


def _as_json(name: str, run: AwsRun, seconds: float) -> dict:
    return {"connection": name, "seconds": seconds,
            "accounts": [{"account": a.account_id, "status": a.status, "checks": a.checks,
                          "failed": a.failed, "errors": a.errors}
                         for a in run_accounts(run.id)]}


@aws_cli.command("add-connection")
@click.argument("name")
@click.option("--account", "account_id", required=True,
              help="12-digit account id (an organization's management account).")
@click.option("--regions", required=True, help="Comma-separated, e.g. eu-west-1,us-east-1.")
@click.option("--owner", "owner_email", required=True, help="Owner of the collected evidence.")
@click.option("--profile", default="", help="Named profile; default: the default chain.")
@click.option("--role-arn", default="", help="Role to assume in the account.")
@click.option("--external-id", default="", help="External id the role expects.")
@click.option("--organization", "is_organization", is_flag=True,
              help="Collect every active member account of the organization.")
@click.option("--role-name", default="", help=f"Role assumed in each member account "
                                              f"(default {DEFAULT_ROLE_NAME}).")
@click.option("--include", "include_ids", default="", help="Only these account or OU ids.")
@click.option("--exclude", "exclude_ids", default="", help="Leave out these account or OU ids.")
@as_option
def add_connection_command(name, account_id, regions, owner_email, profile, role_arn,
                           external_id, is_organization, role_name, include_ids, exclude_ids,
                           as_email):
    """Add an AWS connection; credentials stay in the AWS credential chain, never here."""
    actor = cli_actor(as_email, MANAGERS)
    owner = get_user_by_email(owner_email)
    if owner is None:
        raise click.ClickException(f"No user {owner_email}.")
    try:
        connection = save_connection(ConnectionValues(
            name, account_id, regions, owner.id, profile, role_arn, external_id, True,
            is_organization, role_name, include_ids, exclude_ids), audit_actor=actor)
    except ConnectorError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    what = "organization with management account" if is_organization else "account"
    click.echo(f"Added AWS connection {connection.name} for {what} {connection.account_id}.")
