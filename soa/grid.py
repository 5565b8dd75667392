"""Find an SoA's layout in a grid of cells: the id column, the header row, each column's field.

This layer knows nothing about files or the database: it takes sheets as lists of rows of
(value, number format) pairs. Columns are recognised by content (a column of Annex A ids is
the id column whatever its header says) and by header, in four languages; what the user
says (`Options`) wins over what was detected.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from soa.vocabulary import FIELD_VALUES, FIELDS, header_field, normalise

HEADER_SCAN_ROWS = 8  # how far above the first id a header may sit
ID_IN_TEXT = re.compile(r"^\s*(?:A\s*\.?\s*)?(\d{1,2}(?:\s*\.\s*\d{1,2}){0,2})\b(.*)$", re.I)
LETTERS = re.compile(r"^[A-Za-z]{1,3}$")


@dataclass
class Cell:
    value: object
    number_format: str = "General"


@dataclass
class Options:
    """What the user said: the sheet, the header row, columns and the meaning of words."""

    sheet: str | None = None
    header_row: int | None = None  # 1-based, as the spreadsheet numbers rows
    assign: list[tuple[str, str]] = field(default_factory=list)  # (field or "ignore", column)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {text: value}

    def to_dict(self) -> dict:
        return {"sheet": self.sheet, "header_row": self.header_row,
                "assign": [list(a) for a in self.assign], "values": self.values}

    @classmethod
    def from_dict(cls, data: dict) -> "Options":
        """Options from saved or posted JSON; anything malformed or unknown is left out."""
        sheet, header = data.get("sheet"), data.get("header_row")
        values = {}
        for name, words in dict(data.get("values") or {}).items():
            allowed = FIELD_VALUES.get(str(name), ())
            values[str(name)] = {normalise(t): str(v) for t, v in dict(words).items()
                                 if str(v) in allowed}
        return cls(sheet if isinstance(sheet, str) and sheet else None,
                   header if isinstance(header, int) and 0 < header <= 1_000_000 else None,
                   [(str(f), str(c)) for f, c in list(data.get("assign") or [])
                    if str(f) in FIELDS or f == "ignore"],
                   {name: words for name, words in values.items() if words})

    def merged_with(self, other: "Options") -> "Options":
        """These options, with what `other` says on top."""
        values = {f: dict(w) for f, w in self.values.items()}
        for name, words in other.values.items():
            values.setdefault(name, {}).update(words)
        return Options(other.sheet or self.sheet, other.header_row or self.header_row,
                       [*self.assign, *other.assign], values)


@dataclass
class Layout:
    sheet: str
    header_row: int | None  # 1-based; None when the sheet has no header above the ids
    id_col: int  # 0-based
    fields: dict[int, str | None]  # column -> field, None for a column reported as ignored
    labels: dict[int, str]  # column -> its header as written (two-row headers joined)
    first_id_row: int  # 0-based
    edition: str


def id_order(dotted: str) -> tuple:
    return tuple(int(p) for p in dotted.removeprefix("A.").split(".") if p.isdigit())


def id_candidates(cell: Cell) -> tuple[list[str], str]:
    """Return the dotted ids a cell may hold (best first) and any title text beside it."""
    value = cell.value
    if isinstance(value, datetime | date):
        # A spreadsheet turned 10.1.1 into a date; which part went where depends on locale.
        y, m, d = value.year % 100, value.month, value.day
        return list(dict.fromkeys([f"{y}.{m}.{d}", f"{d}.{m}.{y}", f"{m}.{d}.{y}"])), ""
    if isinstance(value, bool) or value is None:
        return [], ""
    if isinstance(value, int | float):
        if value != value or abs(value) > 1e6:  # NaN, infinities, huge numbers: not an id
            return [], ""
        decimals = re.search(r"\.(0+)", cell.number_format or "")
        if decimals and len(decimals.group(1)) <= 2:  # how it was typed: 5.10 shown as 0.00
            return [f"{value:.{len(decimals.group(1))}f}"], ""
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        candidates = [text]
        if re.fullmatch(r"\d+\.\d", text):
            candidates.append(text + "0")  # 5.1 may have been 5.10
        return candidates, ""
    match = ID_IN_TEXT.match(str(value))
    if not match:
        return [], ""
    return [re.sub(r"\s+", "", match.group(1))], match.group(2).strip(" -\u2013\u2014:\t")


def cell_at(row: list[Cell], column: int) -> Cell:
    return row[column] if 0 <= column < len(row) else Cell(None)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not normalise(value))


def column_letter(number: int) -> str:
    """The spreadsheet letter of a 0-based column."""
    letters, number = "", number + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number - 1


def _id_scores(rows: list[list[Cell]], catalogs) -> dict[int, tuple[int, str, int]]:
    """Per column: (distinct known ids, the edition they belong to, first row with one)."""
    seen: dict[tuple[int, str], set[str]] = {}
    first: dict[int, int] = {}
    for index, row in enumerate(rows):
        for col, cell in enumerate(row):
            candidates, _ = id_candidates(cell)
            for edition, known in catalogs.items():
                hits = [c for c in candidates if f"A.{c}" in known]
                if hits:
                    seen.setdefault((col, edition), set()).add(hits[0])
                    first.setdefault(col, index)
    scores: dict[int, tuple[int, str, int]] = {}
    for (col, edition), ids in seen.items():
        if len(ids) > scores.get(col, (0, "", 0))[0] or (
                len(ids) == scores[col][0] and edition == "2013"):
            scores[col] = (len(ids), edition, first[col])
    return scores


def _is_header_like(row: list[Cell]) -> tuple[int, int]:
    """(header words it holds, distinct non-empty texts)."""
    texts = {normalise(c.value) for c in row if isinstance(c.value, str) and normalise(c.value)}
    return sum(header_field(t) is not None for t in texts), len(texts)


def find_header(rows: list[list[Cell]], first_id: int) -> int | None:
    """The row directly above the first id if it reads as a header, else the best above it."""
    above = [i for i in range(first_id - 1, max(first_id - HEADER_SCAN_ROWS, 0) - 1, -1)
             if any(not is_blank(c.value) for c in rows[i])]
    if not above:
        return None
    words, texts = _is_header_like(rows[above[0]])
    if words and texts >= 2:
        return above[0]
    scored = [(_is_header_like(rows[i]), i) for i in above]
    best = max(scored, key=lambda s: (s[0][0], s[0][1] >= 2, -abs(first_id - s[1])))
    if best[0][0] or best[0][1] >= 2:
        return best[1]
    return None


def header_labels(rows: list[list[Cell]], header: int | None) -> dict[int, str]:
    """Each column's header; a two-row header (the row above also a header) is joined."""
    if header is None:
        return {}
    lower = rows[header]
    upper = rows[header - 1] if header > 0 else []
    words, texts = _is_header_like(upper) if upper else (0, 0)
    two_rows = words >= 1 and texts >= 2
    labels = {}
    for col in range(max(len(lower), len(upper) if two_rows else 0)):
        low = "" if is_blank(cell_at(lower, col).value) else str(cell_at(lower, col).value)
        up = ("" if not two_rows or is_blank(cell_at(upper, col).value)
              else str(cell_at(upper, col).value))
        if up and low and normalise(up) != normalise(low):
            labels[col] = f"{up.strip()} / {low.strip()}"
        elif low or up:
            labels[col] = (low or up).strip()
    return labels


