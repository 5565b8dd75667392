"""Write the SoA as an auditor-ready .xlsx (streamed, write-only) that prints on A4, or as CSV."""

import csv
import re
from collections import Counter
from copy import copy
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from coverage.api import write_enabled_sheets
from evidence.api import evidence_register
from isms.api import get_organisation, is_formula_like, safe_text
from soa.print_layout import (
    COVER_FONT_SIZE,
    COVER_LINE_HEIGHT,
    FONT_SIZE,
    LINE_HEIGHT,
    fitted_width,
    row_height,
    set_header_footer,
    set_page,
)
from soa.rows import (
    RESPONSIBILITY_WORDS,
    STATUS_WORDS,
    mapping_rows,
    soa_header,
    soa_rows,
)

HEADER_FILL = PatternFill("solid", fgColor="1F3B5C")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
# (minimum, maximum) width in character units per SoA column, in soa_header order.
SOA_BOUNDS = [(8, 12), (22, 34), (14, 22), (9, 18), (10, 11), (10, 16), (10, 11), (11, 12),
              (9, 10), (10, 11), (24, 48), (14, 15), (13, 15), (18, 36), (18, 36), (9, 14),
              (12, 18), (22, 44), (9, 10), (10, 36), (11, 11), (11, 11)]
SOA_WRAPPED = {1, 2, 3, 5, 10, 13, 14, 15, 16, 17, 19}  # 0-based columns holding prose


def _cell(sheet, value, *, wrap=False, header=False, size=FONT_SIZE, bold=False):
    cell = WriteOnlyCell(sheet, value=value)
    if is_formula_like(value):
        cell.data_type = "s"  # stored as text: never evaluated as a formula
    kind = ("header" if header else "date" if isinstance(value, date)
            else "wrap" if wrap else "top")
    # Assigning font, fill and alignment looks each style up in the workbook's tables; for
    # tens of thousands of cells that was a third of the export. Copy a prepared one instead.
    cell._style = copy(_style(sheet, kind, size, bold))
    return cell


def _style(sheet, kind: str, size: float, bold: bool):
    """Return the workbook's style array for a kind of cell, made on first use."""
    styles = sheet.parent.__dict__.setdefault("_isms_styles", {})
    key = (kind, size, bold)
    if key not in styles:
        cell = WriteOnlyCell(sheet)
        if kind == "header":
            cell.font = Font(bold=True, color="FFFFFF", size=size)
            cell.fill, cell.alignment = HEADER_FILL, WRAP
        else:
            cell.font = Font(size=size, bold=bold)
            if kind == "date":
                cell.number_format = "yyyy-mm-dd"
            cell.alignment = WRAP if kind in ("wrap", "date") else TOP
        styles[key] = cell._style
    return styles[key]


def _table_sheet(workbook, title: str, header: list[str], widths: list[int], page: dict):
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    set_page(sheet, "landscape", widths, title_cols=page.get("title_cols"))
    set_header_footer(sheet, page["document_id"], page["version"], title)
    sheet.row_dimensions[1].height = row_height(header, widths)
    sheet.append([_cell(sheet, h, header=True) for h in header])
    return sheet


def _append(sheet, values: list, widths: list[int], wrapped: set[int], row_number: int,
            plain: frozenset[int] = frozenset()) -> None:
    """Append a row; its height fits the wrapped text (set only when it needs two lines)."""
    height = row_height([v if i in wrapped else "" for i, v in enumerate(values)], widths)
    if height > LINE_HEIGHT + 3:
        sheet.row_dimensions[row_number].height = height
    # Columns in `plain` hold short values that print at the default size: no style to copy.
    sheet.append([v if i in plain else _cell(sheet, v, wrap=i in wrapped)
                  for i, v in enumerate(values)])


def _finish_table(sheet, columns: int, rows: int) -> None:
    sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{max(rows, 1) + 1}"


def write_workbook(out, edition: str, cover: list[tuple[str, object]], rows=None,
                   version_label: str = "Draft", document_id: str | None = None) -> None:
    """Write the five sheets: Cover, SoA, Evidence, Summary and Mapping, then the coverage
    sheet of each framework enabled in Settings (NIS2 and its source notes)."""
    workbook = Workbook(write_only=True)
    page = {"document_id": document_id or get_organisation().soa_document_id,
            "version": version_label}
    _write_cover(workbook, cover, page)
    rows = soa_rows(edition) if rows is None else rows
    _write_soa(workbook, edition, rows, page)
    _write_evidence(workbook, edition, page)
    _write_summary(workbook, edition, rows, page)
    _write_mapping(workbook, edition, page)
    write_enabled_sheets(workbook, edition)
    workbook.save(out)


