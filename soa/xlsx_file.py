"""Open an uploaded .xlsx with bounded work: refuse hostile files before any parser sees them.

Every XML part is streamed once, in blocks, counting the bytes it really holds (not what the
archive claims): entity declarations (XXE, billion laughs) are refused, and each chosen
sheet's declared dimensions, rows, cells and merged ranges are measured before openpyxl
reads it, in read-only mode, within those bounds.
"""

import os
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field

from defusedxml import ElementTree
from flask import current_app

from soa.grid import Cell

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted Office files are OLE containers
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 5_000
MAX_ROW_NUMBER = 100_000
MAX_COLUMN = 702  # ZZ
MAX_CELLS = 250_000
MAX_MERGES = 10_000
MAX_PART_BYTES = 25 * 1024 * 1024  # shared strings, styles...: what openpyxl keeps in memory
BLOCK = 64 * 1024
OVERLAP = 1024
ENTITY = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)
DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([^"]+)"')
ROW = re.compile(rb'<(?:\w+:)?row(?=[\s>/])([^>]*)>')
ROW_NUMBER = re.compile(rb'\br="(\d+)"')
CELL = re.compile(rb'<(?:\w+:)?c(?=[\s>/])([^>]*)>')
CELL_REF = re.compile(rb'\br="([A-Za-z]+)(\d+)"')
MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Za-z]+\d+(?::[A-Za-z]+\d+)?)"')
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


class ImportRefused(ValueError):
    """The file is not imported; the message says why. Nothing was changed."""


@dataclass
class SheetScan:
    name: str
    part: str
    rows: int = 0
    max_row: int = 0
    max_col: int = 0
    cells: int = 0
    merges: list[str] = field(default_factory=list)


def column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _split_ref(ref: str) -> tuple[int, int]:
    match = re.fullmatch(r"([A-Za-z]{1,3})(\d{1,7})", ref)
    if not match:
        return 0, 0
    return column_number(match.group(1)), int(match.group(2))


def check_file(path: str, sheet: str | None = None) -> dict[str, SheetScan]:
    """Refuse what is not a plain, bounded .xlsx; return the measured sheets to read."""
    if os.path.getsize(path) > MAX_FILE_BYTES:
        raise ImportRefused("The file is larger than 50 MB.")
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head == OLE_SIGNATURE:
        raise ImportRefused("The workbook is encrypted (password-protected) or in the old "
                            ".xls format; save it as an unprotected .xlsx and try again.")
    if not zipfile.is_zipfile(path):
        if head.startswith(b"PK"):
            raise ImportRefused("The workbook is damaged or truncated (its archive has no "
                                "central directory).")
        raise ImportRefused("This is not an Excel .xlsx workbook.")
    try:
        with zipfile.ZipFile(path) as archive:
            return _check_archive(archive, sheet)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError,
            ElementTree.ParseError) as error:
        raise ImportRefused(f"The workbook is damaged or truncated ({error}).") from error
    except ValueError as error:  # defusedxml's refusals, should one get past the scan
        if isinstance(error, ImportRefused):
            raise
        raise ImportRefused(f"The workbook holds XML that is refused ({error}).") from error


def _check_archive(archive: zipfile.ZipFile, wanted: str | None) -> dict[str, SheetScan]:
    entries = archive.infolist()
    names = {e.filename.lower(): e.filename for e in entries}
    if "xl/workbook.xml" not in names:
        raise ImportRefused("This is not an Excel .xlsx workbook.")
    content_types = _read_small(archive, names.get("[content_types].xml"))
    if any(n.endswith("vbaproject.bin") for n in names) or b"macroEnabled" in content_types:
        raise ImportRefused("Macro-enabled workbooks are refused; save it as a plain .xlsx.")
    limit_mb = current_app.config["ISMS_IMPORT_MAX_UNCOMPRESSED_MB"]
    budget = [limit_mb * 1024 * 1024]
    if sum(e.file_size for e in entries) > budget[0]:
        raise ImportRefused(f"The workbook expands to more than {limit_mb} MB when "
                            "unpacked; it is refused.")
    sheets = _sheet_parts(archive, names)
    if wanted is not None and wanted not in sheets:
        raise ImportRefused(f"The workbook has no sheet named '{wanted}'.")
    chosen = {n: SheetScan(n, part) for n, part in sheets.items()
              if wanted is None or n == wanted}
    by_part = {scan.part.lower(): scan for scan in chosen.values()}
    for entry in entries:
        if entry.filename.lower().endswith((".xml", ".rels", ".vml")):
            _stream(archive, entry, by_part.get(entry.filename.lower()), budget, limit_mb)
    return chosen


def _read_small(archive, name: str | None) -> bytes:
    if name is None:
        return b""
    with archive.open(name) as member:
        data = member.read(MAX_PART_BYTES + 1)
    if len(data) > MAX_PART_BYTES or ENTITY.search(data):
        raise ImportRefused(f"The workbook part {name} declares XML entities or is too "
                            "large; it is refused.")
    return data


def _sheet_parts(archive, names) -> dict[str, str]:
    """Map each sheet's name to its part in the archive, from the workbook and its rels."""
    book = ElementTree.fromstring(_read_small(archive, names["xl/workbook.xml"]))
    rels = ElementTree.fromstring(_read_small(archive, names.get("xl/_rels/workbook.xml.rels"))
                                  or b"<Relationships/>")
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    parts = {}
    for element in book.iter():
        if element.tag.endswith("}sheet") or element.tag == "sheet":
            target = targets.get(element.get(REL_NS), "")
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            parts[element.get("name", "")] = os.path.normpath(part).replace(os.sep, "/")
    return parts


