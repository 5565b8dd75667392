"""Import an SoA workbook: refuse unsafe files before parsing, plan every change, apply in one go.

The command line and the browser both call `plan_import` and `apply_import`, so they read,
report and write the same way.
"""

import json
from collections import Counter
from dataclasses import dataclass, field

from controls.api import (
    Applicability,
    ImplementationStatus,
    Responsibility,
    apply_decision,
    list_decisions,
)
from isms.api import EDITIONS, User, aliases, get_edition, get_organisation, list_assignable_owners
from soa.grid import Options, column_letter
from soa.grid_values import GridResult, read_workbook
from soa.rows import REASON_WORDS, RESPONSIBILITY_WORDS, STATUS_WORDS
from soa.vocabulary import FIELD_LABELS, normalise
from soa.xlsx_file import ImportRefused, check_file, load_sheets

__all__ = ["ImportPlan", "ImportRefused", "apply_import", "catalogs", "load_sheets",
           "plan_from_grid", "plan_import", "read_file"]
RISK_REFS_MAX = 500
# The decision fields a plan writes, in the order the summary and the preview list them.
DECIDED = ("applicability", "reasons", "justification", "status", "owner", "responsibility",
           "company_part", "aws_part", "risk_refs", "notes")


def catalogs() -> dict[str, dict[str, set[str]]]:
    """Each edition's control ids with their titles and known aliases."""
    return {code: {i.control_id: {i.title, *aliases(code, i.control_id)}
                   for i in get_edition(code).items} for code in EDITIONS}


@dataclass
class Change:
    control_id: str
    field: str
    before: str
    after: str


@dataclass
class ImportPlan:
    grid: GridResult
    options: Options
    sheet_names: list[str]
    updates: list[tuple[str, dict]] = field(default_factory=list)  # (control id, values)
    changes: list[Change] = field(default_factory=list)
    decided: Counter = field(default_factory=Counter)

    def summary(self) -> dict:
        rows, grid = self.grid.rows, self.grid
        layout = grid.layout
        return {
            "edition": grid.edition, "matched": len(rows),
            "applicable": sum(r.values.get("applicability") == "applicable" for r in rows),
            "not_applicable": sum(r.values.get("applicability") == "excluded" for r in rows),
            "unmatched_rows": grid.unmatched, "warnings": grid.warnings,
            "sheet": layout.sheet if layout else None, "sheets": grid.sheets,
            "header_row": layout.header_row if layout else None, "columns": grid.columns,
            "unknown_values": {f: dict(c.most_common()) for f, c in grid.unknown_values.items()},
            "decided": {f: self.decided[f] for f in DECIDED if self.decided[f]},
            "changes": len(self.changes),
        }

    def to_json(self) -> str:
        return json.dumps(self.summary(), indent=2, ensure_ascii=False, default=str)

    @property
    def ignored(self) -> list[str]:
        """The columns of the header row no field reads, as "D (header)"."""
        layout = self.grid.layout
        if layout is None:
            return []
        return [f"{column_letter(col)} ({layout.labels.get(col, '')})".replace(" ()", "")
                for col, name in sorted(layout.fields.items()) if name is None]


def read_file(path: str, options: Options) -> tuple[GridResult, dict, list[str]]:
    """Check and read a workbook: (what was found, the sheets read, every sheet's name)."""
    scans = check_file(path, options.sheet)
    names = list(scans) if options.sheet is None else [options.sheet]
    sheets = load_sheets(path, scans)
    return read_workbook(sheets, catalogs(), options), sheets, names


def plan_import(path: str, options: Options | None = None) -> ImportPlan:
    """Check, read and compare a workbook with the current decisions; change nothing."""
    options = options or Options()
    grid, _, names = read_file(path, options)
    return plan_from_grid(grid, options, names)


def plan_from_grid(grid: GridResult, options: Options, names: list[str]) -> ImportPlan:
    """Compare what a workbook says with the current decisions; change nothing."""
    if grid.error:
        raise ImportRefused(grid.error)
    edition = get_organisation().edition
    if grid.edition != edition:
        raise ImportRefused(f"The workbook lists ISO/IEC 27001:{grid.edition} controls; the "
                            f"organisation uses the {edition} edition.")
    plan = ImportPlan(grid, options, names)
    _warn_unknown_values(grid)
    owners = _owner_index()
    names = {u.id: u.display_name for u in owners.values()}
    current = {d.control_id: d for d in list_decisions(edition)}
    for found in grid.rows:
        values = _model_values(found, owners, grid.warnings)
        plan.decided.update(_decided(values))
        if found.control_id in current:
            _keep_notes(values, current[found.control_id].notes)
        plan.updates.append((found.control_id, values))
        if found.control_id in current:
            plan.changes.extend(_changes(found.control_id, current[found.control_id], values,
                                         names))
    return plan


