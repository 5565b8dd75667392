"""Page layout for the SoA workbook: A4, readable without resizing (no text below 8 pt).

LibreOffice and Excel size columns in character units of the default font and print at the
sheet's scale; these helpers turn content into widths and row heights, and choose between
fitting a sheet to one page width and printing more pages across, whichever keeps the text
at 8 pt or more.
"""

import math

FONT_SIZE = 9  # points, every cell of the table sheets
COVER_FONT_SIZE = 10
MIN_PRINTED_SIZE = 8
MAX_ROW_HEIGHT = 409  # the most a spreadsheet row may be
LINE_HEIGHT = 12.0  # points per line of 9 pt text, with leading
COVER_LINE_HEIGHT = 13.5
CHARS_PER_UNIT = 1.1  # a width unit holds a little more than one 9 pt character; be safe
MARGIN_IN = 0.4
PAPER_A4 = 9  # the paperSize code of A4 in SpreadsheetML
PAGE_PT = {"portrait": (595, 842), "landscape": (842, 595)}


# LibreOffice measures a width unit in its own default font, about a third wider than Excel's
# 7 px of Calibri (measured: a sheet it fitted to a page printed at 0.72 where 7 px said 0.94).
RENDERER_WIDTH_FACTOR = 1.35


def width_points(widths) -> float:
    """The printed width of columns given in character units, as the widest renderer sees it."""
    return sum((w * 7 + 5) * 0.75 for w in widths) * RENDERER_WIDTH_FACTOR


def printable_width(orientation: str) -> float:
    return PAGE_PT[orientation][0] - 2 * MARGIN_IN * 72


def fit_scale(widths, orientation: str) -> float:
    """The scale (1.0 = 100 %) that fitting the columns to one page width would need."""
    return min(1.0, printable_width(orientation) / width_points(widths))


def fits_one_page_wide(widths, orientation: str, font_size: float = FONT_SIZE) -> bool:
    """Whether fit-to-width keeps the printed text at 8 pt or more."""
    return font_size * fit_scale(widths, orientation) >= MIN_PRINTED_SIZE


def fitted_width(values, header: str, minimum: int, maximum: int) -> int:
    """A column width (character units) from its longest line, within bounds."""
    longest = max((len(line) for v in values if v not in (None, "")
                   for line in str(v).splitlines()), default=0)
    heading = max((len(word) for word in header.split()), default=0)
    return max(minimum, min(maximum, math.ceil(max(longest, heading) / CHARS_PER_UNIT) + 2))


def line_count(value, width: int) -> int:
    """How many printed lines a wrapped value takes in a column of `width` units."""
    if value in (None, ""):
        return 1
    per_line = max(1, int((width - 1) * CHARS_PER_UNIT))
    lines = 0
    for line in str(value).splitlines():
        lines += max(1, math.ceil(len(line) / per_line))
        if lines * LINE_HEIGHT >= MAX_ROW_HEIGHT:
            break  # taller than a row may be: no need to count further
    return lines or 1


def row_height(values, widths, line_height: float = LINE_HEIGHT) -> float:
    """Points tall enough for the most wrapped cell of a row, so no text runs into the next."""
    lines = max((line_count(v, w) for v, w in zip(values, widths, strict=False)), default=1)
    return min(MAX_ROW_HEIGHT, round(lines * line_height + 3, 1))


def set_page(sheet, orientation: str, widths, *, repeat_header: bool = True,
             title_cols: tuple[int, int] | None = None, font_size: float = FONT_SIZE) -> None:
    """A4 in the orientation; fit to one page wide only where the text stays >= 8 pt.

    `sheet` is an XlsxWriter worksheet; `title_cols` the first and last column (0-based)
    repeated on every page when the sheet prints more pages across."""
    if orientation == "landscape":
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.set_paper(PAPER_A4)
    sheet.set_margins(left=MARGIN_IN, right=MARGIN_IN, top=0.75, bottom=0.75)
    if fits_one_page_wide(widths, orientation, font_size):
        sheet.fit_to_pages(1, 0)
    else:  # more pages across, at 100 %, with the identifying columns repeated
        sheet.set_print_scale(100)
        sheet.print_across()
        if title_cols:
            sheet.repeat_columns(*title_cols)
    if repeat_header:
        sheet.repeat_rows(0)


def _header_text(text: str) -> str:
    return "&" + str(FONT_SIZE) + text.replace("&", "&&")  # a lone & starts a code


def set_header_footer(sheet, document_id: str, version_label: str, sheet_title: str) -> None:
    """Document id and title on top, version and "page x of y" at the bottom of each page."""
    sheet.set_header("&L" + _header_text(document_id)
                     + "&C" + _header_text(f"Statement of Applicability: {sheet_title}")
                     + "&R" + _header_text(f"Version {version_label}"), {"margin": 0.3})
    sheet.set_footer("&L" + _header_text(f"{document_id} {version_label}")
                     + "&R" + _header_text("page ") + "&P of &N", {"margin": 0.3})
