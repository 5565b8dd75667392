"""Create evidence, add versions, link controls, delete; every change audited, nothing lost."""

import hashlib
import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select

from evidence.models import EvidenceItem, EvidenceKind, EvidenceLink, EvidenceVersion
from evidence.storage import CHUNK, get_storage
from isms.api import (
    HashingSpool,
    Role,
    User,
    counterparts,
    db,
    get_edition,
    get_organisation,
    record_event,
    utcnow,
)

MAX_URL_LENGTH = 2000
MAX_STATEMENT_LENGTH = 20000
CONTROL_REF = re.compile(r"^(?:A\.)?(\d{1,2}(?:\.\d{1,2}){1,2})$", re.IGNORECASE)


class EvidenceError(ValueError):
    """Input that cannot become evidence; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Content:
    """What a new version holds: a file stream, a URL or a statement."""

    stream: BinaryIO | None = None
    file_name: str | None = None
    url: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Report:
    """About a third-party report: who issued it, for which period, inherited from whom."""

    issuer: str = ""
    report_name: str = ""
    period_from: date | None = None
    period_to: date | None = None
    inherited_from: str | None = None  # 'aws' when it covers AWS's side of controls


def _report_columns(kind: EvidenceKind, report: Report | None) -> dict:
    if report is None:
        return {}
    issuer, name = report.issuer.strip(), report.report_name.strip()
    if report.inherited_from and kind is not EvidenceKind.THIRD_PARTY_REPORT:
        raise EvidenceError("Only third-party reports can be inherited.", "inherited_from_aws")
    if report.inherited_from and not (issuer and name):
        raise EvidenceError("Name the issuer and the report of inherited evidence.", "issuer")
    if report.period_from and report.period_to and report.period_to < report.period_from:
        raise EvidenceError("The period ends before it starts.", "period_to")
    return {"issuer": issuer[:200], "report_name": name[:200], "period_from": report.period_from,
            "period_to": report.period_to, "inherited_from": report.inherited_from or None}


def can_change(user: User, item: EvidenceItem) -> bool:
    """The lead changes any evidence; an owner changes the evidence they own."""
    return user.role is Role.LEAD or (user.role is Role.OWNER and item.owner_id == user.id)


def check_file_name(name: str | None) -> str:
    """Refuse names that could act as paths or carry control characters."""
    if not name or not name.strip():
        raise EvidenceError("Choose a file to upload.", "file")
    if "/" in name or "\\" in name or name in {".", ".."}:
        raise EvidenceError("The file name may not contain path separators.", "file")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise EvidenceError("The file name contains control characters.", "file")
    if any(unicodedata.category(c) == "Cf" for c in name):  # bidi overrides, zero-width marks
        raise EvidenceError("The file name contains invisible formatting characters (such as "
                            "right-to-left overrides, which can disguise a file's type); "
                            "rename the file.", "file")
    if len(name) > 255:
        raise EvidenceError("The file name is longer than 255 characters.", "file")
    return name


def check_url(url: str | None) -> str:
    """Accept absolute http(s) URLs only."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise EvidenceError("Links must be absolute http:// or https:// URLs.", "url")
    if len(url) > MAX_URL_LENGTH or any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise EvidenceError("The link is too long or contains spaces or control characters.",
                            "url")
    return url


def check_dates(collected_on: date, valid_until: date | None, today: date) -> None:
    """Collected in the past, valid until no earlier than it was collected."""
    if collected_on > today:
        raise EvidenceError("Evidence cannot be collected in the future.", "collected_on")
    if valid_until is not None and valid_until < collected_on:
        raise EvidenceError("Valid until is before the collection date.", "valid_until")


def refuse_links(user: User, refs) -> None:
    """Raise when the user may not link evidence to some of these controls (policy of the
    package that knows who owns them; the lead links anywhere)."""
    policy = current_app.extensions.get("evidence.link_policy")
    refused = policy(user, refs) if policy and refs else []
    if refused:
        raise EvidenceError(" ".join(refused), "controls")


def parse_control_refs(text: str, with_counterparts: bool = False) -> list[tuple[str, str]]:
    """Turn 'A.9.4.2, 5.15' into (edition, id) pairs; 3-part ids are 2013, 2-part 2022."""
    refs, unknown = [], []
    for token in filter(None, re.split(r"[\s,;]+", text or "")):
        match = CONTROL_REF.match(token)
        control_id = f"A.{match.group(1)}" if match else token
        edition = "2013" if control_id.count(".") == 3 else "2022"
        if match is None:  # a control from another source (CLD.6.3.1, CUST-1)
            edition = get_organisation().edition
        if get_edition(edition).get(control_id) is None:
            unknown.append(token)
            continue
        refs.append((edition, control_id))
        if with_counterparts:
            refs.extend((c.edition, c.control_id) for c in counterparts(edition, control_id))
    if unknown:
        raise EvidenceError(f"Unknown control ids: {', '.join(unknown)}.", "controls")
    return list(dict.fromkeys(refs))


def _store_file(stream: BinaryIO, file_name: str) -> dict:
    """Hash and store a file once per content; return the version's file columns."""
    if isinstance(stream, HashingSpool):
        sha256, size = stream.sha256, stream.size
    else:
        digest, size = hashlib.sha256(), 0
        stream.seek(0)
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
        sha256 = digest.hexdigest()
    if size == 0:
        raise EvidenceError("The file is empty.", "file")
    limit_mb = current_app.config["ISMS_MAX_UPLOAD_MB"]
    if size > limit_mb * 1024 * 1024:
        raise EvidenceError(f"The file is larger than {limit_mb} MB.", "file")
    storage = get_storage()
    if not storage.exists(sha256):
        storage.put_stream(sha256, stream)
    media_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    return {"file_name": file_name, "media_type": media_type, "size": size, "sha256": sha256,
            "storage_key": sha256, "storage_backend": storage.name}


