"""`read_once`: one read per GET for the same key; a fresh read anywhere else."""

from isms.db import read_once


def counting():
    calls = []

    def compute():
        calls.append(1)
        return {"A.5.1.1": "current", "read": len(calls)}

    return calls, compute


def test_a_get_reads_once_per_key(app):
    calls, compute = counting()
    with app.test_request_context("/", method="GET"):
        first = read_once(("status", "2013"), compute)
        assert read_once(("status", "2013"), compute) is first
        read_once(("status", "2022"), compute)
    assert len(calls) == 2
    with app.test_request_context("/", method="GET"):  # the next request reads again
        assert read_once(("status", "2013"), compute)["read"] == 3


def test_a_form_a_job_or_the_cli_reads_every_time(app):
    calls, compute = counting()
    with app.test_request_context("/controls/A.5.1.1/edit", method="POST"):
        read_once(("status", "2013"), compute)
        read_once(("status", "2013"), compute)
    with app.app_context():
        read_once(("status", "2013"), compute)
    assert len(calls) == 3


def test_a_write_within_the_request_makes_the_next_read_fresh(app):
    from isms.auth.models import Role, User
    from isms.db import db

    def admins():
        return db.session.query(User).filter_by(role=Role.ADMIN).count()

    with app.test_request_context("/", method="GET"):
        before = read_once("admins", admins)
        db.session.add(User(email="second-admin@example.com", name="Second",
                            password_hash="x", role=Role.ADMIN))
        assert read_once("admins", admins) == before + 1  # pending: read again
        db.session.flush()
        assert read_once("admins", admins) == before + 1
        db.session.add(User(email="third-admin@example.com", name="Third",
                            password_hash="x", role=Role.ADMIN))
        db.session.flush()  # flushed before the next read: forgotten all the same
        assert read_once("admins", admins) == before + 2
        db.session.rollback()
