"""Read evidence for pages: filtered, paginated, eager-loaded (no query per row)."""

from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import Date, Integer, String, bindparam, case, exists, func, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from evidence.models import EvidenceItem, EvidenceKind, EvidenceLink, EvidenceVersion
from evidence.status import EvidenceStatus, status_filter, validity_horizon, version_status
from isms.api import MAX_ID, User, db, local_today, pick_arg

URI_LIST = "text/uri-list"  # the media type of a link; its version keeps the address as text


@dataclass(frozen=True)
class EvidenceFilters:
    control: str = ""
    kind: str = ""
    status: str = ""
    owner: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args) -> "EvidenceFilters":
        """Keep only values the list understands."""
        owner = (args.get("owner") or "").strip()
        return cls(
            control=(args.get("control") or "").strip()[:16],
            kind=pick_arg(args, "kind", {k.value for k in EvidenceKind}),
            status=pick_arg(args, "status", {s.value for s in EvidenceStatus} - {"none"}),
            # An id no database row can have is ignored like any other unknown value.
            owner=owner if owner.isdigit() and int(owner) <= MAX_ID else "",
            q=(args.get("q") or "").strip()[:100],
        )

    def as_args(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}


def list_items(filters: EvidenceFilters, page: int, per_page: int, visible=None):
    """Return one page of live evidence, newest first, with owners and latest versions."""
    query = _live_items(
        select(EvidenceItem)
        .join(EvidenceVersion, EvidenceVersion.id == EvidenceItem.latest_version_id)
        .options(joinedload(EvidenceItem.owner), joinedload(EvidenceItem.latest_version))
        .order_by(EvidenceItem.id.desc()), _filter_shape(filters, visible))
    return db.paginate(query.params(_filter_params(filters, visible)), page=page,
                       per_page=per_page, error_out=False)


def list_item_rows(filters: EvidenceFilters, page: int, per_page: int, visible=None):
    """Return one page of `list_items` as column rows, and how many items all pages hold.

    A row holds the item's id, title, kind, owner id, description, tags and creation time,
    its owner's name and email, and its latest version's number, SHA-256, size, file name,
    media type, address (a link's text, else None), collected on, valid until, upload and
    purge times."""
    shape, params = _filter_shape(filters, visible), _filter_params(filters, visible)
    total = db.session.scalar(_count_statement(shape), params)
    rows = db.session.execute(_rows_statement(shape), {
        **params, "limit": per_page, "offset": (page - 1) * per_page}).all()
    return rows, total


# Table columns, not the mapped classes': the API's statements then run on the Core path,
# without the ORM's compile and loading steps. Each is built once per shape of filters.
_ITEMS, _VERSIONS = EvidenceItem.__table__, EvidenceVersion.__table__
_LINKS, _USERS = EvidenceLink.__table__, User.__table__


@cache
def _count_statement(shape: tuple):
    return _live_items(select(func.count()).select_from(_ITEMS).join(
        _VERSIONS, _VERSIONS.c.id == _ITEMS.c.latest_version_id), shape)


@cache
def _rows_statement(shape: tuple):
    item, version = _ITEMS.c, _VERSIONS.c
    return _live_items(
        select(item.id, item.title, item.kind, item.owner_id, item.description, item.tags,
               item.created_at, _USERS.c.name, _USERS.c.email, version.number,
               version.sha256, version.size, version.file_name, version.media_type,
               case((version.media_type == URI_LIST, version.text_content), else_=None),
               version.collected_on, version.valid_until, version.uploaded_at,
               version.purged_at)
        .select_from(_ITEMS)
        .join(_VERSIONS, version.id == item.latest_version_id)
        .outerjoin(_USERS, _USERS.c.id == item.owner_id)
        .order_by(item.id.desc())
        .limit(bindparam("limit")).offset(bindparam("offset")), shape)


def _filter_shape(filters: EvidenceFilters, visible) -> tuple:
    """What of the filters changes a statement: which are set, and the status asked for."""
    return (bool(filters.control), visible is not None, bool(filters.kind), filters.status,
            bool(filters.owner), bool(filters.q))


def _filter_params(filters: EvidenceFilters, visible) -> dict:
    """The values `_live_items` binds for these filters."""
    params = {}
    if filters.control:
        params["control"] = filters.control
    if visible is not None:
        params["visible"] = list(visible)
    if filters.kind:
        params["kind"] = EvidenceKind(filters.kind)
    if filters.status:
        today = local_today()
        params |= {"today": today, "horizon": validity_horizon(today)}
    if filters.owner:
        params["owner"] = int(filters.owner)
    if filters.q:
        params["needle"] = f"%{filters.q.lower()}%"
    return params


