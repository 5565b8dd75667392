"""Read SoA decisions out of a grid of cells, however the spreadsheet was laid out.

This layer knows nothing about files or the database: it takes sheets as lists of rows of
(value, number format) pairs and returns what it recognised, what it could not match and
what it had to warn about. It never guesses: an unknown word is a warning, not a decision.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

HEADER_SCAN_ROWS = 40
COLUMN_NAMES = {
    "id": {"id", "control id", "control ref", "control reference", "ref", "reference", "no",
           "number", "control no", "control number", "annex a", "annex a ref",
           "annex a control", "iso ref", "iso 27001 ref", "clause", "#", "control #"},
    "title": {"control", "control title", "title", "control name", "name",
              "control description", "annex a control title"},
    "applicable": {"applicable", "applicability", "applicable?", "included", "included?",
                   "in scope", "in scope?", "selected", "applies", "inclusion",
                   "applicable yes no", "included in soa"},
    "reasons": {"inclusion reasons", "inclusion reason", "reasons", "reason for inclusion",
                "reasons for inclusion", "reason for selection", "selection reasons",
                "justification for inclusion"},
    "justification": {"justification", "justification for exclusion", "exclusion justification",
                      "reason for exclusion", "exclusion reason", "justification exclusion"},
    "status": {"implementation status", "status", "implemented", "implemented?",
               "implementation"},
    "responsibility": {"responsibility", "responsible party", "shared responsibility"},
    "company_part": {"company part", "company responsibility", "customer part",
                     "customer responsibility"},
    "aws_part": {"aws part", "aws responsibility", "provider part", "provider responsibility"},
    "risk_refs": {"risk refs", "risks", "risk ids", "linked risks", "risk references",
                  "risk ref"},
}
YES = {"yes", "y", "applicable", "included", "include", "in scope", "x", "true", "selected",
       "1", "✓", "✔"}
NO = {"no", "n", "not applicable", "n/a", "na", "excluded", "exclude", "out of scope",
      "false", "not selected", "0", "-"}
STATUS = {"implemented": "implemented", "fully implemented": "implemented", "done": "implemented",
          "partial": "partial", "partially implemented": "partial", "in progress": "partial",
          "partially": "partial", "planned": "planned", "not started": "not_started",
          "not implemented": "not_started", "open": "not_started"}
REASONS = {"legal": "legal", "law": "legal", "regulatory": "legal", "legal requirement": "legal",
           "lr": "legal", "contractual": "contractual", "contract": "contractual",
           "contractual obligation": "contractual", "co": "contractual",
           "business": "business", "business requirement": "business",
           "best practice": "business", "br": "business", "bp": "business", "risk": "risk",
           "risk treatment": "risk", "risk assessment": "risk", "rra": "risk", "ra": "risk"}
RESPONSIBILITY = {"company": "company", "customer": "company", "us": "company",
                  "internal": "company", "aws": "aws", "provider": "aws",
                  "cloud provider": "aws", "supplier": "aws", "shared": "shared",
                  "both": "shared"}
ID_IN_TEXT = re.compile(r"^\s*(?:A\s*\.?\s*)?(\d{1,2}(?:\s*\.\s*\d{1,2}){0,2})\b(.*)$", re.I)


@dataclass
class Cell:
    value: object
    number_format: str = "General"


@dataclass
class Found:
    sheet: str
    row: int
    control_id: str
    title: str
    values: dict


@dataclass
class GridResult:
    edition: str | None = None
    rows: list[Found] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""


def normalise(text) -> str:
    """Lower-case, trim and fold spaces and punctuation in a header or a word."""
    text = re.sub(r"[\s_/:()\-]+", " ", str(text or "")).strip().lower()
    return text.rstrip(".")


def find_header(rows: list[list[Cell]]) -> tuple[int, dict[str, int]] | None:
    """Return (row index, column of each known field) of the likeliest header row."""
    best = None
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns: dict[str, int] = {}
        for col, cell in enumerate(row):
            if not isinstance(cell.value, str):
                continue
            name = normalise(cell.value)
            for key, names in COLUMN_NAMES.items():
                if key not in columns and (name in names or name.rstrip("?") in names):
                    columns[key] = col
                    break
        if "id" not in columns and "title" in columns:
            columns["id"] = columns["title"]  # ids may share the title's column
        score = len(columns) if "id" in columns else 0
        if score >= 2 and (best is None or score > len(best[1])):
            best = (index, columns)
    return best


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
        decimals = re.search(r"\.(0+)", cell.number_format or "")
        if decimals:  # the number format says how it was typed: 5.10 shown as 0.00
            return [f"{value:.{len(decimals.group(1))}f}"], ""
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        candidates = [text]
        if re.fullmatch(r"\d+\.\d", text):
            candidates.append(text + "0")  # 5.1 may have been 5.10
        return candidates, ""
    match = ID_IN_TEXT.match(str(value))
    if not match:
        return [], ""
    return [re.sub(r"\s+", "", match.group(1))], match.group(2).strip(" -\u2013:\t")


def decide_edition(rows_candidates, catalogs) -> str:
    """Three-part control ids mean 2013 (whose two-part ids are objectives, not controls)."""
    three = sum(any("A." + c in catalogs["2013"] for c in cands) for cands in rows_candidates)
    two = sum(any("A." + c in catalogs["2022"] for c in cands) for cands in rows_candidates)
    return "2013" if three and three * 3 >= two else "2022"


def _resolve(candidates: list[str], known, previous: str | None) -> list[str]:
    ids = [f"A.{c}" for c in candidates if f"A.{c}" in known]
    if len(ids) > 1 and previous:
        after = [i for i in ids if id_order(i) > id_order(previous)]
        ids = sorted(after, key=id_order)[:1] or ids
    elif len(ids) > 1 and previous is None:
        ids = sorted(ids, key=id_order)[:1]
    return ids


def _read_value(key: str, cell: Cell, where: str, warnings: list[str]):
    value = cell.value
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if key in {"justification", "company_part", "aws_part", "risk_refs"}:
        return str(value).strip()
    if key == "applicable":
        word = normalise("yes" if value is True else "no" if value is False else value)
        if word in YES:
            return "applicable"
        if word in NO:
            return "excluded"
        warnings.append(f"{where}: '{value}' is not a yes/no value we know; "
                        "applicability left as it was.")
        return None
    vocabulary = {"status": STATUS, "responsibility": RESPONSIBILITY}.get(key)
    if vocabulary is not None:
        found = vocabulary.get(normalise(value))
        if found is None:
            warnings.append(f"{where}: '{value}' is not a {key} we know; left as it was.")
        return found
    reasons = []
    for token in filter(None, re.split(r"[,;/\n+&]|\band\b", str(value))):
        reason = REASONS.get(normalise(token))
        if reason is None:
            warnings.append(f"{where}: '{token.strip()}' is not an inclusion reason we know.")
        elif reason not in reasons:
            reasons.append(reason)
    return reasons or None


def _title_matches(title: str, expected) -> bool:
    wanted = {normalise(t) for t in expected}
    got = normalise(title)
    return not got or got in wanted or any(got.startswith(w) or w.startswith(got)
                                           for w in wanted)


def _cell_at(row: list[Cell], column: int) -> Cell:
    return row[column] if column < len(row) else Cell(None)


def read_sheet(name: str, rows: list[list[Cell]], catalogs, edition: str | None = None):
    """Read one sheet; return (edition, GridResult) or None when it has no id column."""
    header = find_header(rows)
    if header is None:
        return None
    start, columns = header
    body = [(start + 2 + offset, row) for offset, row in enumerate(rows[start + 1:])]
    id_col = columns["id"]
    parsed = [(number, row, *id_candidates(_cell_at(row, id_col))) for number, row in body]
    edition = edition or decide_edition([p[2] for p in parsed], catalogs)
    known = catalogs[edition]
    result = GridResult(edition=edition)
    seen: dict[str, int] = {}
    previous = None
    for number, row, candidates, inline_title in parsed:
        where = f"{name} row {number}"
        if not candidates:
            continue
        ids = _resolve(candidates, known, previous)
        if len(ids) != 1:
            depth = len(candidates[0].split("."))
            if depth < (3 if edition == "2013" else 2):
                continue  # a clause, theme or objective heading between the controls
            reason = (f"ambiguous id: could be {', '.join(ids)}" if ids else
                      f"'{row[id_col].value}' is not a {edition} Annex A control")
            result.unmatched.append({"sheet": name, "row": number, "reason": reason})
            continue
        control_id = ids[0]
        if control_id in seen:
            result.unmatched.append({"sheet": name, "row": number,
                                     "reason": f"{control_id} already on row {seen[control_id]}"})
            continue
        seen[control_id], previous = number, control_id
        title = inline_title or (str(_cell_at(row, columns["title"]).value or "")
                                 if "title" in columns and columns["title"] != id_col else "")
        if not _title_matches(title, known[control_id]):
            result.warnings.append(f"{where}: the title '{title}' does not match "
                                   f"{control_id} ({sorted(known[control_id])[0]}).")
        values = {key: _read_value(key, _cell_at(row, columns[key]), where, result.warnings)
                  for key in columns if key not in {"id", "title"}}
        result.rows.append(Found(name, number, control_id, title,
                                 {k: v for k, v in values.items() if v is not None}))
    return result


def read_workbook(sheets: dict[str, list[list[Cell]]], catalogs) -> GridResult:
    """Read every SoA-like sheet; the one with the most recognised controls wins."""
    results = [r for name, rows in sheets.items()
               if (r := read_sheet(name, rows, catalogs)) is not None]
    if not results or not max(len(r.rows) for r in results):
        return GridResult(error="No column of Annex A control ids was found on any sheet.")
    return max(results, key=lambda r: len(r.rows))
