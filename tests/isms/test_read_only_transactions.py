"""PostgreSQL: a unit of work that only read ends with COMMIT, so the connection keeps the
statements it has prepared; one that wrote, failed or raised still ends with ROLLBACK."""

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, text
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.orm import registry

from isms.app import create_app
from isms.db import db
from tests.conftest import base_config

LOOKUP = text("SELECT body FROM notes WHERE id = :id")


class Note:
    """A row of the test's own table, mapped apart from the app's models."""

    def __init__(self, **values):
        for name, value in values.items():
            setattr(self, name, value)


registry().map_imperatively(Note, Table(
    "notes", MetaData(), Column("id", Integer, primary_key=True),
    Column("body", Text, nullable=False)))


@pytest.fixture
def pg_app(scratch_postgres_url, tmp_path):
    app = create_app(base_config(scratch_postgres_url, str(tmp_path / "instance")))
    with app.app_context():
        db.session.execute(text("CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL)"))
        db.session.execute(text("INSERT INTO notes VALUES (1, 'kept')"))
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def prepared(app) -> int:
    """How many statements the (single, pooled) connection holds prepared on the server."""
    with app.app_context():
        return db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))


def notes(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(text("SELECT body FROM notes ORDER BY id")).all()


def read_a_few_times(app, times: int = 6) -> None:
    for _ in range(times):  # psycopg prepares a statement on its fifth run
        with app.app_context():
            assert db.session.scalar(LOOKUP, {"id": 1}) == "kept"


def test_reads_keep_their_prepared_statements_from_one_request_to_the_next(pg_app):
    read_a_few_times(pg_app)
    assert prepared(pg_app) >= 1
    with pg_app.app_context():  # still there after more reads
        assert db.session.scalar(LOOKUP, {"id": 1}) == "kept"
    assert prepared(pg_app) >= 1


def test_a_write_left_uncommitted_is_rolled_back(pg_app):
    read_a_few_times(pg_app)
    with pg_app.app_context():
        db.session.execute(text("INSERT INTO notes VALUES (2, 'draft')"))
        assert db.session.scalar(LOOKUP, {"id": 2}) == "draft"
    assert notes(pg_app) == ["kept"]
    assert prepared(pg_app) == 0  # the rollback made psycopg forget them, as it always did


def test_a_write_behind_a_select_is_rolled_back_too(pg_app):
    with pg_app.app_context():
        db.session.execute(text(
            "WITH added AS (INSERT INTO notes VALUES (3, 'hidden') RETURNING id) "
            "SELECT id FROM added"))
    assert notes(pg_app) == ["kept"]


def test_a_failed_statement_ends_in_a_rollback_without_a_new_error(pg_app):
    with pg_app.app_context(), pytest.raises(ProgrammingError):
        db.session.execute(text("SELECT body FROM no_such_table"))
    assert notes(pg_app) == ["kept"]


def test_an_exception_rolls_back_even_a_read(pg_app):
    read_a_few_times(pg_app)
    with pytest.raises(RuntimeError), pg_app.app_context():
        db.session.scalar(LOOKUP, {"id": 1})
        raise RuntimeError("the view failed")
    assert prepared(pg_app) == 0



def test_a_failed_flush_left_unhandled_is_rolled_back_quietly(pg_app):
    with pg_app.app_context():
        db.session.add(Note(id=1, body="duplicate"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        # The view caught the error and went on without a rollback.
    assert notes(pg_app) == ["kept"]


def test_changes_not_yet_flushed_are_not_committed(pg_app):
    with pg_app.app_context():
        db.session.get(Note, 1).body = "edited, then abandoned"
    assert notes(pg_app) == ["kept"]
