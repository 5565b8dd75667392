"""`isms evidence import-findings FILE`: Prowler JSON-OCSF or Security Hub ASFF as evidence."""

import json

import click
from flask.cli import with_appcontext

from connectors.aws.findings import FORMATS, FindingsError, import_findings
from connectors.aws.services import get_connection_by_name
from evidence.api import cli_group
from isms.api import db, list_assignable_owners, local_today

ACTOR = "system:cli"


@click.command("import-findings")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", required=True, type=click.Choice(FORMATS))
@click.option("--connection", "name", default=None,
              help="Its owner owns the evidence (default: the first lead or owner).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@with_appcontext
def import_findings_command(path, fmt, name, as_json):
    """Import a findings file: one evidence snapshot per check and account, linked to controls."""
    owner_id = _owner(name)
    try:
        with open(path, "rb") as stream:
            report = import_findings(stream, fmt, owner_id, local_today(), ACTOR)
    except FindingsError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    outcome = {"findings": report.findings, "checks": report.checks,
               "versions_added": report.versions_added, "unchanged": report.unchanged,
               "unmapped": list(report.unmapped)}
    if as_json:
        click.echo(json.dumps(outcome))
    else:
        click.echo(f"{report.findings} findings in {report.checks} checks x accounts: "
                   f"{report.versions_added} new versions, {report.unchanged} unchanged.")
        if report.unmapped:
            click.echo("No control known for: " + ", ".join(report.unmapped))


def _owner(name: str | None) -> int:
    if name:
        connection = get_connection_by_name(name)
        if connection is None:
            raise click.ClickException(f"No AWS connection named {name!r}.")
        return connection.owner_id
    owners = list_assignable_owners()
    if not owners:
        raise click.ClickException("No user may own evidence yet: create a lead or owner.")
    leads = [u for u in owners if u.role.value == "lead"]
    return (leads or owners)[0].id


def add_import_command() -> None:
    """Add `import-findings` to the `isms evidence` group."""
    cli_group().add_command(import_findings_command)
