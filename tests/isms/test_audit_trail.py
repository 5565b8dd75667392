"""The audit log is append-only in the database and anchored outside it."""

import threading

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from controls.models import ControlState
from controls.services import update_control
from isms.audit import AuditAnchor, AuditEvent, AuditHead, event_hash, record_event
from isms.auth.models import Role
from isms.db import db
from tests.conftest import append_only_triggers_dropped, is_postgres
from tests.soa_helpers import decide_every_control


def _events(app, count=5):
    with app.app_context():
        for n in range(count):
            record_event("test.action", "thing", n, after={"n": n}, actor="system:test")
        db.session.commit()


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


@pytest.mark.parametrize("statement", [
    update(AuditEvent).values(actor="someone"),
    delete(AuditEvent),
    update(AuditAnchor).values(seq=1),
])
def test_the_database_refuses_to_change_or_remove_audit_rows(app, statement):
    _events(app)
    with app.app_context():
        db.session.add(AuditAnchor(seq=1, hash="x" * 64, written_to="test"))
        db.session.commit()
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(statement)
        db.session.rollback()


def test_verify_reports_the_count_when_intact(app):
    _events(app)
    result = _verify(app)
    assert result.exit_code == 0 and "OK: 6 events, chain intact." in result.output


def test_reordering_two_events_is_caught(app):
    _events(app)
    with app.app_context(), append_only_triggers_dropped():
        db.session.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(seq=-3))
        db.session.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(seq=3))
        db.session.execute(update(AuditEvent).where(AuditEvent.seq == -3).values(seq=4))
        db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1 and "BROKEN at event 3" in result.output


def test_a_deleted_tail_with_a_rewritten_head_shows_against_an_issued_soa(app, client,
                                                                         make_user, login):
    lead, admin = make_user(Role.LEAD), make_user(Role.ADMIN)
    decide_every_control(app)
    login(lead)
    client.post("/soa/submit", data={"change_summary": "First issue"})
    client.post("/logout")
    login(admin)
    client.post("/soa/versions/1/approve", data={"approver_title": "CEO"})
    with app.app_context():
        anchor = db.session.scalars(select(AuditAnchor)).one()
        assert anchor.written_to == "SoA version 1"
        anchored_seq = anchor.seq
        # Someone deletes everything from the anchored event on and fixes up the head.
        with append_only_triggers_dropped():
            db.session.execute(delete(AuditEvent).where(AuditEvent.seq >= anchored_seq))
            last = db.session.scalars(select(AuditEvent).order_by(
                AuditEvent.seq.desc()).limit(1)).one()
            db.session.execute(update(AuditHead).values(seq=last.seq, hash=last.hash))
            db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert "anchored in SoA version 1" in result.output


def test_a_recomputed_chain_shows_against_its_anchor(app):
    _events(app)
    with app.app_context():
        from isms.audit import anchor_head

        anchor_head("a digest")
        db.session.commit()
        with append_only_triggers_dropped():
            previous = "0" * 64
            for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
                fields = {c: getattr(event, c) for c in (
                    "seq", "at", "actor", "action", "object_type", "object_id", "before",
                    "after", "ip")}
                if event.seq == 2:
                    fields["actor"] = "forger"
                fields["prev_hash"] = previous
                previous = event_hash(fields)
                db.session.execute(update(AuditEvent).where(AuditEvent.seq == event.seq)
                                   .values(actor=fields["actor"], prev_hash=fields["prev_hash"],
                                           hash=previous))
            db.session.execute(update(AuditHead).values(hash=previous))
            db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1 and "differs from the head anchored in a digest" in result.output


def test_the_audit_page_filters_and_exports(app, client, login_as):
    login_as(Role.LEAD)
    _events(app, 3)
    page = client.get("/audit?action=test.*").get_data(as_text=True)
    assert "3 events" in page
    exported = client.get("/audit.csv?actor=system:test").get_data(as_text=True).splitlines()
    assert exported[0].startswith("seq,at,actor") and len(exported) == 5  # + the user setup
    client.post("/logout")
    login_as(Role.OWNER)
    assert client.get("/audit").status_code == 403


@pytest.mark.skipif(not is_postgres(), reason="concurrent writers are a PostgreSQL test")
def test_eight_threads_changing_controls_leave_one_unbroken_chain(app):
    control_ids = [f"A.9.{n}" for n in ("1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6")]
    errors = []

    def work(control_id: str):
        try:
            with app.app_context():
                for round_ in range(10):
                    state = db.session.scalars(select(ControlState).filter_by(
                        edition="2013", control_id=control_id)).one()
                    update_control(state, {"notes": f"round {round_}"}, None,
                                   audit_actor="system:test")
                    db.session.commit()
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(cid,)) for cid in control_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        seqs = list(db.session.scalars(text("SELECT seq FROM audit_events ORDER BY seq")))
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) == 81
    assert _verify(app).exit_code == 0
