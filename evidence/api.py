"""What other packages may ask of evidence: statuses, summaries and creating evidence."""

import hashlib
import io
from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from evidence.api_records import (
    EvidenceRecord,
    Gone,
    NotAllowed,
    VersionRecord,
    get_evidence,
    link_to_controls,
    list_evidence,
    new_evidence,
    new_version,
)
from evidence.models import EvidenceItem, EvidenceKind, EvidenceLink, EvidenceVersion
from evidence.queries import InheritedReport, inherited_reports, items_for_control
from evidence.services import (
    Content,
    EvidenceError,
    Report,
    add_version,
    create_item,
    link_controls,
)
from evidence.status import (
    RANK,
    EvidenceStatus,
    best_validity,
    item_status,
    latest_status,
    status_filter,
    validity_horizon,
    validity_status,
)
from evidence.status import status_by_control as _status_by_control
from evidence.storage import StorageError, get_storage
from isms.api import db, local_today

EVIDENCE_STATUSES = tuple(s.value for s in EvidenceStatus)
STATUS_RANK = {s.value: rank for s, rank in RANK.items()}


@dataclass(frozen=True)
class EvidenceSummary:
    id: int
    title: str
    kind: str
    status: str
    version: int | None
    collected_on: date | None
    valid_until: date | None
    owner_name: str
    sha256: str = ""  # of the current version


def status_by_control(edition: str, control_ids=None) -> dict[str, str]:
    """Return the best evidence status of each control (all linked ones when ids is None)."""
    return {cid: status.value for cid, status in _status_by_control(edition, control_ids).items()}


def has_evidence() -> bool:
    """Say whether any evidence item exists."""
    return db.session.scalar(select(EvidenceItem.id).limit(1)) is not None


def list_for_control(edition: str, control_id: str, limit: int = 20):
    """Return (summaries of up to `limit` live items linked to the control, total count)."""
    rows, total = items_for_control(edition, control_id, limit)
    today = local_today()
    return [EvidenceSummary(
        item_id, title, kind.value,
        latest_status(number is not None, purged_at is not None, valid_until, today).value,
        number, collected_on, valid_until, name or email, sha256 or "")
        for item_id, title, kind, name, email, number, collected_on, valid_until, sha256,
        purged_at in rows], total


def summaries_by_control(edition: str, control_ids) -> dict[str, list[EvidenceSummary]]:
    """Return the live items linked to each of several controls, in one query."""
    ids = list(dict.fromkeys(control_ids))
    rows = db.session.execute(
        select(EvidenceLink.control_id, EvidenceItem)
        .join(EvidenceItem, EvidenceItem.id == EvidenceLink.item_id)
        .where(EvidenceLink.edition == edition, EvidenceLink.control_id.in_(ids),
               EvidenceItem.deleted_at.is_(None))
        .options(joinedload(EvidenceItem.owner), joinedload(EvidenceItem.latest_version))
        .order_by(EvidenceLink.control_id, EvidenceItem.id.desc())).all()
    today, found = local_today(), {cid: [] for cid in ids}
    for control_id, item in rows:
        found[control_id].append(_summary(item, today))
    return found


def latest_for_controls(edition: str, control_ids,
                        limit: int = 10) -> dict[str, tuple[list[EvidenceSummary], int]]:
    """Return each control's newest `limit` live items and its number of them (two queries)."""
    ids = list(dict.fromkeys(control_ids))
    if not ids:
        return {}
    live = (EvidenceLink.edition == edition, EvidenceLink.control_id.in_(ids),
            EvidenceItem.deleted_at.is_(None))
    ranked = (select(EvidenceLink.control_id, EvidenceLink.item_id, func.row_number().over(
        partition_by=EvidenceLink.control_id, order_by=EvidenceLink.item_id.desc()).label("rank"))
        .join(EvidenceItem, EvidenceItem.id == EvidenceLink.item_id).where(*live)
        .subquery("ranked"))
    rows = db.session.execute(
        select(ranked.c.control_id, EvidenceItem)
        .join(EvidenceItem, EvidenceItem.id == ranked.c.item_id).where(ranked.c.rank <= limit)
        .options(joinedload(EvidenceItem.owner), joinedload(EvidenceItem.latest_version))
        .order_by(ranked.c.control_id, ranked.c.rank)).all()
    totals = dict(db.session.execute(
        select(EvidenceLink.control_id, func.count(EvidenceLink.item_id))
        .join(EvidenceItem, EvidenceItem.id == EvidenceLink.item_id).where(*live)
        .group_by(EvidenceLink.control_id)).all())
    today, found = local_today(), {cid: [] for cid in ids}
    for control_id, item in rows:
        found[control_id].append(_summary(item, today))
    return {cid: (found[cid], totals.get(cid, 0)) for cid in ids}