def _stream(archive, entry, scan: SheetScan | None, budget: list[int], limit_mb: int) -> None:
    """Read one part in blocks: count its real bytes, refuse entities, measure a sheet."""
    size, tail = 0, b""
    with archive.open(entry) as member:
        while block := member.read(BLOCK):
            size += len(block)
            budget[0] -= len(block)
            if budget[0] < 0 or size > max(entry.file_size, 0):
                raise ImportRefused(f"The workbook expands to more than {limit_mb} MB when "
                                    "unpacked (its sizes are false); it is refused.")
            if scan is None and size > MAX_PART_BYTES:
                raise ImportRefused(f"The workbook part {entry.filename} is larger than "
                                    f"{MAX_PART_BYTES // 1024 // 1024} MB; it is refused.")
            if size == len(block) and block[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise ImportRefused("The workbook holds XML that is not UTF-8; it is refused.")
            buffer = tail + block
            if ENTITY.search(buffer):
                raise ImportRefused("The workbook declares XML entities (a DOCTYPE, as in XXE "
                                    "or 'billion laughs' attacks); it is refused.")
            safe = max(len(buffer) - OVERLAP, 0)
            if scan is not None:
                _measure(scan, buffer, safe)
            tail = buffer[safe:]
    if scan is not None:
        _measure(scan, tail, len(tail))


def _measure(scan: SheetScan, buffer: bytes, end: int) -> None:
    """Count rows, cells and merges whose tags start before `end`; refuse what is too big."""
    where = f"The sheet '{scan.name}'"
    if scan.rows == 0 and (dimension := DIMENSION.search(buffer)):
        last = dimension.group(1).decode("ascii", "replace").split(":")[-1]
        col, row = _split_ref(last)
        _check_bounds(where + " declares a used range up to " + last, col, row)
    for match in ROW.finditer(buffer):
        if match.start() >= end:
            break
        scan.rows += 1
        number = ROW_NUMBER.search(match.group(1))
        scan.max_row = max(scan.max_row, int(number.group(1)) if number else scan.rows)
        if scan.rows > MAX_ROWS:
            raise ImportRefused(f"{where} has more than {MAX_ROWS:,} rows; an SoA has far "
                                "fewer. Choose the SoA sheet or remove the other rows.")
        _check_bounds(f"{where} uses row {scan.max_row:,}", 0, scan.max_row)
    for match in CELL.finditer(buffer):
        if match.start() >= end:
            break
        scan.cells += 1
        ref = CELL_REF.search(match.group(1))
        if ref:
            col = column_number(ref.group(1).decode())
            scan.max_col = max(scan.max_col, col)
            _check_bounds(f"{where} uses cell {ref.group(1).decode()}{ref.group(2).decode()}",
                          col, int(ref.group(2)))
        if scan.cells > MAX_CELLS:
            raise ImportRefused(f"{where} has more than {MAX_CELLS:,} filled cells; it is "
                                "refused.")
    for match in MERGE.finditer(buffer):
        if match.start() < end:
            scan.merges.append(match.group(1).decode())
    if len(scan.merges) > MAX_MERGES:
        raise ImportRefused(f"{where} has more than {MAX_MERGES:,} merged ranges.")


def _check_bounds(what: str, col: int, row: int) -> None:
    if col > MAX_COLUMN or row > MAX_ROW_NUMBER:
        raise ImportRefused(f"{what}, beyond column ZZ or row {MAX_ROW_NUMBER:,}; an SoA fits "
                            "well within that. Clear the far-off cells and save again.")


def load_sheets(path: str, scans: dict[str, SheetScan]) -> dict[str, list[list[Cell]]]:
    """Read the measured sheets in read-only mode, each merged range filled with its value."""
    try:
        return _load(path, scans)
    except ImportRefused:
        raise
    except Exception as error:  # openpyxl's many ways of saying a part is malformed
        raise ImportRefused(f"The workbook could not be read ({type(error).__name__}: "
                            f"{error}).") from error


def _load(path: str, scans: dict[str, SheetScan]) -> dict[str, list[list[Cell]]]:
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about extensions it skips
        book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = {}
        for name, scan in scans.items():
            sheet = book[name] if name in book.sheetnames else None
            if not scan.rows or not hasattr(sheet, "iter_rows"):
                sheets[name] = []  # empty, or a chart sheet
                continue
            rows = []
            for row in sheet.iter_rows(min_row=1, max_row=scan.max_row or None,
                                       max_col=scan.max_col or None):
                cells = [Cell(getattr(c, "value", None),
                              getattr(c, "number_format", None) or "General") for c in row]
                while cells and cells[-1].value is None:
                    cells.pop()
                rows.append(cells)
            sheets[name] = _fill_merges(rows, scan.merges)
        return sheets
    finally:
        book.close()


def _fill_merges(rows: list[list[Cell]], merges: list[str]) -> list[list[Cell]]:
    for ref in merges:
        first, _, last = ref.partition(":")
        (min_col, min_row), (max_col, max_row) = _split_ref(first), _split_ref(last or first)
        if not min_row or min_row > len(rows) or min_col > len(rows[min_row - 1]):
            continue
        top = rows[min_row - 1][min_col - 1]
        for r in range(min_row - 1, min(max_row, len(rows))):
            row = rows[r]
            if len(row) < max_col:
                row.extend(Cell(None) for _ in range(max_col - len(row)))
            for c in range(min_col - 1, max_col):
                row[c] = Cell(top.value, top.number_format)
    return rows
