"""Load the packaged catalog into the database; running it again changes nothing."""

import csv
from collections import defaultdict
from importlib import resources

from sqlalchemy import delete, select

from isms.catalog.models import (
    CatalogAlias,
    CatalogControl,
    CatalogFramework,
    CatalogMapping,
    CatalogRequirement,
    CatalogRequirementMapping,
)
from isms.db import db

THEME_IDS = {"Organizational": "A.5", "People": "A.6", "Physical": "A.7", "Technological": "A.8"}


def read_rows(name: str) -> list[dict]:
    """Return the rows of one packaged catalog file."""
    text = resources.files("isms.catalog").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def catalog_rows() -> list[dict]:
    """Return both editions' controls as column dicts, 2022 defaults derived from 2013."""
    rows, defaults_2013 = [], {}
    for pos, r in enumerate(read_rows("annex-a-2013.csv")):
        defaults_2013[r["id"]] = r["default_responsibility"]
        rows.append(dict(
            edition="2013", control_id=r["id"], title=r["title"], group_id=r["clause_id"],
            group_title=r["clause_title"], objective_id=r["objective_id"],
            objective_title=r["objective_title"], position=pos,
            default_responsibility=r["default_responsibility"], aws_evidence=r["aws_evidence"],
        ))
    sources = defaultdict(set)
    for m in read_rows("mapping-2013-2022.csv"):
        if m["id_2013"]:
            sources[m["id_2022"]].add(defaults_2013[m["id_2013"]])
    for pos, r in enumerate(read_rows("annex-a-2022.csv")):
        rows.append(dict(
            edition="2022", control_id=r["id"], title=r["title"],
            group_id=THEME_IDS[r["theme"]], group_title=r["theme"], objective_id=None,
            objective_title=None, position=pos,
            default_responsibility=default_for_2022(sources.get(r["id"], set())),
            aws_evidence="",
        ))
    return rows


def default_for_2022(source_values: set[str]) -> str:
    """Equal 2013 sources give their value, mixed ones `shared`, new controls `company`."""
    if not source_values:
        return "company"
    return source_values.pop() if len(source_values) == 1 else "shared"


def load_catalog() -> dict[str, int]:
    """Insert or update catalog rows; return how many rows were added or changed."""
    added = _upsert_controls()
    added += _sync_pairs(
        CatalogMapping, ("id_2013", "id_2022"),
        {(m["id_2013"] or None, m["id_2022"]) for m in read_rows("mapping-2013-2022.csv")},
    )
    added += _sync_pairs(
        CatalogAlias, ("edition", "ref_id", "alias"),
        {(a["edition"], a["id"], a["alias"]) for a in read_rows("title-aliases.csv")},
    )
    added += load_frameworks()
    db.session.flush()
    return {"changed": added}


def framework_rows() -> list[dict]:
    """Return the packaged frameworks (frameworks.csv) in their order."""
    return [dict(r, position=pos) for pos, r in enumerate(read_rows("frameworks.csv"))]


def load_frameworks() -> int:
    """Insert or update each packaged framework, its requirement tree and its mapping."""
    frameworks = framework_rows()
    codes = [f["code"] for f in frameworks]
    for model in (CatalogRequirementMapping, CatalogRequirement):  # a framework no longer shipped
        db.session.execute(delete(model).where(model.framework.not_in(codes)))
    changed = _upsert(CatalogFramework, ("code",), frameworks)
    db.session.flush()
    for framework in frameworks:
        code = framework["code"]
        nodes = [dict(framework=code, requirement_id=r["id"], parent_id=r["parent_id"] or None,
                      level=int(r["level"]), label=r["label"], title=r["title"], position=pos)
                 for pos, r in enumerate(read_rows(f"framework-{code}.csv"))]
        pairs = {(code, r["requirement_id"], r["iso_id"], r["relationship"])
                 for r in read_rows(f"framework-{code}-mapping.csv")}
        db.session.execute(delete(CatalogRequirementMapping).where(  # pairs of dropped nodes
            CatalogRequirementMapping.framework == code,
            CatalogRequirementMapping.requirement_id.not_in([n["requirement_id"] for n in nodes])))
        changed += _upsert(CatalogRequirement, ("framework", "requirement_id"), nodes,
                           CatalogRequirement.framework == code)
        db.session.flush()  # the pairs refer to the nodes
        changed += _sync_pairs(CatalogRequirementMapping,
                               ("framework", "requirement_id", "iso_id", "relationship"), pairs,
                               CatalogRequirementMapping.framework == code)
    return changed


def _upsert_controls() -> int:
    existing = {(c.edition, c.control_id): c for c in db.session.scalars(select(CatalogControl))}
    changed = 0
    for row in catalog_rows():
        current = existing.get((row["edition"], row["control_id"]))
        if current is None:
            db.session.add(CatalogControl(**row))
            changed += 1
            continue
        for key, value in row.items():
            if getattr(current, key) != value:
                setattr(current, key, value)
                changed += 1
    return changed


def _upsert(model, key: tuple[str, ...], rows: list[dict], where=None) -> int:
    """Make the table (or the part `where` selects) hold exactly `rows`, matched by `key`."""
    query = select(model) if where is None else select(model).where(where)
    existing = {tuple(getattr(r, k) for k in key): r for r in db.session.scalars(query)}
    wanted = {tuple(row[k] for k in key) for row in rows}
    stale = [r.id for k, r in existing.items() if k not in wanted]
    if stale:
        db.session.execute(delete(model).where(model.id.in_(stale)))
    changed = len(stale)
    columns = [c.key for c in model.__table__.columns if c.key != "id"]
    for row in rows:
        current = existing.get(tuple(row[k] for k in key))
        if current is None:
            db.session.add(model(**{c: row[c] for c in columns}))
            changed += 1
            continue
        for column in columns:
            if getattr(current, column) != row[column]:
                setattr(current, column, row[column])
                changed += 1
    return changed


def _sync_pairs(model, columns: tuple[str, ...], wanted: set[tuple], where=None) -> int:
    """Make the table (or the part `where` selects) hold exactly `wanted`, keyed by `columns`."""
    rows = db.session.scalars(select(model) if where is None else select(model).where(where)).all()
    have = {tuple(getattr(r, c) for c in columns): r for r in rows}
    stale = [r.id for key, r in have.items() if key not in wanted]
    if stale:
        db.session.execute(delete(model).where(model.id.in_(stale)))
    for key in wanted - have.keys():
        db.session.add(model(**dict(zip(columns, key, strict=True))))
    return len(stale) + len(wanted - have.keys())
