"""Append-only audit events, hash-chained and written in the caller's transaction."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from functools import cache

from flask import g, has_request_context
from sqlalchemy import JSON, BigInteger, Integer, String, bindparam, select, text, update
from sqlalchemy.orm import Mapped, mapped_column

from isms.db import UTCDateTime, db, utcnow
from isms.security import client_ip

GENESIS_HASH = "0" * 64
ADVISORY_LOCK_KEY = 27001  # serialises audit writers on PostgreSQL


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    actor: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[str] = mapped_column(String(128), nullable=False)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)

    # With seq last, "an object's latest events" is a short backward index scan, not a sort.
    __table_args__ = (db.Index("ix_audit_events_object", "object_type", "object_id", "seq"),)


class AuditAnchor(db.Model):
    """A chain head written somewhere outside the log (an issued SoA, a package, a digest)."""

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
    written_to: Mapped[str] = mapped_column(String(128), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class AuditHead(db.Model):
    """One row holding the chain head; updating it serialises every writer."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


@dataclass(frozen=True)
class ChainReport:
    count: int
    first_broken_seq: int | None
    reason: str = ""

    @property
    def is_intact(self) -> bool:
        return self.first_broken_seq is None


def jsonable(value):
    """Turn a value into plain JSON types, so before/after hash the same after a round trip."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def event_hash(fields: dict) -> str:
    """Return the SHA-256 of an event's canonical JSON (sorted keys, UTC ISO timestamps)."""
    payload = dict(fields)
    payload["at"] = payload["at"].astimezone(UTC).isoformat(timespec="microseconds")
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def actor_of(user) -> str:
    """The audit actor for a user: their id, and the token's name on an API request."""
    if has_request_context() and str(g.get("isms_actor", "")).startswith(f"{user.id}/"):
        return g.isms_actor  # e.g. "12/token:ci"
    return str(user.id)


def record_event(
    action: str,
    object_type: str,
    object_id,
    *,
    actor: str,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Append an event to the chain inside the current transaction (the caller commits).

    `actor` is required and never guessed from the request: a user id as text (`actor_of`),
    `system:<job>` for jobs, `cli:<os user>` for the CLI without `--as`, `anonymous` for
    failed sign-ins.
    """
    if not isinstance(actor, str) or not actor.strip():
        raise ValueError(f"record_event({action!r}) needs the acting user or process.")
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    # Taking the head row first locks out other writers until this transaction ends (on
    # SQLite this takes the database write lock), so seq stays gapless and never forks.
    seq, prev_hash = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.hash)
        .execution_options(synchronize_session=False)
    ).one()
    fields = {
        "seq": seq,
        "at": utcnow(),
        "actor": actor[:64],
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": jsonable(before),
        "after": jsonable(after),
        "ip": client_ip() if has_request_context() else None,
        "prev_hash": prev_hash,
    }
    event = AuditEvent(**fields, hash=event_hash(fields))
    session.add(event)
    session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(hash=event.hash)
        .execution_options(synchronize_session=False)
    )
    return event


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Keep only the keys whose values differ, for compact before/after records."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Recompute every event's hash in order; report the first event that does not fit."""
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    anchored = set(db.session.scalars(select(AuditAnchor.seq)))
    hashes: dict[int, str] = {}  # only the anchored ones, so memory does not grow
    query = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch_size)
    for event in db.session.scalars(query):
        if event.seq != expected_seq:
            return ChainReport(count, expected_seq, f"event {expected_seq} is missing")
        fields = {c: getattr(event, c) for c in _HASHED_COLUMNS}
        if event.prev_hash != expected_prev:
            return ChainReport(count, event.seq, "previous hash does not match")
        if event_hash(fields) != event.hash:
            return ChainReport(count, event.seq, "content does not match its hash")
        expected_prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
        if event.seq in anchored:
            hashes[event.seq] = event.hash
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.seq != count or head.hash != expected_prev):
        return ChainReport(count, count + 1, "events after the last one are missing")
    return _check_anchors(count, hashes)


def _check_anchors(count: int, hashes: dict[int, str]) -> ChainReport:
    """Every chain head written elsewhere must still be in the chain, with the same hash."""
    for anchor in db.session.scalars(select(AuditAnchor).order_by(AuditAnchor.seq)):
        if anchor.seq > count:
            return ChainReport(count, count + 1, f"events up to {anchor.seq}, anchored in "
                                                 f"{anchor.written_to}, are missing")
        if hashes.get(anchor.seq) != anchor.hash:
            return ChainReport(count, anchor.seq, f"event {anchor.seq} differs from the "
                                                  f"head anchored in {anchor.written_to}")
    return ChainReport(count, None)


def chain_head() -> tuple[int, str]:
    """Return the current (seq, hash) of the chain."""
    head = db.session.get(AuditHead, 1)
    return (head.seq, head.hash) if head else (0, GENESIS_HASH)


def anchor_head(written_to: str) -> tuple[int, str]:
    """Record that the current chain head is being written into a document; return it."""
    seq, digest = chain_head()
    db.session.add(AuditAnchor(seq=seq, hash=digest, written_to=written_to[:128]))
    return seq, digest


_HASHED_COLUMNS = (
    "seq", "at", "actor", "action", "object_type", "object_id",
    "before", "after", "ip", "prev_hash",
)


def list_object_events(object_type: str, object_id: str, limit: int = 20) -> list:
    """Return an object's latest events as people read them (`isms.history.HistoryEntry`)."""
    from isms.history import describe_events

    events = db.session.scalars(_object_events_statement(), {
        "object_type": object_type, "object_id": object_id, "limit": limit}).all()
    return describe_events(events)


@cache
def _object_events_statement():
    """Built once: every object's page shows its history (values are bound)."""
    return (select(AuditEvent)
            .where(AuditEvent.object_type == bindparam("object_type"),
                   AuditEvent.object_id == bindparam("object_id"))
            .order_by(AuditEvent.seq.desc()).limit(bindparam("limit")))


@dataclass(frozen=True)
class EventFact:
    seq: int
    at: datetime
    actor: str
    object_id: str
    after: dict | None


def list_events_since(action: str, since: datetime) -> list[EventFact]:
    """Every event of one action since a moment, oldest first (for digests)."""
    return [EventFact(e.seq, e.at, e.actor, e.object_id, e.after) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action, AuditEvent.at >= since)
        .order_by(AuditEvent.seq))]