def summaries_for_items(item_ids) -> dict[int, EvidenceSummary]:
    """Return a summary of each live item among the ids, in one query."""
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return {}
    items = db.session.scalars(
        select(EvidenceItem)
        .where(EvidenceItem.id.in_(ids), EvidenceItem.deleted_at.is_(None))
        .options(joinedload(EvidenceItem.owner), joinedload(EvidenceItem.latest_version)))
    today = local_today()
    return {item.id: _summary(item, today) for item in items}


def item_reach(item_ids, edition: str, control_id: str) -> dict[int, tuple[int, bool]]:
    """For each live item among the ids: (its owner's id, whether it is linked to the control)."""
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return {}
    linked = set(db.session.scalars(select(EvidenceLink.item_id).where(
        EvidenceLink.item_id.in_(ids), EvidenceLink.edition == edition,
        EvidenceLink.control_id == control_id)))
    return {item_id: (owner_id, item_id in linked) for item_id, owner_id in db.session.execute(
        select(EvidenceItem.id, EvidenceItem.owner_id)
        .where(EvidenceItem.id.in_(ids), EvidenceItem.deleted_at.is_(None)))}


def controls_of_items(item_ids) -> dict[int, set[str]]:
    """The control ids (both editions) each item is linked to, in one query."""
    found: dict[int, set[str]] = {i: set() for i in item_ids}
    if found:
        for item_id, control_id in db.session.execute(
                select(EvidenceLink.item_id, EvidenceLink.control_id)
                .where(EvidenceLink.item_id.in_(list(found)))):
            found[item_id].add(control_id)
    return found


def register_link_policy(app, refuse) -> None:
    """Let a package above say who may link evidence where: `refuse(user, refs)` returns
    messages for the (edition, control id) pairs that user may not link to."""
    app.extensions["evidence.link_policy"] = refuse


def find_items(text: str, limit: int = 20, owner_id: int | None = None) -> list[EvidenceSummary]:
    """Return live items whose title contains the text (or whose id it is), newest first;
    only one person's when `owner_id` is given."""
    text = (text or "").strip()
    query = (select(EvidenceItem).where(EvidenceItem.deleted_at.is_(None))
             .options(joinedload(EvidenceItem.owner), joinedload(EvidenceItem.latest_version))
             .order_by(EvidenceItem.id.desc()).limit(limit))
    if text.isdigit():
        query = query.where(EvidenceItem.id == int(text))
    elif text:
        query = query.where(EvidenceItem.title.ilike(f"%{_escape_like(text)}%", escape="\\"))
    if owner_id is not None:
        query = query.where(EvidenceItem.owner_id == owner_id)
    today = local_today()
    return [_summary(item, today) for item in db.session.scalars(query)]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class VersionRef:
    version_id: int
    item_id: int
    label: str


def current_versions_for_control(edition: str, control_id: str) -> list[VersionRef]:
    """Return the latest version of each live item linked to a control (to pin in a review)."""
    rows = db.session.execute(
        select(EvidenceVersion.id, EvidenceItem.id, EvidenceItem.title, EvidenceVersion.number,
               EvidenceVersion.sha256)
        .join(EvidenceItem, EvidenceItem.latest_version_id == EvidenceVersion.id)
        .join(EvidenceLink, EvidenceLink.item_id == EvidenceItem.id)
        .where(EvidenceLink.edition == edition, EvidenceLink.control_id == control_id,
               EvidenceItem.deleted_at.is_(None), EvidenceVersion.purged_at.is_(None))
        .order_by(EvidenceItem.title))
    return [VersionRef(vid, iid, f"{title} v{number} ({sha[:12]})")
            for vid, iid, title, number, sha in rows]


def describe_versions(version_ids) -> dict[int, VersionRef]:
    """Return a label for each version id, in one query."""
    ids = list(version_ids)
    if not ids:
        return {}
    rows = db.session.execute(_describe_versions_statement(), {"ids": ids})
    return {vid: VersionRef(vid, iid, f"{title} v{number} ({sha[:12]})")
            for vid, iid, title, number, sha in rows}