def _warn_unknown_values(grid: GridResult) -> None:
    said = [f"{FIELD_LABELS[name]}: '{text}' ({count} row{'s' if count > 1 else ''}) is not a "
            f"value we know; left as it was. Say what it means in the mapping step (or "
            f"--value {name}:{text}=...)."
            for name, counter in grid.unknown_values.items()
            for text, count in counter.most_common()]
    grid.warnings[:0] = said


def _owner_index() -> dict[str, User]:
    index = {}
    for user in list_assignable_owners():
        index.setdefault(normalise(user.email), user)
        if user.name:
            index.setdefault(normalise(user.name), user)
    return index


def _model_values(found, owners: dict[str, User], warnings: list[str]) -> dict:
    """The row's values as the decision record holds them; unknown owners go to the notes."""
    values, notes = {}, list(found.values.get("notes", []))
    for key, value in found.values.items():
        if key == "applicability":
            values["applicability"] = Applicability(value)
        elif key == "status":
            values["implementation_status"] = ImplementationStatus(value)
        elif key == "responsibility":
            values["responsibility"] = Responsibility(value)
        elif key == "reasons":
            values["reasons"] = list(value)
        elif key == "owner":
            user = owners.get(normalise(value))
            if user is None:
                notes.append(f"Owner: {value}")
                warnings.append(f"{found.sheet} row {found.row}: no user is called '{value}'; "
                                f"{found.control_id} keeps it in its notes, without an owner.")
            else:
                values["owner_id"] = user.id
        elif key == "risk_refs" and len(value) > RISK_REFS_MAX:
            notes.append(f"Risk refs: {value}")
        elif key != "notes":
            values[key] = value
    if notes:
        values["notes"] = "\n".join(notes)
    return values


def _keep_notes(values: dict, existing: str) -> None:
    """Notes already in the tracker are kept: the workbook's are added once, below them."""
    if "notes" not in values or not existing:
        return
    if values["notes"] in existing:
        values.pop("notes")
    else:
        values["notes"] = f"{existing.rstrip()}\n{values['notes']}"


def _decided(values: dict) -> dict[str, int]:
    names = {"implementation_status": "status", "owner_id": "owner"}
    return {names.get(k, k): 1 for k in values}


def _word(key: str, value) -> str:
    """A stored value as people read it."""
    if value is None or value == "":
        return ""
    if key == "applicability":
        return {"applicable": "Yes", "excluded": "No"}[str(value)]
    if key == "implementation_status":
        return STATUS_WORDS[str(value)]
    if key == "responsibility":
        return RESPONSIBILITY_WORDS[str(value)]
    if key == "reasons":
        return ", ".join(REASON_WORDS[str(r)] for r in value)
    return str(value)


def _changes(control_id: str, decision, values: dict, owner_names: dict) -> list[Change]:
    before = {
        "applicability": decision.applicability, "reasons": [r.value for r in decision.reasons],
        "justification": decision.justification,
        "implementation_status": decision.implementation_status,
        "responsibility": decision.responsibility, "company_part": decision.company_part,
        "aws_part": decision.aws_part, "risk_refs": decision.written_risk_refs,
        "owner_id": decision.owner_id, "notes": decision.notes,
    }
    names = {"implementation_status": "status", "owner_id": "owner"}
    changes = []
    for key, after in values.items():
        old = before.get(key)
        if key == "reasons":
            same = sorted(map(str, old)) == sorted(map(str, after))
        else:
            same = str(old.value if hasattr(old, "value") else old or "") == str(
                after.value if hasattr(after, "value") else after or "")
        if not same:
            if key == "owner_id":
                old_text, new_text = decision.owner_name, owner_names.get(after, "")
            else:
                old_text, new_text = _word(key, old), _word(key, after)
            changes.append(Change(control_id, FIELD_LABELS[names.get(key, key)], old_text,
                                  new_text))
    return changes


def apply_import(plan: ImportPlan, actor: User | None, audit_actor: str | None = None) -> int:
    """Write every matched row's decisions (the caller commits once, or rolls back).

    The events name `audit_actor` when given (the CLI), else `actor`.
    """
    edition = get_organisation().edition
    for control_id, values in plan.updates:
        apply_decision(edition, control_id, dict(values), actor, audit_actor=audit_actor)
    return len(plan.updates)
