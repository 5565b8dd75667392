"""Evidence as plain records for other packages; changes with the pages' rules."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from evidence.models import EvidenceItem, EvidenceKind
from evidence.queries import (
    URI_LIST,
    EvidenceFilters,
    get_item,
    links_by_item,
    list_item_rows,
)
from evidence.services import (
    Content,
    EvidenceError,
    Report,
    add_version,
    can_change,
    create_item,
    link_controls,
    parse_control_refs,
)
from evidence.status import item_status, latest_status
from isms.api import Role, User, actor_of, list_assignable_owners, local_today


class NotAllowed(PermissionError):
    """The user may not change this evidence."""


class Gone(RuntimeError):
    """The evidence was deleted; it keeps its versions but takes no more changes."""


@dataclass(frozen=True)
class VersionRecord:
    number: int
    sha256: str
    size: int
    file_name: str | None
    media_type: str
    url: str | None
    collected_on: date
    valid_until: date | None
    uploaded_at: datetime | None
    is_purged: bool


@dataclass(frozen=True)
class EvidenceRecord:
    id: int
    title: str
    kind: str
    status: str
    owner_id: int
    owner_name: str
    tags: tuple[str, ...]
    description: str
    controls: tuple[str, ...]
    latest: VersionRecord | None
    created_at: datetime
    versions: tuple[VersionRecord, ...] = ()


def _version(version) -> VersionRecord | None:
    if version is None:
        return None
    url = version.text_content if version.media_type == URI_LIST else None
    return VersionRecord(version.number, version.sha256, version.size, version.file_name,
                         version.media_type, url, version.collected_on, version.valid_until,
                         version.uploaded_at, version.purged_at is not None)


def _record(item, controls, today, with_versions=False) -> EvidenceRecord:
    return EvidenceRecord(
        item.id, item.title, item.kind.value, item_status(item, today).value, item.owner_id,
        item.owner.display_name, tuple(item.tag_list), item.description, tuple(controls),
        _version(item.latest_version), item.created_at,
        tuple(_version(v) for v in item.versions) if with_versions else ())


def list_evidence(args: Mapping, page: int, per_page: int, visible=None):
    """Return (records of one page of live evidence, total) with the list page's filters."""
    rows, total = list_item_rows(EvidenceFilters.from_args(args), page, per_page, visible)
    links, today = links_by_item([row[0] for row in rows]), local_today()
    return [_listed(row, links.get(row[0], []), today) for row in rows], total


def _listed(row, controls, today) -> EvidenceRecord:
    """The record of a live item from its `list_item_rows` row."""
    (item_id, title, kind, owner_id, description, tags, created_at, owner_name, owner_email,
     number, sha256, size, file_name, media_type, url, collected_on, valid_until, uploaded_at,
     purged_at) = row
    status = latest_status(number is not None, purged_at is not None, valid_until, today)
    latest = VersionRecord(number, sha256, size, file_name, media_type, url, collected_on,
                           valid_until, uploaded_at, purged_at is not None)
    return EvidenceRecord(item_id, title, kind.value, status.value, owner_id,
                          owner_name or owner_email, tuple(t for t in tags.split(",") if t),
                          description, tuple(controls), latest, created_at)


def get_evidence(item_id: int, visible=None) -> EvidenceRecord | None:
    """Return a live or deleted item with its versions, or None (also when out of scope)."""
    item = get_item(item_id)
    if item is None:
        return None
    controls = [link.control_id for link in item.links]
    if visible is not None and not any(c in visible for c in controls):
        return None
    return _record(item, controls, local_today(), with_versions=True)


def _changeable(item_id: int, user: User, visible=None) -> EvidenceItem:
    item = get_item(item_id)
    if item is None or (visible is not None
                        and not any(link.control_id in visible for link in item.links)):
        raise LookupError(item_id)
    if not can_change(user, item):
        raise NotAllowed(item_id)
    if item.is_deleted:
        raise Gone(item_id)
    return item


def new_evidence(user: User, *, title: str, kind: str, controls: str, collected_on: date,
                 valid_until: date | None, stream=None, file_name: str | None = None,
                 url: str | None = None, text: str | None = None, description: str = "",
                 tags: str = "", owner_id: int | None = None, with_counterparts: bool = False,
                 issuer: str = "", report_name: str = "", audit_actor: str | None = None) -> int:
    """Create an item with its first version and links, as the page does; return its id."""
    chosen = user.id
    if owner_id is not None and owner_id != user.id:
        if user.role is not Role.LEAD:
            raise EvidenceError("Only the lead gives evidence to another owner.", "owner_id")
        if owner_id not in {u.id for u in list_assignable_owners()}:
            raise EvidenceError("Choose an owner who may own evidence.", "owner_id")
        chosen = owner_id
    refs = parse_control_refs(controls, with_counterparts)
    evidence_kind = EvidenceKind(kind)
    report = (Report(issuer, report_name) if evidence_kind is EvidenceKind.THIRD_PARTY_REPORT
              else None)
    item = create_item(
        title=title, kind=evidence_kind, owner_id=chosen,
        content=Content(stream=stream, file_name=file_name, url=url, text=text),
        collected_on=collected_on, valid_until=valid_until, today=local_today(),
        actor_id=user.id, description=description, tags=tags, refs=refs,
        audit_actor=audit_actor or actor_of(user), report=report)
    return item.id


def new_version(user: User, item_id: int, *, collected_on: date, valid_until: date | None,
                stream=None, file_name: str | None = None, url: str | None = None,
                text: str | None = None, comment: str = "", visible=None,
                audit_actor: str | None = None) -> int:
    """Add a version as the page does (the caller commits); return its number."""
    item = _changeable(item_id, user, visible)
    version = add_version(item, Content(stream=stream, file_name=file_name, url=url, text=text),
                          collected_on=collected_on, valid_until=valid_until,
                          today=local_today(), actor_id=user.id, comment=comment,
                          audit_actor=audit_actor or actor_of(user))
    return version.number


def link_to_controls(user: User, item_id: int, controls: str, with_counterparts: bool = False,
                     visible=None, audit_actor: str | None = None) -> int:
    """Link an item to more controls; return how many links were added."""
    item = _changeable(item_id, user, visible)
    refs = parse_control_refs(controls, with_counterparts)
    if not refs:
        raise EvidenceError("Give at least one control id.", "controls")
    return link_controls(item, refs, audit_actor=audit_actor or actor_of(user))