def label_field(label: str) -> str | None:
    """The field a (possibly two-row) header names: the whole, then its lower, then upper."""
    parts = [label, *reversed(label.split(" / "))] if " / " in label else [label]
    for part in parts:
        found = header_field(part)
        if found is not None:
            return found
    return None


def detect_layout(name: str, rows: list[list[Cell]], catalogs, options: Options):
    """Find one sheet's layout, or None when it holds no Annex A ids (and none was mapped)."""
    scores = _id_scores(rows, catalogs)
    id_col = _assigned_id_column(rows, options)
    if id_col is None:
        if not scores:
            return None
        id_col = max(scores, key=lambda c: (scores[c][0], -c))
    _, edition, first = scores.get(id_col, (0, "2022", 0))
    if options.header_row:
        header = min(options.header_row, len(rows)) - 1 if rows else None
        first = max(first, (header or 0) + 1)
    else:
        header = find_header(rows, first)
    labels = header_labels(rows, header)
    fields: dict[int, str | None] = {}
    taken: set[str] = set()
    for col, label in sorted(labels.items()):
        found = label_field(label) or None
        if col == id_col:
            found = "id"
        elif found == "id" or (found in taken and found != "notes"):
            found = None  # a second column of the same field is reported, not merged
        fields[col] = found
        if found:
            taken.add(found)
    fields[id_col] = "id"
    normalised = {normalise(label): col for col, label in labels.items()}
    if "evidence status" in normalised and "evidence" in normalised:
        fields[normalised["evidence"]] = None  # our own export's list of evidence, not notes
    layout = Layout(name, None if header is None else header + 1, id_col, fields, labels,
                    first, edition)
    _apply_assignments(layout, rows, options)
    return layout


def resolve_column(spec: str, labels: dict[int, str]) -> int | None:
    """A column given as its header's text (preferred) or its letter; None if neither."""
    wanted = normalise(spec)
    for col, label in labels.items():
        if normalise(label) == wanted or normalise(label.split(" / ")[-1]) == wanted:
            return col
    return column_index(spec) if LETTERS.match(spec.strip()) else None


def _assigned_id_column(rows, options: Options) -> int | None:
    for name, spec in options.assign:
        if name == "id":
            labels = {}
            for row in rows[:HEADER_SCAN_ROWS * 4]:
                for col, cell in enumerate(row):
                    if isinstance(cell.value, str):
                        labels.setdefault(col, cell.value)
            if options.header_row and options.header_row <= len(rows):
                labels.update({c: str(v.value) for c, v in enumerate(rows[
                    options.header_row - 1]) if isinstance(v.value, str)})
            return resolve_column(spec, labels)
    return None


def _apply_assignments(layout: Layout, rows, options: Options) -> None:
    for name, spec in options.assign:
        if name == "id":
            continue
        col = resolve_column(spec, layout.labels)
        if col is None or (name not in FIELDS and name != "ignore"):
            continue
        if name not in ("notes", "ignore"):
            for other, current in list(layout.fields.items()):
                if current == name and other != col:
                    layout.fields[other] = None
        if col != layout.id_col:
            layout.fields[col] = None if name == "ignore" else name
            layout.labels.setdefault(col, "")
