"""`isms <framework> coverage [--json] [--out FILE.xlsx]`, one group per packaged framework."""

import json
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from coverage.services import VERDICTS, compute_coverage, section_rows
from isms.api import (
    db,
    find_organisation,
    framework_codes,
    get_framework,
    get_organisation,
    xlsx_workbook,
)


def coverage_report(code: str) -> dict:
    """The coverage as plain data: the counts, per section, and each leaf with its ids."""
    coverage = compute_coverage(get_framework(code), get_organisation().edition)
    counts = coverage.counts
    return {
        "edition_used": coverage.edition_used,
        "leaves": len(coverage.leaves),
        **counts,
        "sections": [{"id": node.requirement.requirement_id,
                      **{v: node.counts[v] for v in VERDICTS}}
                     for node in section_rows(coverage)],
        "requirements": [{"id": rid, "verdict": leaf.verdict, "controls": list(leaf.ref_ids)}
                         for rid, leaf in coverage.leaves.items()],
    }


def _print_summary(report: dict, short_name: str) -> None:
    click.echo(f"{short_name} coverage on ISO/IEC 27001:{report['edition_used']}: "
               f"{report['leaves']} requirements")
    click.echo("  " + ", ".join(f"{report[v]} {v}" for v in VERDICTS))
    for section in report["sections"]:
        figures = "  ".join(f"{section[v]:>3} {v}" for v in VERDICTS)
        click.echo(f"  section {section['id']:>2}: {figures}")


def _coverage_command(code: str, short_name: str):
    @click.command("coverage")
    @with_appcontext
    @click.option("--json", "as_json", is_flag=True, help="Print the coverage as JSON.")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                  help=f"Also write the {short_name} sheet to this .xlsx file.")
    def command(as_json: bool, out: Path | None) -> None:
        """Report which requirements the ISMS covers, partly covers or leaves open."""
        if out is not None and out.suffix.lower() != ".xlsx":
            raise click.BadParameter("the workbook must be an .xlsx file", param_hint="--out")
        _require_init(code)
        report = coverage_report(code)
        if out is not None:
            rows = _write_workbook(code, out)
        if as_json:
            click.echo(json.dumps(report, indent=2))
        else:
            _print_summary(report, short_name)
        if out is not None:
            click.echo(f"Wrote {rows} requirements to {out}", err=as_json)

    return command


def _require_init(code: str) -> None:
    try:
        ready = find_organisation() is not None and get_framework(code) is not None
    except SQLAlchemyError:  # not even migrated
        db.session.rollback()
        ready = False
    if not ready:
        raise click.ClickException("The database is not initialised: run `isms init` first.")


def _write_workbook(code: str, out: Path) -> int:
    try:
        handle = out.open("wb")  # refused before any work when the path cannot be written
    except OSError as error:
        raise click.ClickException(f"cannot write {out}: {error.strerror}") from error
    with handle:
        from coverage.sheet_writer import write_sheet  # loads only when a workbook is written

        book = xlsx_workbook(handle)
        rows = write_sheet(book, code)
        book.close()
    return rows


def register_commands(app) -> None:
    """Add `isms <code> coverage` for every packaged framework."""
    for code, short_name in framework_codes():
        group = AppGroup(code, help=f"{short_name}: coverage computed from the SoA.")
        group.add_command(_coverage_command(code, short_name))
        app.cli.add_command(group)
