"""Write the SoA as an auditor-ready .xlsx (streamed, write-only) or as CSV."""

import csv
from collections import Counter
from copy import copy
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from evidence.api import evidence_register
from isms.api import is_formula_like, safe_text
from soa.rows import (
    RESPONSIBILITY_WORDS,
    STATUS_WORDS,
    mapping_rows,
    soa_header,
    soa_rows,
)

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F3B5C")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
SOA_WIDTHS = [10, 28, 36, 11, 20, 40, 16, 14, 40, 40, 14, 20, 10, 12, 12, 12]
WRAPPED = {2, 4, 5, 8, 9, 10}  # 0-based columns holding prose


def _cell(sheet, value, *, wrap=False, header=False):
    cell = WriteOnlyCell(sheet, value=value)
    if is_formula_like(value):
        cell.data_type = "s"  # stored as text: never evaluated as a formula
    kind = ("header" if header else "date" if isinstance(value, date)
            else "wrap" if wrap else "top")
    # Assigning font, fill and alignment looks each style up in the workbook's tables; for
    # tens of thousands of cells that was a third of the export. Copy a prepared one instead.
    cell._style = copy(_style(sheet, kind))
    return cell


def _style(sheet, kind: str):
    """Return the workbook's style array for a kind of cell, made on first use."""
    styles = sheet.parent.__dict__.setdefault("_isms_styles", {})
    if kind not in styles:
        cell = WriteOnlyCell(sheet)
        if kind == "header":
            cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
        elif kind == "date":
            cell.number_format = "yyyy-mm-dd"
            cell.alignment = TOP
        else:
            cell.alignment = WRAP if kind == "wrap" else TOP
        styles[kind] = cell._style
    return styles[kind]


def _table_sheet(workbook, title: str, header: list[str], widths: list[int]):
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.append([_cell(sheet, h, header=True) for h in header])
    return sheet


def _finish_table(sheet, columns: int, rows: int) -> None:
    sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{max(rows, 1) + 1}"


def write_workbook(out, edition: str, cover: list[tuple[str, object]]) -> None:
    """Write the five sheets: Cover, SoA, Evidence, Summary and Mapping."""
    workbook = Workbook(write_only=True)
    _write_cover(workbook, cover)
    rows = soa_rows(edition)
    _write_soa(workbook, edition, rows)
    _write_evidence(workbook, edition)
    _write_summary(workbook, edition, rows)
    _write_mapping(workbook, edition)
    workbook.save(out)


def _write_cover(workbook, cover) -> None:
    sheet = workbook.create_sheet("Cover")
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 90
    sheet.append([_cell(sheet, "Statement of Applicability", header=True),
                  _cell(sheet, "", header=True)])
    for label, value in cover:
        sheet.append([_cell(sheet, label), _cell(sheet, value, wrap=True)])


def _write_soa(workbook, edition: str, rows) -> None:
    header = soa_header(edition)
    sheet = _table_sheet(workbook, "SoA", header, SOA_WIDTHS)
    for row in rows:
        sheet.append([_cell(sheet, v, wrap=i in WRAPPED) for i, v in enumerate(row.cells())])
    last = len(rows) + 1
    for column, values in ((4, ["Yes", "No"]), (7, list(STATUS_WORDS.values())),
                           (8, list(RESPONSIBILITY_WORDS.values()))):
        validation = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                                    allow_blank=True)
        letter = get_column_letter(column)
        validation.add(f"{letter}2:{letter}{last}")
        sheet.data_validations.append(validation)
    _finish_table(sheet, len(header), len(rows))


def _write_evidence(workbook, edition: str) -> None:
    header = ["Item", "Version", "SHA-256", "Collected on", "Valid until", "Controls"]
    sheet = _table_sheet(workbook, "Evidence", header, [40, 9, 66, 13, 13, 40])
    count = 0
    for entry in evidence_register(edition):
        sheet.append([_cell(sheet, entry.item, wrap=True), entry.version, entry.sha256,
                      _cell(sheet, entry.collected_on), _cell(sheet, entry.valid_until),
                      _cell(sheet, entry.control_ids, wrap=True)])
        count += 1
    _finish_table(sheet, len(header), count)


def _write_summary(workbook, edition: str, rows) -> None:
    sheet = workbook.create_sheet("Summary")
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 12
    blocks = [
        ("Implementation status", Counter(r.status or "Not decided" for r in rows
                                          if r.applicable != "No")),
        ("Applicable", Counter(r.applicable or "Not decided" for r in rows)),
        ("Responsibility", Counter(r.responsibility for r in rows)),
        ("Clause" if edition == "2013" else "Theme", Counter(r.group for r in rows)),
    ]
    row_number, chart_rows = 1, None
    for title, counts in blocks:
        sheet.append([_cell(sheet, title, header=True), _cell(sheet, "Controls", header=True)])
        start = row_number + 1
        for label, count in sorted(counts.items()):
            sheet.append([label, count])
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
    sheet.add_chart(chart, "D2")


def _write_mapping(workbook, edition: str) -> None:
    other = "2022" if edition == "2013" else "2013"
    header = [f"ID ({edition})", "Control", f"ID ({other})", f"Control ({other})"]
    sheet = _table_sheet(workbook, "Mapping", header, [12, 50, 18, 70])
    rows = mapping_rows(edition)
    for values in rows:
        sheet.append([_cell(sheet, v, wrap=True) for v in values])
    _finish_table(sheet, len(header), len(rows))


def write_csv(out, edition: str) -> None:
    """Write the SoA sheet as CSV, formulas neutralised."""
    writer = csv.writer(out)
    writer.writerow(soa_header(edition))
    for row in soa_rows(edition):
        writer.writerow([safe_text("" if v is None else v) for v in row.cells()])
