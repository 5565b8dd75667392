"""Frameworks mapped to ISO/IEC 27001 (NIS2 first): requirement trees and mappings, cached."""

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

from flask import current_app
from sqlalchemy import select

from isms.catalog.models import CatalogFramework, CatalogRequirement, CatalogRequirementMapping
from isms.db import db


@dataclass(frozen=True)
class Requirement:
    """One node of a framework's tree, with the ISO ids the framework's mapping gives it."""

    framework: str
    requirement_id: str
    parent_id: str | None
    level: int
    label: str  # the number people read (unnumbered paragraphs have a ':' id)
    title: str  # the heading as printed; most paragraphs and points have none
    heading: str  # its own heading or the nearest one above it
    section_id: str
    position: int
    children: tuple[str, ...]
    iso_ids: tuple[str, ...]  # clauses first, then Annex A, in the standard's order

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def is_mapped(self) -> bool:
        return bool(self.iso_ids)


@dataclass(frozen=True)
class Framework:
    code: str
    short_name: str
    name: str
    iso_edition: str
    attribution: str
    source_notice: str
    advisory: str
    requirements: tuple[Requirement, ...]  # document order
    by_id: dict = field(repr=False)

    def get(self, requirement_id: str) -> Requirement | None:
        return self.by_id.get(requirement_id)

    @property
    def sections(self) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements if r.parent_id is None)

    @property
    def leaves(self) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements if r.is_leaf)

    def leaves_under(self, requirement_id: str) -> tuple[Requirement, ...]:
        """Return the leaves at or below a node, in document order."""
        found, stack = [], [requirement_id]
        while stack:
            node = self.by_id[stack.pop()]
            if node.is_leaf:
                found.append(node)
            stack.extend(node.children)
        return tuple(sorted(found, key=lambda r: r.position))

    def ancestors(self, requirement_id: str) -> tuple[Requirement, ...]:
        """Return the nodes above one, the section first."""
        chain, parent = [], self.by_id[requirement_id].parent_id
        while parent is not None:
            chain.append(self.by_id[parent])
            parent = chain[-1].parent_id
        return tuple(reversed(chain))


def _iso_order(iso_id: str) -> tuple:
    """Clauses (4 ... 10.2) before Annex A (A.5.1 ... A.8.34), each in numeric order."""
    if iso_id.startswith("A."):
        return (1, tuple(int(p) for p in iso_id[2:].split(".")))
    return (0, tuple(int(p) for p in iso_id.split(".")))


def _build_framework(row: CatalogFramework, nodes, pairs) -> Framework:
    children, mapped = defaultdict(list), defaultdict(list)
    for node in nodes:
        if node.parent_id:
            children[node.parent_id].append(node.requirement_id)
    for pair in pairs:
        mapped[pair.requirement_id].append(pair.iso_id)
    by_id, headings, sections = {}, {}, {}
    for node in nodes:  # document order: a parent comes before its children
        headings[node.requirement_id] = node.title or headings.get(node.parent_id, "")
        sections[node.requirement_id] = sections.get(node.parent_id, node.requirement_id)
        by_id[node.requirement_id] = Requirement(
            row.code, node.requirement_id, node.parent_id, node.level, node.label, node.title,
            headings[node.requirement_id], sections[node.requirement_id], node.position,
            tuple(children[node.requirement_id]),
            tuple(sorted(mapped[node.requirement_id], key=_iso_order)))
    return Framework(row.code, row.short_name, row.name, row.iso_edition, row.attribution,
                     row.source_notice, row.advisory, tuple(by_id.values()), by_id)


def _build_frameworks() -> dict[str, Framework]:
    nodes, pairs = defaultdict(list), defaultdict(list)
    for node in db.session.scalars(select(CatalogRequirement).order_by(
            CatalogRequirement.framework, CatalogRequirement.position)):
        nodes[node.framework].append(node)
    for pair in db.session.scalars(select(CatalogRequirementMapping)):
        pairs[pair.framework].append(pair)
    rows = db.session.scalars(select(CatalogFramework).order_by(CatalogFramework.position))
    return {row.code: _build_framework(row, nodes[row.code], pairs[row.code]) for row in rows}


def _frameworks() -> dict[str, Framework]:
    found = current_app.extensions.get("isms.frameworks")
    if found is None:
        found = current_app.extensions["isms.frameworks"] = _build_frameworks()
    return found


def list_frameworks() -> tuple[Framework, ...]:
    """Return every loaded framework in the packaged order."""
    return tuple(_frameworks().values())


def get_framework(code: str) -> Framework | None:
    """Return one framework by its code (`nis2`), or None."""
    return _frameworks().get(code)


@cache
def framework_codes() -> tuple[tuple[str, str], ...]:
    """Return (code, short name) of each packaged framework, without touching the database."""
    with files("isms.catalog").joinpath("data/frameworks.csv").open(encoding="utf-8") as f:
        return tuple((r["code"], r["short_name"]) for r in csv.DictReader(f))
