"""Write a framework's coverage sheet into an XlsxWriter workbook (loaded only to write one)."""

from coverage.sheet import sheet_header, sheet_rows
from isms.api import Framework, get_framework, get_organisation

WIDTHS = (16, 40, 44, 11, 70)


def _formats(book) -> tuple:
    """The header and body formats: wrapped text at the top of its cell."""
    header = book.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F3B5C",
                              "pattern": 1, "text_wrap": True, "valign": "top"})
    body = book.add_format({"text_wrap": True, "valign": "top"})
    return header, body


def _write_row(sheet, row: int, values, cell_format) -> None:
    for col, value in enumerate(values):
        if value is None or value == "":
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            sheet.write_number(row, col, value, cell_format)
        else:  # text stays text: never a formula
            sheet.write_string(row, col, str(value), cell_format)


def write_sheet(book, code: str, edition: str | None = None) -> int:
    """Add the framework's sheet (one row per leaf) and its source notes to a workbook made by
    `isms.api.xlsx_workbook`; return how many requirement rows were written."""
    framework = get_framework(code)
    edition = edition or get_organisation().edition
    header_format, body = _formats(book)
    sheet = book.add_worksheet(framework.short_name)
    for index, width in enumerate(WIDTHS):
        sheet.set_column(index, index, width)
    sheet.freeze_panes(1, 0)
    sheet.repeat_rows(0)
    _write_row(sheet, 0, sheet_header(framework, edition), header_format)
    count = 0
    for count, row in enumerate(sheet_rows(code, edition), start=1):
        _write_row(sheet, count, row.cells(), body)
    sheet.autofilter(0, 0, max(count, 1), len(WIDTHS) - 1)
    _write_source(book, framework, edition, header_format, body)
    return count


def _write_source(book, framework: Framework, edition: str, header_format, body) -> None:
    """The attribution the mapping's licence asks for, beside the sheet that uses it."""
    sheet = book.add_worksheet(f"{framework.short_name} source")
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 110)
    used = edition if edition == framework.iso_edition else f"{edition} via Annex B"
    for row, (label, value) in enumerate((
            ("Framework", framework.name), ("ISO/IEC 27001 edition used", used),
            ("Mapping", framework.attribution), ("Requirements", framework.source_notice),
            ("Note", framework.advisory))):
        _write_row(sheet, row, [label], header_format)
        _write_row(sheet, row, [None, value], body)