@cache
def _describe_versions_statement():
    return (select(EvidenceVersion.id, EvidenceItem.id, EvidenceItem.title,
                   EvidenceVersion.number, EvidenceVersion.sha256)
            .join(EvidenceItem, EvidenceItem.id == EvidenceVersion.item_id)
            .where(EvidenceVersion.id.in_(bindparam("ids", expanding=True))))


def expiring_by_owner(owner_id: int | None = None,
                      today: date | None = None) -> dict[int, list[EvidenceSummary]]:
    """Return live items whose latest version is expiring or expired, grouped by owner."""
    today = today or local_today()
    query = (select(EvidenceItem)
             .join(EvidenceVersion, EvidenceVersion.id == EvidenceItem.latest_version_id)
             .where(EvidenceItem.deleted_at.is_(None), EvidenceVersion.purged_at.is_(None),
                    ~status_filter(EvidenceStatus.CURRENT.value, today))
             .options(joinedload(EvidenceItem.owner), joinedload(EvidenceItem.latest_version))
             .order_by(EvidenceVersion.valid_until))
    if owner_id is not None:
        query = query.where(EvidenceItem.owner_id == owner_id)
    found: dict[int, list[EvidenceSummary]] = {}
    for item in db.session.scalars(query):
        found.setdefault(item.owner_id, []).append(_summary(item, today))
    return found


def _summary(item, today) -> EvidenceSummary:
    version = item.latest_version
    return EvidenceSummary(
        item.id, item.title, item.kind.value, item_status(item, today).value,
        version.number if version else None, version.collected_on if version else None,
        version.valid_until if version else None, item.owner.display_name,
        version.sha256 if version else "")


def count_by_control(edition: str) -> dict[str, int]:
    """Return how many live items each control has, in one grouped query."""
    return dict(db.session.execute(
        select(EvidenceLink.control_id, func.count(EvidenceLink.item_id))
        .join(EvidenceItem, EvidenceItem.id == EvidenceLink.item_id)
        .where(EvidenceLink.edition == edition, EvidenceItem.deleted_at.is_(None))
        .group_by(EvidenceLink.control_id)).all())


@dataclass(frozen=True)
class RegisterRow:
    item: str
    version: int
    sha256: str
    collected_on: date
    valid_until: date | None
    control_ids: str


def evidence_register(edition: str, batch: int = 2000):
    """Yield every live version linked to the edition's controls, streamed in batches."""
    linked: dict[int, str] = {}  # item id -> "A.5.1.1, A.9.1.1": one string an item
    for item_id, control_id in db.session.execute(
            select(EvidenceLink.item_id, EvidenceLink.control_id)
            .where(EvidenceLink.edition == edition)
            .order_by(EvidenceLink.item_id, EvidenceLink.control_id)
            .execution_options(yield_per=batch)):
        linked[item_id] = f"{linked[item_id]}, {control_id}" if item_id in linked else control_id
    query = (select(EvidenceItem.id, EvidenceItem.title, EvidenceVersion.number,
                    EvidenceVersion.sha256, EvidenceVersion.collected_on,
                    EvidenceVersion.valid_until)
             .join(EvidenceVersion, EvidenceVersion.item_id == EvidenceItem.id)
             .where(EvidenceItem.deleted_at.is_(None), EvidenceVersion.purged_at.is_(None),
                    EvidenceItem.id.in_(select(EvidenceLink.item_id)
                                        .where(EvidenceLink.edition == edition)))
             .order_by(EvidenceItem.title, EvidenceItem.id, EvidenceVersion.number)
             .execution_options(yield_per=batch))
    for item_id, title, number, sha256, collected_on, valid_until in db.session.execute(query):
        yield RegisterRow(title, number, sha256, collected_on, valid_until,
                          linked.get(item_id, ""))


def carry_links(to_edition: str, targets: dict[str, list[str]], *, audit_actor: str) -> int:
    """Link every item linked to a source control also to its targets; return links added."""
    source_edition = "2013" if to_edition == "2022" else "2022"
    sources = db.session.execute(
        select(EvidenceLink.item_id, EvidenceLink.control_id)
        .join(EvidenceItem, EvidenceItem.id == EvidenceLink.item_id)
        .where(EvidenceLink.edition == source_edition, EvidenceItem.deleted_at.is_(None))).all()
    wanted: dict[int, list[tuple[str, str]]] = {}
    for item_id, control_id in sources:
        for target in targets.get(control_id, []):
            wanted.setdefault(item_id, []).append((to_edition, target))
    items = {i.id: i for i in db.session.scalars(
        select(EvidenceItem).where(EvidenceItem.id.in_(list(wanted))))}
    return sum(link_controls(items[item_id], list(dict.fromkeys(refs)), audit_actor=audit_actor)
               for item_id, refs in wanted.items())