def _live_items(query, shape: tuple):
    """Keep live items passing the filters of this shape, their values bound by name (the
    query joins their latest versions)."""
    control, scoped, kind, status, owner, words = shape
    item, link = _ITEMS.c, _LINKS.c
    query = query.where(item.deleted_at.is_(None))
    if control:
        query = query.where(item.id.in_(
            select(link.item_id).where(link.control_id == bindparam("control"))))
    if scoped:  # an auditor sees evidence of the controls in scope only
        query = query.where(item.id.in_(
            select(link.item_id).where(link.control_id.in_(
                bindparam("visible", expanding=True)))))
    if kind:
        query = query.where(item.kind == bindparam("kind", type_=item.kind.type))
    if status:
        query = query.where(_VERSIONS.c.purged_at.is_(None), status_filter(
            status, bindparam("today", type_=Date), bindparam("horizon", type_=Date)))
    if owner:
        query = query.where(item.owner_id == bindparam("owner", type_=Integer))
    if words:
        needle = bindparam("needle", type_=String)
        query = query.where(func.lower(item.title).like(needle)
                            | func.lower(item.tags).like(needle))
    return query


def links_by_item(item_ids) -> dict[int, list[str]]:
    """Return each item's linked control ids, in one query (also for an empty page)."""
    found: dict[int, list[str]] = {}
    for item_id, control_id in db.session.execute(_links_statement(), {"ids": list(item_ids)}):
        found.setdefault(item_id, []).append(control_id)
    return found


@cache
def _links_statement():
    link = _LINKS.c
    return (select(link.item_id, link.control_id)
            .where(link.item_id.in_(bindparam("ids", expanding=True)))
            .order_by(link.edition, link.control_id))


def get_item(item_id: int) -> EvidenceItem | None:
    """Return one item with everything its page shows."""
    return db.session.scalars(
        select(EvidenceItem).where(EvidenceItem.id == item_id).options(
            joinedload(EvidenceItem.owner), joinedload(EvidenceItem.latest_version),
            joinedload(EvidenceItem.deleted_by),
            selectinload(EvidenceItem.versions).joinedload(EvidenceVersion.uploaded_by),
            selectinload(EvidenceItem.links))
    ).unique().one_or_none()


def get_version(item_id: int, number: int) -> EvidenceVersion | None:
    """Return one version of an item."""
    return db.session.scalars(
        select(EvidenceVersion).filter_by(item_id=item_id, number=number)
        .options(joinedload(EvidenceVersion.item))
    ).one_or_none()


def items_for_control(edition: str, control_id: str, limit: int):
    """Return up to `limit` live items linked to a control, newest first, as column rows
    (id, title, kind, owner name, owner email, latest version's number, collected on, valid
    until, SHA-256 and purge time), and how many there are, in one statement."""
    rows = db.session.execute(_items_for_control_statement(),
                              {"edition": edition, "control_id": control_id,
                               "limit": limit}).all()
    return [row[:-1] for row in rows], rows[0][-1] if rows else 0


@cache
def _items_for_control_statement():
    """Built once (the control's page runs it on every view): the count is a window over the
    control's live links, taken before the limit, and only the page's items are joined to
    their owners and versions.

    A link is live unless its item is among the (few) deleted ones: joining every linked item
    to test it led PostgreSQL to walk the whole item table in id order (a merge join), 20x
    slower at 10,000 items than this anti-join on the deleted items' index."""
    gone = aliased(EvidenceItem, name="gone")
    deleted = exists().where(gone.id == EvidenceLink.item_id, gone.deleted_at.is_not(None))
    page = (select(EvidenceLink.item_id, func.count().over().label("total"))
            .where(EvidenceLink.edition == bindparam("edition"),
                   EvidenceLink.control_id == bindparam("control_id"), ~deleted)
            .order_by(EvidenceLink.item_id.desc()).limit(bindparam("limit"))
            .subquery("page"))
    return (select(EvidenceItem.id, EvidenceItem.title, EvidenceItem.kind, User.name,
                   User.email, EvidenceVersion.number, EvidenceVersion.collected_on,
                   EvidenceVersion.valid_until, EvidenceVersion.sha256,
                   EvidenceVersion.purged_at, page.c.total)
            .select_from(page)
            .join(EvidenceItem, EvidenceItem.id == page.c.item_id)
            .join(User, User.id == EvidenceItem.owner_id)
            .outerjoin(EvidenceVersion, EvidenceVersion.id == EvidenceItem.latest_version_id)
            .order_by(page.c.item_id.desc()))


@dataclass(frozen=True)
class InheritedReport:
    item_id: int
    title: str
    issuer: str
    report_name: str
    period_from: date | None
    period_to: date | None
    valid_until: date | None
    status: str


def inherited_reports(provider: str) -> list[InheritedReport]:
    """Return the live third-party reports inherited from a provider, with their status."""
    today = local_today()
    items = db.session.scalars(
        select(EvidenceItem).where(EvidenceItem.inherited_from == provider,
                                   EvidenceItem.deleted_at.is_(None))
        .options(joinedload(EvidenceItem.latest_version)).order_by(EvidenceItem.title))
    reports = []
    for item in items:
        version = item.latest_version
        valid_until = version.valid_until if version else None
        reports.append(InheritedReport(
            item.id, item.title, item.issuer, item.report_name, item.period_from,
            item.period_to, valid_until, version_status(valid_until, today).value))
    return reports
