"""What the SoA (above) and the shell's composition may ask of coverage."""

from collections.abc import Iterator

from coverage.drops import CoverageDrop, coverage_drops
from coverage.sheet import SheetRow, sheet_rows
from isms.api import get_framework, get_organisation


def framework_sheet_rows(code: str = "nis2", edition: str | None = None) -> Iterator[SheetRow]:
    """Yield the coverage sheet's rows: requirement, heading, mapped ids, verdict, evidence
    (one per leaf requirement; edition defaults to the organisation's)."""
    return sheet_rows(code, edition)


def write_framework_sheet(workbook, code: str = "nis2", edition: str | None = None) -> int:
    """Write one framework's sheet (and its source notes) into a workbook made by
    `isms.api.xlsx_workbook`; return the number of requirement rows."""
    from coverage.sheet_writer import write_sheet

    return write_sheet(workbook, code, edition)


def write_enabled_sheets(workbook, edition: str | None = None) -> list[str]:
    """Write the sheet of every framework enabled in Settings; return the sheet names."""
    written = []
    for code in get_organisation().soa_framework_codes:
        framework = get_framework(code)
        if framework is not None:
            write_framework_sheet(workbook, code, edition)
            written.append(framework.short_name)
    return written


__all__ = [
    "CoverageDrop",
    "SheetRow",
    "coverage_drops",
    "framework_sheet_rows",
    "write_enabled_sheets",
    "write_framework_sheet",
]
