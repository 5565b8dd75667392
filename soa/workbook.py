"""Write the SoA as an auditor-ready .xlsx (streamed, row by row) that prints on A4, or as CSV.

The workbook is written with XlsxWriter in constant-memory mode: each cell gets one of a few
formats made once per workbook, and rows go to disk as they are written. openpyxl, which the
import reads with, wrote the same sheets at nearly twice the cost (a cell object per value,
its style copied in, and a slower XML writer).
"""

import csv
import re
from collections import Counter
from datetime import date

from coverage.api import write_enabled_sheets
from evidence.api import evidence_register
from isms.api import get_organisation, safe_text, xlsx_workbook
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

HEADER_FILL = "#1F3B5C"
# (minimum, maximum) width in character units per SoA column, in soa_header order.
SOA_BOUNDS = [(8, 12), (22, 34), (14, 22), (9, 18), (10, 11), (10, 16), (10, 11), (11, 12),
              (9, 10), (10, 11), (24, 48), (14, 15), (13, 15), (18, 36), (18, 36), (9, 14),
              (12, 18), (22, 44), (9, 10), (10, 36), (11, 11), (11, 11)]
SOA_WRAPPED = {1, 2, 3, 5, 10, 13, 14, 15, 16, 17, 19}  # 0-based columns holding prose


class Formats:
    """The workbook's cell formats, each made once: header, wrapped or single-line text, date."""

    def __init__(self, book):
        self.book, self.made = book, {}

    def get(self, kind: str, size: float = FONT_SIZE, bold: bool = False):
        key = (kind, size, bold)
        if key not in self.made:
            spec = {"font_size": size, "bold": bold, "valign": "top"}
            if kind == "header":
                spec |= {"bold": True, "font_color": "#FFFFFF", "bg_color": HEADER_FILL,
                         "pattern": 1, "text_wrap": True}
            elif kind in ("wrap", "date"):
                spec["text_wrap"] = True
            if kind == "date":
                spec["num_format"] = "yyyy-mm-dd"
            self.made[key] = self.book.add_format(spec)
        return self.made[key]


def _write(sheet, row: int, col: int, value, cell_format, date_format) -> None:
    """One cell: text stays text (never a formula), dates get the date format."""
    if value is None or value == "":
        return
    if isinstance(value, str):
        sheet.write_string(row, col, value, cell_format)
    elif isinstance(value, date):
        sheet.write_datetime(row, col, value, date_format)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, cell_format)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, cell_format)
    else:
        sheet.write_string(row, col, str(value), cell_format)


def _table_sheet(book, formats: Formats, title: str, header: list[str], widths: list[int],
                 page: dict, title_cols: tuple[int, int]):
    sheet = book.add_worksheet(title)
    sheet.freeze_panes(1, 0)
    for index, width in enumerate(widths):
        sheet.set_column(index, index, width)
    set_page(sheet, "landscape", widths, title_cols=title_cols)
    set_header_footer(sheet, page["document_id"], page["version"], title)
    sheet.set_row(0, row_height(header, widths))
    head = formats.get("header")
    for col, text in enumerate(header):
        sheet.write_string(0, col, text, head)
    return sheet


def _append(sheet, formats: Formats, values: list, widths: list[int], wrapped: set[int],
            row: int) -> None:
    """Write a row (0-based `row`); its height fits the wrapped text (set only when it needs
    two lines or more)."""
    height = row_height([v if i in wrapped else "" for i, v in enumerate(values)], widths)
    if height > LINE_HEIGHT + 3:
        sheet.set_row(row, height)
    wrap, top, when = formats.get("wrap"), formats.get("top"), formats.get("date")
    for col, value in enumerate(values):
        _write(sheet, row, col, value, wrap if col in wrapped else top, when)


def _finish_table(sheet, columns: int, rows: int) -> None:
    sheet.autofilter(0, 0, max(rows, 1), columns - 1)


def write_workbook(out, edition: str, cover: list[tuple[str, object]], rows=None,
                   version_label: str = "Draft", document_id: str | None = None) -> None:
    """Write the five sheets: Cover, SoA, Evidence, Summary and Mapping, then the coverage
    sheet of each framework enabled in Settings (NIS2 and its source notes)."""
    book = xlsx_workbook(out)
    formats = Formats(book)
    page = {"document_id": document_id or get_organisation().soa_document_id,
            "version": version_label}
    _write_cover(book, formats, cover, page)
    rows = soa_rows(edition) if rows is None else rows
    _write_soa(book, formats, edition, rows, page)
    _write_evidence(book, formats, edition, page)
    _write_summary(book, formats, edition, rows, page)
    _write_mapping(book, formats, edition, page)
    write_enabled_sheets(book, edition)
    book.close()


