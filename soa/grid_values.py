"""Read SoA decisions out of the rows below a detected layout, on one or several sheets.

Nothing is dropped silently: a word no vocabulary knows is counted as an unknown value (the
user may say what it means), a column no field claims is reported as ignored, a row whose id
is not a control is an unmatched row, and text that fits no field lands in the notes.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from soa.grid import (
    Cell,
    Layout,
    Options,
    cell_at,
    column_letter,
    detect_layout,
    id_candidates,
    id_order,
    is_blank,
)
from soa.vocabulary import FIELD_LABELS, REASON_FIELDS, VOCABULARIES, normalise

TEXT_FIELDS = ("title", "justification", "inclusion_justification", "exclusion_justification",
               "owner", "company_part", "aws_part", "risk_refs")
TOKEN_SPLIT = re.compile(r"[,;/\n+&]|\band\b|\ben\b|\bet\b|\bund\b", re.I)


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
    layout: Layout | None = None
    sheets: list[str] = field(default_factory=list)
    unknown_values: dict[str, Counter] = field(default_factory=dict)

    @property
    def columns(self) -> dict[str, str | None]:
        """Each column of the (first) sheet read -> its field, None when ignored."""
        if self.layout is None:
            return {}
        return {column_letter(c): f for c, f in sorted(self.layout.fields.items())}


def read_value(name: str, value, overrides: dict[str, str]):
    """(understood value or None, [unknown words]) for one cell of a mapped column."""
    if is_blank(value):
        return None, []
    if name in VOCABULARIES and name != "reasons":
        word = normalise("yes" if value is True else "no" if value is False else value)
        found = overrides.get(word) or VOCABULARIES[name].get(word)
        if name == "applicability" and found in ("yes", "no"):
            found = "applicable" if found == "yes" else "excluded"
        return (found, []) if found else (None, [str(value).strip()])
    if name == "reasons":
        reasons, unknown = [], []
        for token in filter(None, (t.strip() for t in TOKEN_SPLIT.split(str(value)))):
            word = normalise(token)
            if not word:
                continue
            reason = overrides.get(word) or VOCABULARIES["reasons"].get(word)
            if reason is None:
                unknown.append(token)
            elif reason not in reasons:
                reasons.append(reason)
        return reasons or None, unknown
    text = value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value)
    return text.strip() or None, []


def _row_values(layout: Layout, row: list[Cell], options: Options, unknown) -> dict:
    raw: dict[str, object] = {}
    notes: list[str] = []
    for col, name in layout.fields.items():
        if name in (None, "id"):
            continue
        value, words = read_value(name, cell_at(row, col).value, options.values.get(name, {}))
        for word in words:
            unknown.setdefault(name, Counter())[word] += 1
        if value is None:
            continue
        if name == "notes":
            label = layout.labels.get(col, "")
            bare = not label or normalise(label) in ("notes", "note", "remarks", "comments")
            notes.append(value if bare else f"{label}: {value}")
        elif name not in raw:
            raw[name] = value
    return _combine(raw, notes, layout)


def _combine(raw: dict, notes: list[str], layout: Layout) -> dict:
    """Fold reason columns into reasons and the two justifications into one; keep the rest."""
    values = {k: v for k, v in raw.items() if k not in REASON_FIELDS and "_justification"
              not in k}
    reasons = list(values.pop("reasons", []) or [])
    reasons += [r for r in REASON_FIELDS if raw.get(r) == "yes" and r not in reasons]
    if reasons:
        values["reasons"] = reasons
    sides = [(k, raw[k]) for k in ("inclusion_justification", "exclusion_justification")
             if raw.get(k)]
    if sides:
        wanted = ("exclusion_justification" if values.get("applicability") == "excluded"
                  else "inclusion_justification")
        sides.sort(key=lambda side: side[0] != wanted)  # the side that fits the decision first
        if "justification" not in values:
            values["justification"] = sides.pop(0)[1]
        notes.extend(f"{FIELD_LABELS[k]}: {text}" for k, text in sides
                     if text != values["justification"])
    if values.get("status") == "none":
        values.pop("status")
    if notes:
        values["notes"] = notes
    return values


def _is_heading(row: list[Cell], layout: Layout) -> bool:
    texts = {str(c.value).strip() for col, c in enumerate(row)
             if not is_blank(c.value) and layout.fields.get(col) not in (None, "title")}
    return len(texts) <= 1


def _resolve(candidates: list[str], known, previous: str | None) -> list[str]:
    ids = [f"A.{c}" for c in candidates if f"A.{c}" in known]
    if len(ids) > 1:
        after = [i for i in ids if previous and id_order(i) > id_order(previous)]
        ids = sorted(after or ids, key=id_order)[:1]
    return ids


def read_sheet(name: str, rows, layout: Layout, known, options: Options, result: GridResult,
               seen: dict[str, str]) -> None:
    """Read the controls below the header of one sheet into `result`."""
    previous = None
    for index in range(layout.first_id_row, len(rows)):
        row, number = rows[index], index + 1
        id_cell = cell_at(row, layout.id_col)
        candidates, inline_title = id_candidates(id_cell)
        if not candidates:
            if not is_blank(id_cell.value) and not _is_heading(row, layout):
                result.unmatched.append({"sheet": name, "row": number, "reason": (
                    f"'{id_cell.value}' is not an Annex A control id")})
            continue
        ids = _resolve(candidates, known, previous)
        if len(ids) != 1:
            if len(candidates[0].split(".")) < (3 if result.edition == "2013" else 2):
                continue  # a clause, theme or objective heading between the controls
            result.unmatched.append({"sheet": name, "row": number, "reason": (
                f"'{id_cell.value}' is not a {result.edition} Annex A control")})
            continue
        control_id = ids[0]
        if control_id in seen:
            result.unmatched.append({"sheet": name, "row": number,
                                     "reason": f"{control_id} already on {seen[control_id]}"})
            continue
        seen[control_id], previous = f"{name} row {number}", control_id
        values = _row_values(layout, row, options, result.unknown_values)
        title = inline_title or values.pop("title", "")
        values.pop("title", None)
        result.rows.append(Found(name, number, control_id, str(title), values))


def _overlap(found: set[str], ids: set[str]) -> bool:
    return bool(ids) and len(found & ids) * 2 > len(ids)


def read_workbook(sheets: dict[str, list[list[Cell]]], catalogs,
                  options: Options | None = None) -> GridResult:
    """Read the SoA sheet, and the sheets beside it that carry further controls of it."""
    options = options or Options()
    layouts = []
    for name, rows in sheets.items():
        if options.sheet and name != options.sheet:
            continue
        layout = detect_layout(name, rows, catalogs, options)
        if layout is not None:
            layouts.append(layout)
    if not layouts:
        return GridResult(error="No column of Annex A control ids was found on any sheet.")
    decisions = {id(lay): sum(f not in (None, "id", "title") for f in lay.fields.values())
                 for lay in layouts}
    layouts.sort(key=lambda lay: (-bool(decisions[id(lay)]), -_count(lay, sheets, catalogs)))
    primary = layouts[0]
    result = GridResult(edition=primary.edition, layout=primary)
    seen: dict[str, str] = {}
    for layout in layouts:
        if layout is not primary and (layout.edition != primary.edition or (
                decisions[id(primary)] and not decisions[id(layout)])):
            continue
        before = len(result.rows)
        ids = _ids(layout, sheets[layout.sheet], catalogs)
        if layout is not primary and _overlap(set(seen), ids):
            continue  # another copy of the same controls (a mapping, an older SoA)
        read_sheet(layout.sheet, sheets[layout.sheet], layout, catalogs[primary.edition],
                   options, result, seen)
        if len(result.rows) > before:
            result.sheets.append(layout.sheet)
    if not result.rows:
        return GridResult(error="No column of Annex A control ids was found on any sheet.",
                          layout=primary, sheets=[primary.sheet])
    result.rows.sort(key=lambda f: id_order(f.control_id))
    order = list(sheets)
    result.sheets.sort(key=order.index)
    check_titles(result, catalogs[result.edition])
    return result


def _title_matches(title: str, expected) -> bool:
    wanted = {normalise(t) for t in expected}
    got = normalise(title)
    return not got or got in wanted or any(got.startswith(w) or w.startswith(got)
                                           for w in wanted)


def check_titles(result: GridResult, known: dict[str, set[str]]) -> None:
    """Warn about titles that match neither catalog title nor alias; flag shifted rows."""
    owners = {normalise(t): control_id for control_id, titles in known.items() for t in titles}
    titled = [f for f in result.rows if normalise(f.title)]
    odd, shifted = [], []
    for found in titled:
        if _title_matches(found.title, known[found.control_id]):
            continue
        other = owners.get(normalise(found.title))
        (shifted if other else odd).append((found, other))
    if len(odd) * 2 > len(titled) and len(odd) > 3:
        result.warnings.append(
            f"{len(odd)} of {len(titled)} titles do not match the catalog's (another language "
            "or the organisation's own wording?); the ids were used, the titles not checked.")
    else:
        result.warnings.extend(
            f"{f.sheet} row {f.row}: the title '{f.title}' does not match {f.control_id} "
            f"({sorted(known[f.control_id])[0]})." for f, _ in odd)
    result.warnings.extend(
        f"{f.sheet} row {f.row}: the title '{f.title}' is the title of {other}, not of "
        f"{f.control_id}: the rows may be shifted." for f, other in shifted)


def _ids(layout: Layout, rows, catalogs) -> set[str]:
    known = catalogs[layout.edition]
    return {f"A.{c}" for row in rows[layout.first_id_row:]
            for c in id_candidates(cell_at(row, layout.id_col))[0][:1] if f"A.{c}" in known}


def _count(layout: Layout, sheets, catalogs) -> int:
    return len(_ids(layout, sheets[layout.sheet], catalogs))
