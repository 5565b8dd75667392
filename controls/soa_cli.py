"""`isms soa ...`: export (and, with the importer, import) the SoA."""

import click
from flask.cli import AppGroup

from controls.soa import soa_rows
from controls.soa_versions import cover_rows
from controls.soa_workbook import write_workbook
from isms.api import EDITIONS, get_organisation

soa_cli = AppGroup("soa", help="Statement of Applicability.")


@soa_cli.command("export")
@click.option("--edition", type=click.Choice(EDITIONS), default=None,
              help="Edition to export (default: the organisation's).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False))
def export_command(edition, out_path):
    """Write the current SoA workbook to a file."""
    edition = edition or get_organisation().edition
    if not soa_rows(edition):
        raise click.ClickException(f"No decisions are recorded for the {edition} edition.")
    with open(out_path, "wb") as out:
        write_workbook(out, edition, cover_rows(None))
    click.echo(f"Wrote the {edition} SoA to {out_path}.")
