"""Import an SoA workbook: refuse unsafe files before parsing, preview, apply in one go."""

import json
import os
import warnings
import zipfile
from dataclasses import dataclass, field

from flask import current_app

from controls.api import (
    Applicability,
    ImplementationStatus,
    Responsibility,
    apply_decision,
    decision_fields,
)
from isms.api import EDITIONS, User, aliases, get_edition, get_organisation
from soa.grid import Cell, GridResult, read_workbook

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted Office files are OLE containers
MAX_FILE_BYTES = 50 * 1024 * 1024


class ImportRefused(ValueError):
    """The file is not imported; the message says why. Nothing was changed."""


def check_file(path: str) -> None:
    """Refuse what is not a plain, reasonably sized .xlsx before any parser sees it."""
    if os.path.getsize(path) > MAX_FILE_BYTES:
        raise ImportRefused("The file is larger than 50 MB.")
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head == OLE_SIGNATURE:
        raise ImportRefused("The workbook is encrypted (password-protected) or in the old "
                            ".xls format; save it as an unprotected .xlsx and try again.")
    if not zipfile.is_zipfile(path):
        raise ImportRefused("This is not an Excel .xlsx workbook.")
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
        names = {e.filename.lower() for e in entries}
        if "xl/workbook.xml" not in names:
            raise ImportRefused("This is not an Excel .xlsx workbook.")
        content_types = archive.read("[Content_Types].xml") if (
            "[content_types].xml" in names) else b""
        if any(n.endswith("vbaproject.bin") for n in names) or b"macroEnabled" in content_types:
            raise ImportRefused("Macro-enabled workbooks are refused; save it as a plain .xlsx.")
        limit_mb = current_app.config["ISMS_IMPORT_MAX_UNCOMPRESSED_MB"]
        if sum(e.file_size for e in entries) > limit_mb * 1024 * 1024:
            raise ImportRefused(f"The workbook expands to more than {limit_mb} MB when "
                                "unpacked; it is refused.")


def load_sheets(path: str) -> dict[str, list[list[Cell]]]:
    """Read every sheet as rows of cells, each merged range filled with its value."""
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about extensions it skips
        book = load_workbook(path, data_only=True)
    sheets = {}
    for sheet in book.worksheets:
        rows = [[Cell(c.value, c.number_format) for c in row] for row in sheet.iter_rows()]
        for merged in sheet.merged_cells.ranges:
            top = rows[merged.min_row - 1][merged.min_col - 1]
            for r in range(merged.min_row - 1, min(merged.max_row, len(rows))):
                for c in range(merged.min_col - 1, min(merged.max_col, len(rows[r]))):
                    rows[r][c] = Cell(top.value, top.number_format)
        sheets[sheet.title] = rows
    book.close()
    return sheets


def catalogs() -> dict[str, dict[str, set[str]]]:
    """Each edition's control ids with their titles and known aliases."""
    return {code: {i.control_id: {i.title, *aliases(code, i.control_id)}
                   for i in get_edition(code).items} for code in EDITIONS}


@dataclass
class ImportPlan:
    grid: GridResult
    changes: list = field(default_factory=list)  # (control id, field, before, after)

    def summary(self) -> dict:
        rows = self.grid.rows
        return {
            "edition": self.grid.edition, "matched": len(rows),
            "applicable": sum(r.values.get("applicable") == "applicable" for r in rows),
            "not_applicable": sum(r.values.get("applicable") == "excluded" for r in rows),
            "unmatched_rows": self.grid.unmatched, "warnings": self.grid.warnings,
        }

    def to_json(self) -> str:
        return json.dumps(self.summary(), indent=2)


def plan_import(path: str) -> ImportPlan:
    """Check, read and compare a workbook with the current decisions; change nothing."""
    check_file(path)
    grid = read_workbook(load_sheets(path), catalogs())
    if grid.error:
        raise ImportRefused(grid.error)
    edition = get_organisation().edition
    if grid.edition != edition:
        raise ImportRefused(f"The workbook lists ISO/IEC 27001:{grid.edition} controls; the "
                            f"organisation uses the {edition} edition.")
    plan = ImportPlan(grid)
    for found in grid.rows:
        current, wanted = decision_fields(edition, found.control_id), _model_values(found.values)
        for key, value in wanted.items():
            before = current.get("inclusion_reasons" if key == "reasons" else key)
            after = ",".join(value) if key == "reasons" else value
            if (before.value if hasattr(before, "value") else before or "") != (
                    after.value if hasattr(after, "value") else after or ""):
                plan.changes.append((found.control_id, key, before, after))
    return plan


def _model_values(values: dict) -> dict:
    converted = {}
    for key, value in values.items():
        if key == "applicable":
            converted["applicability"] = Applicability(value)
        elif key == "status":
            converted["implementation_status"] = ImplementationStatus(value)
        elif key == "responsibility":
            converted["responsibility"] = Responsibility(value)
        else:
            converted[key] = value
    return converted


def apply_import(plan: ImportPlan, actor: User | None, audit_actor: str | None = None) -> int:
    """Write every matched row's decisions (the caller commits once, or rolls back).

    The events name `audit_actor` when given (the CLI), else `actor`.
    """
    edition = get_organisation().edition
    for found in plan.grid.rows:
        apply_decision(edition, found.control_id, _model_values(found.values), actor,
                       audit_actor=audit_actor)
    return len(plan.grid.rows)