def count_links_to_carry(to_edition: str, targets: dict[str, list[str]]) -> int:
    """How many links carry_links would add, changing nothing (two queries)."""
    source_edition = "2013" if to_edition == "2022" else "2022"
    live = (select(EvidenceLink.item_id, EvidenceLink.control_id)
            .join(EvidenceItem, EvidenceItem.id == EvidenceLink.item_id)
            .where(EvidenceItem.deleted_at.is_(None)))
    have = set(db.session.execute(live.where(EvidenceLink.edition == to_edition)).all())
    wanted = {(item_id, target)
              for item_id, control_id in db.session.execute(
                  live.where(EvidenceLink.edition == source_edition))
              for target in targets.get(control_id, [])}
    return len(wanted - have)


@dataclass(frozen=True)
class PackageEntry:
    control_id: str
    item_id: int
    item: str
    version: int
    sha256: str
    storage_key: str | None
    file_name: str | None
    text: str | None
    collected_on: date
    valid_until: date | None


def package_entries(edition: str, control_ids):
    """Yield every live version linked to the given controls, one row per control link."""
    query = (select(EvidenceLink.control_id, EvidenceItem.id, EvidenceItem.title,
                    EvidenceVersion.number, EvidenceVersion.sha256, EvidenceVersion.storage_key,
                    EvidenceVersion.file_name, EvidenceVersion.text_content,
                    EvidenceVersion.collected_on, EvidenceVersion.valid_until)
             .join(EvidenceItem, EvidenceItem.id == EvidenceLink.item_id)
             .join(EvidenceVersion, EvidenceVersion.item_id == EvidenceItem.id)
             .where(EvidenceLink.edition == edition,
                    EvidenceLink.control_id.in_(list(control_ids)),
                    EvidenceItem.deleted_at.is_(None), EvidenceVersion.purged_at.is_(None))
             .order_by(EvidenceLink.control_id, EvidenceItem.id, EvidenceVersion.number)
             .execution_options(yield_per=1000))
    for row in db.session.execute(query):
        yield PackageEntry(*row)


def open_blob(key: str):
    """Open a stored file for reading (the caller closes it)."""
    return get_storage().open(key)


def link_items_to_control(item_ids, edition: str, control_id: str, *, audit_actor: str) -> int:
    """Link live items to a control; return how many of the ids were live items."""
    items = list(db.session.scalars(select(EvidenceItem).where(
        EvidenceItem.id.in_(list(item_ids)), EvidenceItem.deleted_at.is_(None))))
    for item in items:
        link_controls(item, [(edition, control_id)], audit_actor=audit_actor)
    return len(items)


def create_evidence(*, title: str, kind: str, owner_id: int, refs, collected_on: date,
                    valid_until: date | None = None, stream=None, file_name: str | None = None,
                    url: str | None = None, text: str | None = None, description: str = "",
                    tags=(), audit_actor: str, report: dict | None = None) -> int:
    """Create an evidence item with its first version; return its id (the caller commits).

    `report` holds issuer, report_name, period_from, period_to and inherited_from.
    """
    item = create_item(
        report=Report(**report) if report else None,
        title=title, kind=EvidenceKind(kind), owner_id=owner_id, refs=refs,
        content=Content(stream=stream, file_name=file_name, url=url, text=text),
        collected_on=collected_on, valid_until=valid_until, today=local_today(),
        actor_id=None, description=description, tags=tags, audit_actor=audit_actor)
    return item.id


@dataclass(frozen=True)
class StoredVersion:
    item_id: int
    version_id: int
    is_new: bool  # False when the content matched the latest version and nothing was added


def store_file_evidence(item_id: int | None, payload: bytes, *, file_name: str, title: str,
                        owner_id: int, refs, collected_on: date, valid_until: date | None,
                        description: str = "", tags=(), audit_actor: str | None = None,
                        only_if_changed: bool = False) -> StoredVersion:
    """Add a file as the next version of a live item, or create the item (caller commits).

    With `only_if_changed`, content whose SHA-256 matches the latest version adds nothing.
    """
    item = db.session.get(EvidenceItem, item_id) if item_id else None
    today = local_today()
    content = Content(stream=io.BytesIO(payload), file_name=file_name)
    if item is None or item.is_deleted:
        item = create_item(title=title, kind=EvidenceKind.FILE, owner_id=owner_id,
                           content=content, collected_on=collected_on, valid_until=valid_until,
                           today=today, actor_id=None, refs=refs, description=description,
                           tags=tags, audit_actor=audit_actor)
        return StoredVersion(item.id, item.latest_version_id, True)
    if only_if_changed and item.latest_version_id:
        latest = db.session.get(EvidenceVersion, item.latest_version_id)
        if latest.sha256 == hashlib.sha256(payload).hexdigest():
            return StoredVersion(item.id, latest.id, False)
    version = add_version(item, content, collected_on=collected_on, valid_until=valid_until,
                          today=today, actor_id=None, audit_actor=audit_actor)
    return StoredVersion(item.id, version.id, True)


