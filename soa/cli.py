"""`isms soa ...`: export (and, with the importer, import) the SoA."""

import click
from flask.cli import AppGroup, with_appcontext

from controls.api import Applicability
from isms.api import (
    EDITIONS,
    Role,
    anchor_head,
    as_option,
    cli_actor,
    cli_user,
    db,
    get_edition,
    get_organisation,
    record_event,
)
from soa.importer import ImportRefused, apply_import, plan_import
from soa.package import stream_package
from soa.rows import soa_rows
from soa.transition import TransitionError, apply_transition, plan_transition
from soa.versions import cover_rows

soa_cli = AppGroup("soa", help="Statement of Applicability.")
DECIDERS = (Role.LEAD,)  # who may change decisions, and so be named by --as


@soa_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@as_option
def import_command(path, dry_run, as_json, as_email):
    """Import the decisions of an SoA workbook, all or nothing, in one transaction."""
    actor = cli_actor(as_email, DECIDERS)
    try:
        plan = plan_import(path)
    except ImportRefused as error:
        raise click.ClickException(f"Nothing was imported: {error}") from error
    if as_json:
        click.echo(plan.to_json())
    else:
        summary = plan.summary()
        click.echo(f"{summary['matched']} controls recognised ({summary['edition']}), "
                   f"{len(plan.changes)} changes, {len(summary['unmatched_rows'])} rows not "
                   f"matched, {len(summary['warnings'])} warnings.")
        for warning in summary["warnings"]:
            click.echo(f"warning: {warning}")
    if dry_run:
        return
    count = apply_import(plan, cli_user(as_email, DECIDERS), audit_actor=actor)
    db.session.commit()
    if not as_json:
        click.echo(f"Imported the decisions on {count} controls.")


@soa_cli.command("export")
@click.option("--edition", type=click.Choice(EDITIONS), default=None,
              help="Edition to export (default: the organisation's).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False))
def export_command(edition, out_path):
    """Write the current SoA workbook to a file."""
    from soa.workbook import write_workbook  # openpyxl loads only when needed

    edition = edition or get_organisation().edition
    if not soa_rows(edition):
        raise click.ClickException(f"No decisions are recorded for the {edition} edition.")
    with open(out_path, "wb") as out:
        write_workbook(out, edition, cover_rows(None))
    click.echo(f"Wrote the {edition} SoA to {out_path}.")


@click.command("transition")
@click.option("--to", "target", type=click.Choice(["2022"]), required=True,
              help="The edition to move to.")
@click.option("--dry-run", is_flag=True, help="Show the plan; change nothing.")
@as_option
@with_appcontext
def transition_command(target, dry_run, as_email):
    """Create the 2022 decisions from the 2013 ones (Annex B mapping) and switch edition."""
    actor = cli_actor(as_email, DECIDERS)
    try:
        plan = plan_transition()
    except TransitionError as error:
        raise click.ClickException(str(error)) from error
    applicable = sum(s.get("applicability") == Applicability.APPLICABLE for s in plan.states)
    click.echo(f"{len(plan.states)} controls for {target}: {applicable} applicable, "
               f"{len(plan.merged)} merged from several 2013 controls.")
    click.echo(f"{len(plan.new_controls)} new controls need a decision: "
               f"{', '.join(plan.new_controls)}")
    if dry_run:
        click.echo("Dry run: nothing changed.")
        return
    links = apply_transition(plan, audit_actor=actor)
    db.session.commit()
    click.echo(f"The organisation now uses ISO/IEC 27001:{target}; {links} evidence links "
               "carried over. The 2013 decisions are kept, read-only.")


@click.command("package")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False))
@click.option("--controls", "control_list", default="",
              help="Comma-separated control ids (default: every control of the edition).")
@as_option
@with_appcontext
def package_command(out_path, control_list, as_email):
    """Write the offline evidence package (files, manifest, SoA, SHA256SUMS) to a zip."""
    actor = cli_actor(as_email, (Role.LEAD, Role.ADMIN))
    edition = get_organisation().edition
    known = [i.control_id for i in get_edition(edition).items]
    wanted = [c.strip() for c in control_list.split(",") if c.strip()] or known
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise click.ClickException(f"Not {edition} controls: {', '.join(unknown)}")
    head = anchor_head(f"package file {out_path}")
    record_event("package.build", "audit_package", out_path[-128:], actor=actor,
                 after={"controls": len(wanted), "chain_seq": head[0]})
    db.session.commit()
    with open(out_path, "wb") as out:
        for chunk in stream_package(edition, wanted, head, get_organisation().name):
            out.write(chunk)
    click.echo(f"Wrote the evidence package for {len(wanted)} controls to {out_path}.")
