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
