"""Database handle, naming convention and UTC time helpers."""

import sqlite3
from datetime import UTC, datetime

from flask import g, has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def enum_column(enum_cls, name: str, length: int = 16):
    """A StrEnum stored as its value in a VARCHAR with a CHECK constraint (portable)."""
    return db.Enum(enum_cls, name=name, native_enum=False, create_constraint=True,
                   length=length, values_callable=lambda e: [m.value for m in e])


class UTCDateTime(TypeDecorator):
    """Store aware datetimes as UTC and always hand back aware UTC values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        # SQLite has no time zone type: keep the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, _record):
    """Turn on foreign keys, WAL and a busy timeout for every SQLite connection."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.close()


def read_once(key, compute):
    """Return `compute()`, computed once per GET or HEAD request for this key.

    Such a request changes no decision, evidence or clause, so the same read made twice
    within it (the dashboard's board and its consistency checks both read every control's
    evidence status) finds the same rows; the second caller gets the first answer. Should it
    write after all, whatever it flushes, or holds unflushed, makes the next read a fresh one.
    Anywhere else (forms, jobs, the CLI) it computes every time. The answer is shared:
    callers read it, never change it."""
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return compute()
    memo = g.setdefault("isms_read_once", {})
    session = db.session()
    if session.new or session.dirty or session.deleted:
        memo.clear()
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _forget_reads(*_) -> None:
    if has_request_context():
        g.pop("isms_read_once", None)


# PostgreSQL: a request that only read ends its transaction with COMMIT, not ROLLBACK. The two
# are the same for a transaction that wrote nothing, but psycopg forgets every prepared statement
# on ROLLBACK; ending with COMMIT lets a worker's connections keep the statements they run on
# every request prepared, so the server parses and plans them once per connection instead of
# on each request (planning is most of a simple statement's cost there).
_WROTE = "isms_wrote"


def init_app(app) -> None:
    db.init_app(app)
    if not event.contains(db.session, "after_flush", _forget_reads):
        event.listen(db.session, "after_flush", _forget_reads)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        return
    event.listen(engine, "before_cursor_execute", _note_write)
    event.listen(engine, "handle_error", _note_error)
    event.listen(engine, "commit", _forget_writes)
    event.listen(engine, "rollback", _forget_writes)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs before the session is removed.
    app.teardown_appcontext(_end_read_only)


def _note_write(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    if not statement.startswith("SELECT "):
        conn.info[_WROTE] = True


def _note_error(context) -> None:
    if context.connection is not None:
        context.connection.info[_WROTE] = True


def _forget_writes(conn) -> None:
    conn.info.pop(_WROTE, None)


def _end_read_only(exc) -> None:
    if exc is not None or not db.session.registry.has():
        return
    session = db.session()
    transaction = session.get_transaction()
    # Not after a failed flush (the transaction is inactive), nor with changes not yet flushed.
    if transaction is None or not transaction.is_active:
        return
    if session.new or session.dirty or session.deleted:
        return
    if not session.connection().info.get(_WROTE):
        # The session is removed next: its objects stay readable, as after a rollback.
        session.expire_on_commit = False
        session.commit()
