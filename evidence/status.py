"""Validity of evidence: per version, per item (its latest version) and per control."""

from datetime import date, timedelta
from enum import StrEnum
from functools import cache

from flask import current_app
from sqlalchemy import Date, bindparam, case, func, literal, select, type_coerce

from evidence.models import EvidenceItem, EvidenceLink, EvidenceVersion
from isms.api import CatalogControl, db, local_today, read_once


class EvidenceStatus(StrEnum):
    CURRENT = "current"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    NONE = "none"


RANK = {EvidenceStatus.CURRENT: 3, EvidenceStatus.EXPIRING: 2, EvidenceStatus.EXPIRED: 1,
        EvidenceStatus.NONE: 0}


def warning_days() -> int:
    return current_app.config["ISMS_EXPIRY_WARNING_DAYS"]


def version_status(valid_until: date | None, today: date | None = None,
                   horizon: date | None = None) -> EvidenceStatus:
    """Current, expiring (within the warning window) or expired, as of today. A loop passes
    the window's end (`validity_horizon(today)`) once rather than have each call read it."""
    today = today or local_today()
    if valid_until is None or valid_until > (horizon or validity_horizon(today)):
        return EvidenceStatus.CURRENT
    return EvidenceStatus.EXPIRING if valid_until >= today else EvidenceStatus.EXPIRED


def latest_status(has_version: bool, purged: bool, valid_until: date | None,
                  today: date | None = None) -> EvidenceStatus:
    """A live item's status from its latest version's columns: none without a version or
    once it is purged, else the version's (for lists that read columns, not objects)."""
    if not has_version or purged:
        return EvidenceStatus.NONE
    return version_status(valid_until, today)


def item_status(item: EvidenceItem, today: date | None = None) -> EvidenceStatus:
    """An item's status is its latest version's; a deleted or purged one counts as none."""
    version = item.latest_version
    if item.is_deleted:
        return EvidenceStatus.NONE
    return latest_status(version is not None, version is not None and version.is_purged,
                         version.valid_until if version else None, today)


def status_filter(status: str, today=None, horizon=None):
    """Return a SQL condition on the latest version for one status, as of `today` (a date
    or a bound parameter) with the warning window ending on `horizon` (the same)."""
    if today is None:
        today = local_today()
    if horizon is None:
        horizon = validity_horizon(today)
    valid_until = EvidenceVersion.__table__.c.valid_until
    if status == EvidenceStatus.CURRENT:
        return valid_until.is_(None) | (valid_until > horizon)
    if status == EvidenceStatus.EXPIRING:
        return valid_until.between(today, horizon)
    return valid_until < today


def _inline(name: str, **kw):
    return bindparam(name, literal_execute=True, **kw)


def best_validity(control_id, edition):
    """A SQL expression for the best validity among a control's live evidence, correlated on
    `control_id` (a column of the enclosing statement) and `edition` (a bound value): the
    last possible day when some evidence is current (valid past the warning horizon, bound as
    `horizon`), else the latest expiry date, else NULL. `validity_status` reads it back.

    One expression, so each control runs the EXISTS once: a control with current evidence
    stops at its first current version (an index probe or two), and only one without reads
    its links for the latest expiry."""
    # Table columns, not the mapped classes': a statement of plain columns runs on the Core
    # path, without the ORM's compile and loading steps (about a third of its cost here).
    links, items = EvidenceLink.__table__.c, EvidenceItem.__table__.c
    versions = EvidenceVersion.__table__.c

    def live(*columns):
        return (select(*columns).select_from(EvidenceLink.__table__)
                .join(EvidenceItem.__table__, items.id == links.item_id)
                .join(EvidenceVersion.__table__, versions.id == items.latest_version_id)
                .where(links.edition == edition, links.control_id == control_id,
                       items.deleted_at.is_(None), versions.purged_at.is_(None)))

    valid_until = versions.valid_until
    has_current = live(literal(1, literal_execute=True)).where(
        valid_until.is_(None) | (valid_until > _inline("horizon", type_=Date))).exists()
    last_day = literal(date.max, Date, literal_execute=True)
    return type_coerce(case((has_current, last_day), else_=live(
        func.max(valid_until)).scalar_subquery()), Date)


def validity_horizon(today: date) -> date:
    """The value of `best_validity`'s `horizon`: the end of the warning window."""
    return today + timedelta(days=warning_days())


def validity_status(best: date | None, today: date, horizon: date) -> EvidenceStatus:
    """A control's status from `best_validity`'s value (none when it has no live evidence),
    as of `today` with the warning window ending on `horizon`."""
    return EvidenceStatus.NONE if best is None else version_status(best, today, horizon)


@cache
def _status_statement(some: bool):
    """The statement behind `status_by_control`, built once: its values are bound parameters
    (edition, the warning horizon and, when `some`, the control ids), so each call only runs
    it; building the subqueries and their cache key cost more than the query itself.

    The values are written into the SQL text when it runs (`literal_execute`), not sent as
    parameters: on PostgreSQL a statement a connection has run a few times is kept prepared,
    and a generic plan for an unknown edition and horizon reads every link (10x slower)."""
    catalog = CatalogControl.__table__.c
    # The catalog's rows for the edition drive the query: one row per control, whatever
    # the amount of evidence.
    wanted = select(catalog.control_id).where(catalog.edition == _inline("edition"))
    if some:
        wanted = wanted.where(catalog.control_id.in_(_inline("ids", expanding=True)))
    wanted = wanted.subquery("wanted")
    return select(wanted.c.control_id, best_validity(wanted.c.control_id, _inline("edition")))


def status_by_control(edition: str, control_ids=None) -> dict[str, EvidenceStatus]:
    """Return the best status among each control's live evidence, in one query.

    A control's search stops at its first current version (an index probe or two), so the
    cost follows the number of controls, not the amount of evidence; only a control without
    current evidence reads its links to find the latest expiry date. Without `control_ids`,
    only controls that have evidence are in the result.
    """
    if control_ids is None:  # every control's: read once per page that shows them twice
        everyone = read_once(("evidence-status", edition),
                             lambda: _status_by_control(edition, None))
        return dict(everyone)
    ids = list(control_ids)
    return _status_by_control(edition, ids) if ids else {}


def _status_by_control(edition: str, ids: list[str] | None) -> dict[str, EvidenceStatus]:
    today = local_today()
    horizon = validity_horizon(today)
    params = {"edition": edition, "horizon": horizon}
    if ids is not None:
        params["ids"] = ids
    found = {}
    for control_id, best in db.session.execute(_status_statement(ids is not None), params):
        if best is not None:
            found[control_id] = validity_status(best, today, horizon)
    if ids is None:
        return found
    return {cid: found.get(cid, EvidenceStatus.NONE) for cid in ids}