def _write_cover(workbook, cover, page) -> None:
    """Label/value pairs on one portrait page."""
    sheet = workbook.create_sheet("Cover")
    widths = [20, 50]
    for letter, width in zip("AB", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    set_page(sheet, "portrait", widths, title_rows=None, font_size=COVER_FONT_SIZE)
    set_header_footer(sheet, page["document_id"], page["version"], "Cover")
    sheet.row_dimensions[1].height = 22
    sheet.append([_cell(sheet, "Statement of Applicability", size=12, bold=True)])
    for number, (label, value) in enumerate(cover, start=2):
        value = value.isoformat() if isinstance(value, date) else value
        sheet.row_dimensions[number].height = row_height([label, value], widths,
                                                         COVER_LINE_HEIGHT)
        sheet.append([_cell(sheet, label, wrap=True, size=COVER_FONT_SIZE, bold=True),
                      _cell(sheet, value, wrap=True, size=COVER_FONT_SIZE)])


def _write_soa(workbook, edition: str, rows, page) -> None:
    header = soa_header(edition)
    cells = [row.cells() for row in rows]
    widths = [fitted_width([c[i] for c in cells], header[i], *SOA_BOUNDS[i])
              for i in range(len(header))]
    sheet = _table_sheet(workbook, "SoA", header, widths, page | {"title_cols": "A:B"})
    for number, values in enumerate(cells, start=2):
        _append(sheet, values, widths, SOA_WRAPPED, number)
    last = len(rows) + 1
    for name, values in (("Applicable", ["Yes", "No"]),
                         ("Implementation status", list(STATUS_WORDS.values())),
                         ("Responsibility", list(RESPONSIBILITY_WORDS.values()))):
        validation = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                                    allow_blank=True)
        letter = get_column_letter(header.index(name) + 1)
        validation.add(f"{letter}2:{letter}{last}")
        sheet.data_validations.append(validation)
    _finish_table(sheet, len(header), len(rows))


def _write_evidence(workbook, edition: str, page) -> None:
    header = ["Item", "Version", "SHA-256", "Collected on", "Valid until", "Controls"]
    widths = [34, 8, 60, 11, 11, 30]
    sheet = _table_sheet(workbook, "Evidence", header, widths, page | {"title_cols": "A:A"})
    count = 0
    for count, entry in enumerate(evidence_register(edition), start=1):
        _append(sheet, [entry.item, entry.version, entry.sha256, entry.collected_on,
                        entry.valid_until, entry.control_ids], widths, {0, 5}, count + 1,
                plain=frozenset({1, 2}))
    _finish_table(sheet, len(header), count)


def natural_key(label) -> tuple:
    """Sort A.5 before A.10 and 5 before 18: numbers compare as numbers."""
    return tuple(int(part) if part.isdigit() else part
                 for part in re.split(r"(\d+)", str(label)) if part)


STATUS_ORDER = ["Implemented", "Partial", "Planned", "Not started", "Not decided"]


def _write_summary(workbook, edition: str, rows, page) -> None:
    sheet = workbook.create_sheet("Summary")
    widths = [44, 12]
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = widths
    set_page(sheet, "portrait", widths, title_rows=None)
    set_header_footer(sheet, page["document_id"], page["version"], "Summary")
    blocks = [
        ("Implementation status", Counter(r.status or "Not decided" for r in rows
                                          if r.applicable != "No"),
         lambda k: STATUS_ORDER.index(k) if k in STATUS_ORDER else len(STATUS_ORDER)),
        ("Applicable", Counter(r.applicable or "Not decided" for r in rows), natural_key),
        ("Responsibility", Counter(r.responsibility for r in rows), natural_key),
        ("Clause" if edition == "2013" else "Theme", Counter(r.group for r in rows),
         natural_key),
        ("Source", Counter(r.source for r in rows), natural_key),
    ]
    row_number, chart_rows = 1, None
    for title, counts, key in blocks:
        sheet.append([_cell(sheet, title, header=True), _cell(sheet, "Controls", header=True)])
        start = row_number + 1
        for label in sorted(counts, key=key):
            sheet.append([_cell(sheet, label), _cell(sheet, counts[label])])
        row_number += len(counts) + 2
        chart_rows = chart_rows or (start - 1, start + len(counts) - 1)
        sheet.append([])
    if chart_rows[1] < chart_rows[0] + 1:
        return  # nothing to chart
    chart = BarChart()
    chart.type, chart.title, chart.legend = "bar", "Implementation status", None
    chart.add_data(Reference(sheet, min_col=2, min_row=chart_rows[0], max_row=chart_rows[1]),
                   titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=chart_rows[0] + 1,
                                   max_row=chart_rows[1]))
    sheet.add_chart(chart, f"A{row_number + 1}")  # below the tables: the page stays one wide


def _write_mapping(workbook, edition: str, page) -> None:
    other = "2022" if edition == "2013" else "2013"
    header = [f"ID ({edition})", "Control", f"ID ({other})", f"Control ({other})"]
    widths = [12, 46, 16, 60]
    sheet = _table_sheet(workbook, "Mapping", header, widths, page | {"title_cols": "A:B"})
    rows = mapping_rows(edition)
    for number, values in enumerate(rows, start=2):
        _append(sheet, values, widths, {0, 1, 2, 3}, number)
    _finish_table(sheet, len(header), len(rows))


def write_csv(out, edition: str) -> None:
    """Write the SoA sheet as CSV, formulas neutralised."""
    writer = csv.writer(out)
    writer.writerow(soa_header(edition))
    for row in soa_rows(edition):
        writer.writerow([safe_text("" if v is None else v) for v in row.cells()])