@dataclass(frozen=True)
class VersionDetail:
    version_id: int
    item_id: int
    number: int
    sha256: str
    storage_key: str | None


def version_details(version_ids) -> dict[int, VersionDetail]:
    """Return number, hash and stored file of each version, in one query."""
    ids = [i for i in dict.fromkeys(version_ids) if i is not None]
    if not ids:
        return {}
    rows = db.session.execute(
        select(EvidenceVersion.id, EvidenceVersion.item_id, EvidenceVersion.number,
               EvidenceVersion.sha256, EvidenceVersion.storage_key)
        .where(EvidenceVersion.id.in_(ids)))
    return {row[0]: VersionDetail(*row) for row in rows}


def read_blob(key: str, limit: int) -> str:
    """Return up to `limit` bytes of a stored file as text."""
    with get_storage().open(key) as stream:
        return stream.read(limit).decode("utf-8", errors="replace")


@dataclass(frozen=True)
class EvidenceLabels:
    labels: tuple[str, ...]  # the first `limit`, by title
    total: int  # how many there are in all


def current_evidence_labels(edition: str, limit: int = 25) -> dict[str, EvidenceLabels]:
    """Return, per control, its live unexpired items as `title (vN, YYYY-MM-DD)` (the first
    `limit` by title) and how many there are: one query, whatever the amount of evidence."""
    today = local_today()
    found: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for control_id, title, number, collected_on in db.session.execute(
            select(EvidenceLink.control_id, EvidenceItem.title, EvidenceVersion.number,
                   EvidenceVersion.collected_on)
            .join(EvidenceItem, EvidenceItem.id == EvidenceLink.item_id)
            .join(EvidenceVersion, EvidenceVersion.id == EvidenceItem.latest_version_id)
            .where(EvidenceLink.edition == edition, EvidenceItem.deleted_at.is_(None),
                   EvidenceVersion.purged_at.is_(None),
                   EvidenceVersion.valid_until.is_(None) | (EvidenceVersion.valid_until >= today))
            .order_by(EvidenceLink.control_id, EvidenceItem.title, EvidenceItem.id)
            .execution_options(yield_per=2000)):
        counts[control_id] = counts.get(control_id, 0) + 1
        if counts[control_id] <= limit:
            found.setdefault(control_id, []).append(
                f"{title} (v{number}, {collected_on:%Y-%m-%d})")
    return {cid: EvidenceLabels(tuple(found[cid]), counts[cid]) for cid in found}


def inherited_evidence(provider: str = "aws") -> list[InheritedReport]:
    """Return the third-party reports inherited from a provider, with their status."""
    return inherited_reports(provider)


__all__ = [
    "EVIDENCE_STATUSES",
    "STATUS_RANK",
    "EvidenceError",
    "EvidenceLabels",
    "EvidenceRecord",
    "EvidenceSummary",
    "Gone",
    "InheritedReport",
    "NotAllowed",
    "RegisterRow",
    "StorageError",
    "StoredVersion",
    "VersionDetail",
    "VersionRecord",
    "VersionRef",
    "best_validity",
    "controls_of_items",
    "count_by_control",
    "count_links_to_carry",
    "create_evidence",
    "current_evidence_labels",
    "current_versions_for_control",
    "describe_versions",
    "evidence_register",
    "expiring_by_owner",
    "find_items",
    "get_evidence",
    "has_evidence",
    "inherited_evidence",
    "item_reach",
    "latest_for_controls",
    "link_to_controls",
    "list_evidence",
    "list_for_control",
    "new_evidence",
    "new_version",
    "read_blob",
    "register_link_policy",
    "status_by_control",
    "store_file_evidence",
    "summaries_by_control",
    "summaries_for_items",
    "validity_horizon",
    "validity_status",
    "version_details",
]


def cli_group():
    """The `isms evidence` command group, so other packages can add to it."""
    from evidence.cli import evidence_cli

    return evidence_cli
