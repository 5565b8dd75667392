"""Write a framework's coverage sheet into an openpyxl workbook (loaded only to write one)."""

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from coverage.sheet import sheet_header, sheet_rows
from isms.api import Framework, get_framework, get_organisation, is_formula_like

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F3B5C")
WRAP = Alignment(wrap_text=True, vertical="top")


def _cell(sheet, value, header: bool = False):
    cell = WriteOnlyCell(sheet, value=value)
    if is_formula_like(value):
        cell.data_type = "s"  # stored as text: never evaluated as a formula
    cell.alignment = WRAP
    if header:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    return cell


def write_sheet(workbook, code: str, edition: str | None = None) -> int:
    """Add the framework's sheet (one row per leaf) and its source notes to a write-only
    workbook; return how many requirement rows were written."""
    framework = get_framework(code)
    edition = edition or get_organisation().edition
    sheet = workbook.create_sheet(framework.short_name)
    for index, width in enumerate((16, 40, 44, 11, 70), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.append([_cell(sheet, h, header=True) for h in sheet_header(framework, edition)])
    count = 0
    for row in sheet_rows(code, edition):
        sheet.append([_cell(sheet, value) for value in row.cells()])
        count += 1
    sheet.auto_filter.ref = f"A1:E{count + 1}"
    _write_source(workbook, framework, edition)
    return count


def _write_source(workbook, framework: Framework, edition: str) -> None:
    """The attribution the mapping's licence asks for, beside the sheet that uses it."""
    sheet = workbook.create_sheet(f"{framework.short_name} source")
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 110
    used = edition if edition == framework.iso_edition else f"{edition} via Annex B"
    for label, value in (("Framework", framework.name), ("ISO/IEC 27001 edition used", used),
                         ("Mapping", framework.attribution),
                         ("Requirements", framework.source_notice),
                         ("Note", framework.advisory)):
        sheet.append([_cell(sheet, label, header=True), _cell(sheet, value)])
