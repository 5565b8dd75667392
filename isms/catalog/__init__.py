"""The ISO/IEC 27001 Annex A catalogs (2013, 2022) as immutable, cached reference data.

Besides Annex A, an edition holds the controls the organisation added from other sources
(ISO/IEC 27017, contracts...: 6.1.3 b), after Annex A, each naming its source.
"""

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

from flask import current_app
from sqlalchemy import select

from isms.catalog.models import CatalogAlias, CatalogControl, CatalogMapping
from isms.db import db

EDITIONS = ("2013", "2022")


@dataclass(frozen=True)
class CatalogItem:
    edition: str
    control_id: str
    title: str
    group_id: str
    group_title: str
    objective_id: str | None
    objective_title: str | None
    position: int
    default_responsibility: str
    aws_evidence: str
    source: str = ""  # empty for Annex A

    @property
    def source_label(self) -> str:
        return self.source or "Annex A"

    @property
    def aws_evidence_list(self) -> list[str]:
        return [part.strip() for part in self.aws_evidence.split(";") if part.strip()]


@dataclass(frozen=True)
class Edition:
    code: str
    items: tuple[CatalogItem, ...]
    by_id: dict = field(repr=False)
    groups: tuple[tuple[str, str], ...]

    def get(self, control_id: str) -> CatalogItem | None:
        return self.by_id.get(control_id)

    @property
    def sources(self) -> tuple[str, ...]:
        """The other sources the organisation took controls from, in order of addition."""
        return tuple(dict.fromkeys(i.source for i in self.items if i.source))

    @property
    def group_label(self) -> str:
        return "Clause" if self.code == "2013" else "Theme"


@dataclass(frozen=True)
class _Cache:
    editions: dict
    counterparts: dict
    aliases: dict


def _build_cache() -> _Cache:
    rows = db.session.scalars(
        select(CatalogControl).order_by(CatalogControl.edition, CatalogControl.position)
    ).all()
    grouped = defaultdict(list)
    for r in rows:
        grouped[r.edition].append(CatalogItem(
            r.edition, r.control_id, r.title, r.group_id, r.group_title, r.objective_id,
            r.objective_title, r.position, r.default_responsibility, r.aws_evidence or "",
            r.source or "",
        ))
    editions = {}
    for code in EDITIONS:
        items = tuple(grouped[code])
        groups = tuple(dict.fromkeys((i.group_id, i.group_title) for i in items))
        editions[code] = Edition(code, items, {i.control_id: i for i in items}, groups)
    counterparts = defaultdict(list)
    for m in db.session.scalars(select(CatalogMapping).order_by(CatalogMapping.id)):
        if m.id_2013:
            counterparts[("2013", m.id_2013)].append(editions["2022"].get(m.id_2022))
            counterparts[("2022", m.id_2022)].append(editions["2013"].get(m.id_2013))
    aliases = defaultdict(list)
    for a in db.session.scalars(select(CatalogAlias)):
        aliases[(a.edition, a.ref_id)].append(a.alias)
    ordered = {k: tuple(sorted(v, key=lambda i: i.position)) for k, v in counterparts.items()}
    return _Cache(editions, ordered, dict(aliases))


def _cache() -> _Cache:
    cache = current_app.extensions.get("isms.catalog")
    if cache is None:
        cache = current_app.extensions["isms.catalog"] = _build_cache()
    return cache


def forget_catalog() -> None:
    """Drop the cached catalog so the next read sees freshly loaded rows."""
    current_app.extensions.pop("isms.catalog", None)


def get_edition(code: str) -> Edition:
    """Return one edition's controls in catalog order."""
    return _cache().editions[code]


def counterparts(edition: str, control_id: str) -> tuple[CatalogItem, ...]:
    """Return the controls of the other edition that correspond to this one."""
    return _cache().counterparts.get((edition, control_id), ())


def aliases(edition: str, ref_id: str) -> list[str]:
    """Return the other known spellings of a title."""
    return _cache().aliases.get((edition, ref_id), [])


@dataclass(frozen=True)
class Clause:
    """A requirement of ISO/IEC 27001 clauses 4-10 (ids and titles only)."""

    edition: str
    clause_id: str
    parent_id: str | None
    title: str
    position: int

    @property
    def depth(self) -> int:
        return self.clause_id.count(".")


@cache
def clauses(edition: str) -> tuple[Clause, ...]:
    """Return the edition's clauses 4-10 in the standard's order."""
    if edition not in EDITIONS:
        raise KeyError(edition)
    with files("isms.catalog").joinpath("data/clauses.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["edition"] == edition]
    return tuple(Clause(edition, r["id"], r["parent_id"] or None, r["title"], n)
                 for n, r in enumerate(rows))


def clause_ids(edition: str) -> frozenset[str]:
    """Return the set of an edition's clause ids."""
    return frozenset(c.clause_id for c in clauses(edition))
