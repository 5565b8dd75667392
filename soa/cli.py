"""`isms soa ...`: export (and, with the importer, import) the SoA."""

import json

import click
from flask.cli import AppGroup, with_appcontext

from controls.api import Applicability
from evidence.api import count_links_to_carry
from isms.api import (
    EDITIONS,
    Role,
    as_option,
    cli_actor,
    cli_user,
    db,
    get_edition,
    get_organisation,
)
from soa.check import check_soa
from soa.grid import Options
from soa.import_mappings import (
    MappingError,
    get_mapping,
    parse_map,
    parse_value,
    save_mapping,
)
from soa.importer import ImportRefused, apply_import, plan_import
from soa.package import start_package
from soa.rows import soa_rows
from soa.transition import TransitionError, apply_transition, plan_transition
from soa.versions import cover_rows
from soa.vocabulary import normalise

soa_cli = AppGroup("soa", help="Statement of Applicability.")
DECIDERS = (Role.LEAD,)  # who may change decisions, and so be named by --as


@soa_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--sheet", help="Read this sheet only (default: every SoA-like sheet).")
@click.option("--header-row", type=click.IntRange(min=1), help="The header's row number.")
@click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN",
              help="Read FIELD from COLUMN (a letter such as D, or the header's text).")
@click.option("--value", "values", multiple=True, metavar="FIELD:TEXT=VALUE",
              help="Say what a word means, e.g. status:Parcial=partial.")
@click.option("--mapping", "mapping_name", help="Start from a saved mapping.")
@click.option("--save-mapping", "save_as", help="Save the options used under this name.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@as_option
def import_command(path, sheet, header_row, maps, values, mapping_name, save_as, dry_run,
                   as_json, as_email):
    """Import the decisions of an SoA workbook, all or nothing, in one transaction."""
    actor = cli_actor(as_email, DECIDERS)
    try:
        options = _options(sheet, header_row, maps, values, mapping_name)
        plan = plan_import(path, options)
    except (ImportRefused, MappingError) as error:
        raise click.ClickException(f"Nothing was imported: {error}") from error
    if as_json:
        click.echo(plan.to_json())
    else:
        _echo_summary(plan)
    if save_as:
        try:
            save_mapping(save_as, options, actor, None)
        except MappingError as error:
            raise click.ClickException(str(error)) from error
    if dry_run:
        db.session.commit()  # a saved mapping is kept; no decision was touched
        return
    count = apply_import(plan, cli_user(as_email, DECIDERS), audit_actor=actor)
    db.session.commit()
    if not as_json:
        click.echo(f"Imported the decisions on {count} controls.")


@soa_cli.command("check")
@click.option("--edition", type=click.Choice(EDITIONS), default=None,
              help="Edition to check (default: the organisation's).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def check_command(edition, as_json):
    """List what stops the SoA from being issued; exit 1 when anything does."""
    readiness = check_soa(edition or get_organisation().edition)
    if as_json:
        click.echo(readiness.to_json())
    elif readiness.ready:
        click.echo("The SoA is ready to issue.")
    else:
        for label, ids in readiness.blockers:
            click.echo(f"{label} ({len(ids)}): {', '.join(ids)}")
    if not readiness.ready:
        raise SystemExit(1)
def _options(sheet, header_row, maps, values, mapping_name) -> Options:
    said = Options(sheet, header_row, [parse_map(m) for m in maps], {})
    for spec in values:
        name, text, value = parse_value(spec)
        said.values.setdefault(name, {})[normalise(text)] = value
    return get_mapping(mapping_name).merged_with(said) if mapping_name else said


def _echo_summary(plan) -> None:
    summary = plan.summary()
    for name, words in summary["unknown_values"].items():
        for text, count in words.items():
            click.echo(f"unknown value: {name}: '{text}' x{count}")
    click.echo(f"{summary['matched']} controls recognised ({summary['edition']}) on "
               f"{', '.join(summary['sheets'])}, header row {summary['header_row'] or '-'}, "
               f"{len(plan.changes)} changes, {len(summary['unmatched_rows'])} rows not "
               f"matched, {len(summary['warnings'])} warnings.")
    click.echo("columns: " + ", ".join(f"{c}={f or 'ignored'}"
                                       for c, f in summary["columns"].items()))
    for warning in summary["warnings"]:
        click.echo(f"warning: {warning}")
    for row in summary["unmatched_rows"]:
        click.echo(f"not matched: {row['sheet']} row {row['row']}: {row['reason']}")


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
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@as_option
@with_appcontext
def transition_command(target, dry_run, as_json, as_email):
    """Create the 2022 decisions from the 2013 ones (Annex B mapping) and switch edition."""
    actor = cli_actor(as_email, DECIDERS)
    try:
        plan = plan_transition()
    except TransitionError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(plan.summary(count_links_to_carry(target, plan.targets()))))
    else:
        applicable = sum(s.get("applicability") == Applicability.APPLICABLE
                         for s in plan.states)
        click.echo(f"{len(plan.states)} controls for {target}: {applicable} applicable, "
                   f"{len(plan.merged)} merged from several 2013 controls.")
        click.echo(f"{len(plan.new_controls)} new controls need a decision: "
                   f"{', '.join(plan.new_controls)}")
        for conflict in plan.conflicts:
            click.echo(f"{conflict['id']} is left undecided: its sources "
                       f"{', '.join(conflict['sources'])} differ in "
                       f"{', '.join(conflict['fields'])}.")
    if dry_run:
        if not as_json:
            click.echo("Dry run: nothing changed.")
        return
    links = apply_transition(plan, audit_actor=actor)
    db.session.commit()
    if not as_json:
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
    stream = start_package(edition, wanted, get_organisation().name, actor)
    db.session.commit()
    with open(out_path, "wb") as out:
        for chunk in stream:
            out.write(chunk)
    click.echo(f"Wrote the evidence package for {len(wanted)} controls to {out_path}.")