def _text_columns(text: str, media_type: str) -> dict:
    data = text.encode("utf-8")
    return {"text_content": text, "media_type": media_type, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


def _content_columns(kind: EvidenceKind, content: Content) -> dict:
    if kind.has_file:
        if content.stream is None:
            raise EvidenceError("Choose a file to upload.", "file")
        return _store_file(content.stream, check_file_name(content.file_name))
    if kind is EvidenceKind.LINK:
        return _text_columns(check_url(content.url), "text/uri-list")
    text = (content.text or "").strip()
    if not text:
        raise EvidenceError("Write the statement.", "text")
    if len(text) > MAX_STATEMENT_LENGTH:
        raise EvidenceError(f"Statements are limited to {MAX_STATEMENT_LENGTH} characters.",
                            "text")
    return _text_columns(text, "text/plain")


def add_version(item: EvidenceItem, content: Content, *, collected_on: date,
                valid_until: date | None, today: date, actor_id: int | None,
                comment: str = "", audit_actor: str) -> EvidenceVersion:
    """Store new content as the item's next version (the caller commits)."""
    check_dates(collected_on, valid_until, today)
    columns = _content_columns(item.kind, content)
    number = (db.session.scalar(
        select(func.max(EvidenceVersion.number)).where(EvidenceVersion.item_id == item.id)) or 0
    ) + 1
    version = EvidenceVersion(item_id=item.id, number=number, collected_on=collected_on,
                              valid_until=valid_until, uploaded_by_id=actor_id,
                              uploaded_at=utcnow(), comment=comment, **columns)
    db.session.add(version)
    db.session.flush()
    item.latest_version_id = version.id
    record_event("evidence.version_add", "evidence", item.id, actor=audit_actor, after={
        "number": number, "sha256": version.sha256, "size": version.size,
        "file_name": version.file_name, "collected_on": collected_on,
        "valid_until": valid_until})
    return version


def create_item(*, title: str, kind: EvidenceKind, owner_id: int, content: Content,
                collected_on: date, valid_until: date | None, today: date,
                actor_id: int | None, description: str = "", tags=(), refs=(),
                comment: str = "", audit_actor: str,
                report: Report | None = None) -> EvidenceItem:
    """Create an item with its first version and its control links (the caller commits)."""
    check_dates(collected_on, valid_until, today)
    extra = _report_columns(kind, report)
    item = EvidenceItem(title=title.strip(), kind=kind, description=description.strip(),
                        owner_id=owner_id, tags=normalise_tags(tags), created_by_id=actor_id,
                        **extra)
    db.session.add(item)
    db.session.flush()
    record_event("evidence.create", "evidence", item.id, actor=audit_actor, after={
        "title": item.title, "kind": kind, "owner_id": owner_id, "tags": item.tags, **extra})
    add_version(item, content, collected_on=collected_on, valid_until=valid_until, today=today,
                actor_id=actor_id, comment=comment, audit_actor=audit_actor)
    link_controls(item, refs, audit_actor=audit_actor)
    return item


def normalise_tags(tags) -> str:
    """Return tags lower-cased, de-duplicated and sorted, as stored."""
    if isinstance(tags, str):
        tags = re.split(r"[,;]", tags)
    cleaned = {t.strip().lower()[:40] for t in tags if t and t.strip()}
    return ",".join(sorted(cleaned))


def link_controls(item: EvidenceItem, refs, *, audit_actor: str) -> int:
    """Link the item to each (edition, control id) not linked yet; return how many."""
    have = set(db.session.execute(
        select(EvidenceLink.edition, EvidenceLink.control_id)
        .where(EvidenceLink.item_id == item.id)).all())
    added = 0
    for edition, control_id in refs:
        if (edition, control_id) in have:
            continue
        db.session.add(EvidenceLink(item_id=item.id, edition=edition, control_id=control_id))
        record_event("evidence.link", "evidence", item.id, actor=audit_actor,
                     after={"edition": edition, "control_id": control_id})
        have.add((edition, control_id))
        added += 1
    db.session.flush()
    return added


def unlink_control(item: EvidenceItem, edition: str, control_id: str, *,
                   audit_actor: str) -> bool:
    """Remove one link; return False when there was none."""
    link = db.session.scalars(select(EvidenceLink).filter_by(
        item_id=item.id, edition=edition, control_id=control_id)).one_or_none()
    if link is None:
        return False
    db.session.delete(link)
    record_event("evidence.unlink", "evidence", item.id, actor=audit_actor,
                 before={"edition": edition, "control_id": control_id})
    return True


def delete_item(item: EvidenceItem, reason: str, actor: User) -> None:
    """Soft-delete: the item and its versions stay, marked with who, when and why."""
    reason = (reason or "").strip()
    if not reason:
        raise EvidenceError("Give a reason for deleting this evidence.", "reason")
    item.deleted_at, item.deleted_by_id, item.delete_reason = utcnow(), actor.id, reason
    record_event("evidence.delete", "evidence", item.id, after={"reason": reason},
                 actor=str(actor.id))
