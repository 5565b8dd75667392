"""The audit chain: gapless, hash-linked, and written with the change or not at all."""

import itertools
import json
from datetime import UTC

import pytest
from sqlalchemy import delete, select, text, update

from isms.audit import AuditEvent, AuditHead, event_hash, record_event, verify_chain
from isms.db import db
from tests.conftest import append_only_triggers_dropped


def _record(app, count) -> list[int]:
    """Append `count` events after whatever the fixture wrote; return their seqs."""
    with app.app_context():
        seqs = [record_event("test.action", "thing", n, before={"v": n}, after={"v": n + 1},
                             actor="system:test").seq for n in range(count)]
        db.session.commit()
    return seqs


def test_events_form_a_gapless_hash_chain(app):
    _record(app, 5)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        report = verify_chain()
        head = db.session.get(AuditHead, 1)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].action == "organisation.create" and len(events) == 6
    assert events[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert report.is_intact and report.count == 6
    assert (head.seq, head.hash) == (6, events[-1].hash)


def test_the_hash_is_sha256_of_canonical_json_with_utc_microseconds(app):
    (seq,) = _record(app, 1)
    with app.app_context():
        event = db.session.get(AuditEvent, seq)
        previous = db.session.get(AuditEvent, seq - 1)
    assert event.at.tzinfo is not None
    payload = {
        "seq": seq, "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": "system:test", "action": "test.action", "object_type": "thing",
        "object_id": "0", "before": {"v": 0}, "after": {"v": 1}, "ip": None,
        "prev_hash": previous.hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    import hashlib

    assert event.hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert payload["at"].endswith("+00:00") and "." in payload["at"]


def test_a_rolled_back_change_leaves_no_event_and_no_gap(app):
    first = _record(app, 2)
    with app.app_context():
        record_event("test.action", "thing", "lost", actor="system:test")
        db.session.rollback()
    assert _record(app, 1) == [first[-1] + 1]
    with app.app_context():
        assert verify_chain().is_intact


@pytest.mark.parametrize("tamper,broken_seq", [
    (lambda seq: update(AuditEvent).where(AuditEvent.seq == seq).values(actor="someone"), 3),
    (lambda seq: update(AuditEvent).where(AuditEvent.seq == seq).values(after={"v": 99}), 2),
    (lambda seq: delete(AuditEvent).where(AuditEvent.seq == seq), 4),
    (lambda seq: delete(AuditEvent).where(AuditEvent.seq == seq), 6),  # the tail
])
def test_verify_names_the_first_event_that_was_altered_or_removed(app, tamper, broken_seq):
    _record(app, 5)
    with app.app_context():
        with append_only_triggers_dropped():
            db.session.execute(tamper(broken_seq))
            db.session.commit()
        report = verify_chain()
    assert not report.is_intact
    assert report.first_broken_seq == broken_seq


def test_a_recomputed_hash_still_breaks_the_link_to_the_next_event(app):
    _record(app, 3)
    with app.app_context():
        event = db.session.get(AuditEvent, 2)  # the next one, 3, links to its old hash
        fields = {c: getattr(event, c) for c in (
            "seq", "at", "actor", "action", "object_type", "object_id", "before", "after",
            "ip", "prev_hash")}
        fields["actor"] = "forger"
        with append_only_triggers_dropped():
            db.session.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(
                actor="forger", hash=event_hash(fields)))
            db.session.commit()
        report = verify_chain()
    assert report.first_broken_seq == 3 and "previous hash" in report.reason


def test_timestamps_keep_their_microseconds_through_the_database(app):
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        event = record_event("test.action", "thing", 1, actor="system:test")
        recorded, seq = event.at, event.seq
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(AuditEvent, seq).at == recorded
        assert recorded.tzinfo is UTC


def test_a_request_records_the_client_ip_and_user(app, client, login_as):
    from isms.auth.models import Role

    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    user = login_as(Role.LEAD)
    client.post("/controls/A.5.1.1/edit", data={
        "applicability": "applicable", "reasons": ["risk"], "implementation_status": "planned",
        "responsibility": "company", "review_cadence": "none"})
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).filter_by(action="control.update")).one()
    assert event.ip == "192.0.2.7" and event.actor == str(user.id)


def test_a_session_replayed_from_another_address_is_ended(client, login_as):
    from isms.auth.models import Role

    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    login_as(Role.LEAD)
    assert client.get("/controls").status_code == 200
    client.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    assert client.get("/controls").status_code == 302
