"""Spreadsheet safety shared by every export: text is never run as a formula."""

# Full-width look-alikes too: some spreadsheet programs read them as the ASCII signs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_text(value):
    """Neutralise text that a spreadsheet would run as a formula (CSV)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def is_formula_like(value) -> bool:
    """Say whether a cell value would start a formula if stored as one (xlsx)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def xlsx_workbook(out):
    """A streamed XlsxWriter workbook on `out` (a path or a binary file object) whose text cells
    stay text: strings are never turned into formulas, links or numbers. Rows are written in
    order and flushed to temporary files, so memory stays flat however long a sheet is."""
    import xlsxwriter  # loaded only when a workbook is written

    return xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
