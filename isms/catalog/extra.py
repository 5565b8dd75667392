"""Controls from other sources than Annex A (ISO/IEC 27001 6.1.3 b): ready sets and custom ones.

They live in the catalog of both editions, after Annex A, so every reader of an edition's
controls sees them and the move to 2022 keeps them as they are.
"""

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from isms.catalog import EDITIONS, forget_catalog
from isms.catalog.loader import read_rows
from isms.catalog.models import CatalogControl
from isms.db import db

EXTRA_POSITION = 1000  # extra controls sort after every Annex A control
CUSTOM_GROUP = ("Other", "Controls from other sources")
CONTROL_ID = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,15}$")
ANNEX_A_LIKE = re.compile(r"^A\.?\d", re.I)


@dataclass(frozen=True)
class ControlSet:
    key: str
    source: str
    group_id: str
    group_title: str
    file_name: str


CONTROL_SETS = {
    "iso27017": ControlSet("iso27017", "ISO/IEC 27017:2015", "CLD",
                           "ISO/IEC 27017 cloud controls", "iso27017-cloud-controls.csv"),
}


class CatalogError(ValueError):
    """A control cannot be added; the message says why."""


def set_controls(key: str) -> list[dict]:
    """Return the packaged controls of a ready set (id, title, default responsibility)."""
    return read_rows(CONTROL_SETS[key].file_name)


def add_control_set(key: str) -> list[str]:
    """Add a ready set to both editions; return the ids added (none when already there)."""
    if key not in CONTROL_SETS:
        raise CatalogError(f"Unknown control set {key!r}; known: {', '.join(CONTROL_SETS)}.")
    spec = CONTROL_SETS[key]
    added = []
    for row in set_controls(key):
        if _add(row["id"], row["title"], spec.source, spec.group_id, spec.group_title,
                row["default_responsibility"]):
            added.append(row["id"])
    return added


def add_custom_control(control_id: str, title: str, source: str,
                       responsibility: str = "company") -> str:
    """Add one control of the organisation's own to both editions; return its id."""
    control_id, title, source = control_id.strip(), title.strip(), source.strip()
    if not CONTROL_ID.match(control_id):
        raise CatalogError("A control id is 1 to 16 letters, digits, dots, dashes or "
                           "underscores, starting with a letter (e.g. CUST-1).")
    if ANNEX_A_LIKE.match(control_id):
        raise CatalogError(f"{control_id} looks like an Annex A id; choose another prefix.")
    if not title or len(title) > 255:
        raise CatalogError("Give the control a title (at most 255 characters).")
    if not source or len(source) > 200:
        raise CatalogError("Name the source (at most 200 characters), e.g. "
                           "\"Contract with customer X\".")
    if not _add(control_id, title, source, *CUSTOM_GROUP, responsibility):
        raise CatalogError(f"A control {control_id} already exists.")
    return control_id


def _add(control_id, title, source, group_id, group_title, responsibility) -> bool:
    taken = db.session.scalar(select(func.count()).select_from(CatalogControl).where(
        func.lower(CatalogControl.control_id) == control_id.lower()))
    if taken:
        return False
    position = max(EXTRA_POSITION, 1 + (db.session.scalar(
        select(func.max(CatalogControl.position))) or 0))
    for edition in EDITIONS:
        db.session.add(CatalogControl(
            edition=edition, control_id=control_id, title=title, group_id=group_id,
            group_title=group_title, objective_id=None, objective_title=None,
            position=position, default_responsibility=responsibility, aws_evidence="",
            source=source))
    db.session.flush()
    forget_catalog()
    return True
