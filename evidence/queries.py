"""Read evidence for pages: filtered, paginated, eager-loaded (no query per row)."""

from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import bindparam, case, exists, func, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from evidence.models import EvidenceItem, EvidenceKind, EvidenceLink, EvidenceVersion
from evidence.status import EvidenceStatus, status_filter, version_status
from isms.api import User, db, local_today, pick_arg

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
            owner=owner if owner.isdigit() else "",
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
        .order_by(EvidenceItem.id.desc()), filters, visible)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def list_item_rows(filters: EvidenceFilters, page: int, per_page: int, visible=None):
    """Return one page of `list_items` as column rows, and how many items all pages hold.

    A row holds the item's id, title, kind, owner id, description, tags and creation time,
    its owner's name and email, and its latest version's number, SHA-256, size, file name,
    media type, address (a link's text, else None), collected on, valid until, upload and
    purge times."""
    joined = (select(func.count()).select_from(EvidenceItem)
              .join(EvidenceVersion, EvidenceVersion.id == EvidenceItem.latest_version_id))
    total = db.session.scalar(_live_items(joined, filters, visible))
    version = EvidenceVersion
    rows = db.session.execute(_live_items(
        select(EvidenceItem.id, EvidenceItem.title, EvidenceItem.kind, EvidenceItem.owner_id,
               EvidenceItem.description, EvidenceItem.tags, EvidenceItem.created_at,
               User.name, User.email, version.number, version.sha256, version.size,
               version.file_name, version.media_type,
               case((version.media_type == URI_LIST, version.text_content), else_=None),
               version.collected_on, version.valid_until, version.uploaded_at,
               version.purged_at)
        .join(version, version.id == EvidenceItem.latest_version_id)
        .outerjoin(User, User.id == EvidenceItem.owner_id)
        .order_by(EvidenceItem.id.desc()).limit(per_page).offset((page - 1) * per_page),
        filters, visible)).all()
    return rows, total


def _live_items(query, filters: EvidenceFilters, visible=None):
    """Keep live items passing the filters (the query joins their latest versions)."""
    query = query.where(EvidenceItem.deleted_at.is_(None))
    if filters.control:
        query = query.where(EvidenceItem.id.in_(
            select(EvidenceLink.item_id).where(EvidenceLink.control_id == filters.control)))
    if visible is not None:  # an auditor sees evidence of the controls in scope only
        query = query.where(EvidenceItem.id.in_(
            select(EvidenceLink.item_id).where(EvidenceLink.control_id.in_(list(visible)))))
    if filters.kind:
        query = query.where(EvidenceItem.kind == EvidenceKind(filters.kind))
    if filters.status:
        query = query.where(EvidenceVersion.purged_at.is_(None), status_filter(filters.status))
    if filters.owner:
        query = query.where(EvidenceItem.owner_id == int(filters.owner))
    if filters.q:
        needle = f"%{filters.q.lower()}%"
        query = query.where(func.lower(EvidenceItem.title).like(needle)
                            | func.lower(EvidenceItem.tags).like(needle))
    return query


def links_by_item(item_ids) -> dict[int, list[str]]:
    """Return each item's linked control ids, in one query (also for an empty page)."""
    found: dict[int, list[str]] = {}
    rows = db.session.execute(
        select(EvidenceLink.item_id, EvidenceLink.control_id)
        .where(EvidenceLink.item_id.in_(list(item_ids)))
        .order_by(EvidenceLink.edition, EvidenceLink.control_id))
    for item_id, control_id in rows:
        found.setdefault(item_id, []).append(control_id)
    return found


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