def _write_cover(book, formats: Formats, cover, page) -> None:
    """Label/value pairs on one portrait page."""
    sheet = book.add_worksheet("Cover")
    widths = [20, 50]
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    set_page(sheet, "portrait", widths, repeat_header=False, font_size=COVER_FONT_SIZE)
    set_header_footer(sheet, page["document_id"], page["version"], "Cover")
    sheet.set_row(0, 22)
    sheet.write_string(0, 0, "Statement of Applicability", formats.get("top", 12, True))
    label_format = formats.get("wrap", COVER_FONT_SIZE, True)
    value_format = formats.get("wrap", COVER_FONT_SIZE)
    for row, (label, value) in enumerate(cover, start=1):
        value = value.isoformat() if isinstance(value, date) else value
        sheet.set_row(row, row_height([label, value], widths, COVER_LINE_HEIGHT))
        _write(sheet, row, 0, label, label_format, label_format)
        _write(sheet, row, 1, value, value_format, value_format)


def _write_soa(book, formats: Formats, edition: str, rows, page) -> None:
    header = soa_header(edition)
    cells = [row.cells() for row in rows]
    widths = [fitted_width([c[i] for c in cells], header[i], *SOA_BOUNDS[i])
              for i in range(len(header))]
    sheet = _table_sheet(book, formats, "SoA", header, widths, page, title_cols=(0, 1))
    for number, values in enumerate(cells, start=1):
        _append(sheet, formats, values, widths, SOA_WRAPPED, number)
    last = len(rows)
    for name, values in (("Applicable", ["Yes", "No"]),
                         ("Implementation status", list(STATUS_WORDS.values())),
                         ("Responsibility", list(RESPONSIBILITY_WORDS.values()))):
        col = header.index(name)
        sheet.data_validation(1, col, max(last, 1), col, {
            "validate": "list", "source": values, "ignore_blank": True, "show_error": False})
    _finish_table(sheet, len(header), len(rows))


def _write_evidence(book, formats: Formats, edition: str, page) -> None:
    header = ["Item", "Version", "SHA-256", "Collected on", "Valid until", "Controls"]
    widths = [34, 8, 60, 11, 11, 30]
    sheet = _table_sheet(book, formats, "Evidence", header, widths, page, title_cols=(0, 0))
    count = 0
    for count, entry in enumerate(evidence_register(edition), start=1):
        _append(sheet, formats, [entry.item, entry.version, entry.sha256, entry.collected_on,
                                 entry.valid_until, entry.control_ids], widths, {0, 5}, count)
    _finish_table(sheet, len(header), count)


def natural_key(label) -> tuple:
    """Sort A.5 before A.10 and 5 before 18: numbers compare as numbers."""
    return tuple(int(part) if part.isdigit() else part
                 for part in re.split(r"(\d+)", str(label)) if part)


STATUS_ORDER = ["Implemented", "Partial", "Planned", "Not started", "Not decided"]


def _write_summary(book, formats: Formats, edition: str, rows, page) -> None:
    sheet = book.add_worksheet("Summary")
    widths = [44, 12]
    sheet.set_column(0, 0, widths[0])
    sheet.set_column(1, 1, widths[1])
    set_page(sheet, "portrait", widths, repeat_header=False)
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
    head, top = formats.get("header"), formats.get("top")
    row, chart_rows = 0, None  # 0-based: the first block's header is row 1 in the sheet
    for title, counts, key in blocks:
        sheet.write_string(row, 0, title, head)
        sheet.write_string(row, 1, "Controls", head)
        if chart_rows is None:
            chart_rows = (row, row + len(counts))
        for offset, label in enumerate(sorted(counts, key=key), start=1):
            _write(sheet, row + offset, 0, label, top, top)
            sheet.write_number(row + offset, 1, counts[label], top)
        row += len(counts) + 2  # the block, then an empty row
    if chart_rows[1] < chart_rows[0] + 1:
        return  # nothing to chart
    chart = book.add_chart({"type": "bar"})
    first, last = chart_rows
    chart.add_series({"name": ["Summary", first, 1],
                      "categories": ["Summary", first + 1, 0, last, 0],
                      "values": ["Summary", first + 1, 1, last, 1]})
    chart.set_title({"name": "Implementation status"})
    chart.set_legend({"none": True})
    sheet.insert_chart(row, 0, chart)  # below the tables: the page stays one wide


def _write_mapping(book, formats: Formats, edition: str, page) -> None:
    other = "2022" if edition == "2013" else "2013"
    header = [f"ID ({edition})", "Control", f"ID ({other})", f"Control ({other})"]
    widths = [12, 46, 16, 60]
    sheet = _table_sheet(book, formats, "Mapping", header, widths, page, title_cols=(0, 1))
    rows = mapping_rows(edition)
    for number, values in enumerate(rows, start=1):
        _append(sheet, formats, values, widths, {0, 1, 2, 3}, number)
    _finish_table(sheet, len(header), len(rows))


def write_csv(out, edition: str) -> None:
    """Write the SoA sheet as CSV, formulas neutralised."""
    writer = csv.writer(out)
    writer.writerow(soa_header(edition))
    for row in soa_rows(edition):
        writer.writerow([safe_text("" if v is None else v) for v in row.cells()])
