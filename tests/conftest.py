"""Fixtures: one migrated database per run, a fresh app per test, a client that carries CSRF."""

import contextlib
import os
import re
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, delete, event, text, update
from sqlalchemy.engine import make_url

from isms import create_app
from isms.app import MIGRATIONS
from isms.audit import GENESIS_HASH, AuditHead
from isms.auth.models import Role
from isms.auth.scope import set_auditor_scope
from isms.auth.services import create_user
from isms.catalog import EDITIONS, get_edition
from isms.catalog.loader import load_catalog
from isms.catalog.models import CatalogControl
from isms.db import db
from isms.jobqueue import drain
from isms.org import get_organisation
from isms.setup import initialise

TEST_DATABASE_URL = os.environ.get("ISMS_TEST_DATABASE_URL", "")
KEPT_TABLES = {"catalog_controls", "catalog_mappings", "catalog_aliases", "catalog_frameworks",
               "catalog_requirements", "catalog_requirement_mappings", "audit_head"}
APPEND_ONLY = ("audit_events", "audit_anchors")
PASSWORD = "correct horse battery staple"
# Memory-backed when the machine has it: SQLite's fsync on every commit then costs nothing.
FAST_DISK = "/dev/shm"  # noqa: S108 (mkdtemp makes a private folder in it)


def is_postgres() -> bool:
    return TEST_DATABASE_URL.startswith("postgresql")


def base_config(database_url: str, instance: str) -> dict:
    return {
        "TESTING": True,
        "ISMS_DATABASE_URL": database_url,
        "ISMS_INSTANCE_PATH": instance,
        "ISMS_SECRET_KEY": "test-secret-key",
        "ISMS_TIMEZONE": "Europe/Brussels",
        # Hashing is real but cheap, so hundreds of logins stay fast.
        "ISMS_PASSWORD_HASH": "pbkdf2:sha256:1000",
        # Jobs run in the process's own pool unless a test starts `isms worker` processes.
        "ISMS_QUEUE": "threads",
    }


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database of this run's own (of this worker's, in parallel): a new PostgreSQL
    database, or an SQLite file, in memory-backed storage when there is some."""
    if not is_postgres():
        if os.path.isdir(FAST_DISK) and os.access(FAST_DISK, os.W_OK):
            folder = tempfile.mkdtemp(prefix="isms-test-", dir=FAST_DISK)
        else:
            folder = str(tmp_path_factory.mktemp("db"))
        yield "sqlite:///" + os.path.join(folder, "isms.db")
        shutil.rmtree(folder, ignore_errors=True)
        return
    server = make_url(TEST_DATABASE_URL)
    name = f"isms_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_url(database_url, tmp_path_factory):
    """Migrate once per test session and load the catalog, which tests never change."""
    app = create_app(base_config(database_url, str(tmp_path_factory.mktemp("instance"))))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        load_catalog()
        db.session.commit()
        db.engine.dispose()
    return database_url


def wipe_database() -> None:
    """Delete every row the tests wrote and reset the audit chain head."""
    db.session.remove()
    for table in db.metadata.sorted_tables:  # break reference cycles first
        for key in table.foreign_keys:
            if key.constraint.use_alter:
                db.session.execute(update(table).values({key.parent.name: None}))
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in KEPT_TABLES and table.name not in APPEND_ONLY:
            db.session.execute(delete(table))
    # The catalog stays, except the controls a test added from other sources (6.1.3 b).
    db.session.execute(delete(CatalogControl).where(CatalogControl.source != ""))
    if db.engine.dialect.name == "postgresql":
        # TRUNCATE does not fire the row triggers that keep the audit log append-only.
        db.session.execute(text(f"TRUNCATE {', '.join(APPEND_ONLY)}"))
    else:
        with append_only_triggers_dropped():
            for name in APPEND_ONLY:
                db.session.execute(text(f"DELETE FROM {name}"))  # noqa: S608 (fixed names)
            db.session.commit()
    db.session.execute(update(AuditHead).values(seq=0, hash=GENESIS_HASH))
    db.session.commit()


@contextmanager
def append_only_triggers_dropped():
    """Take the audit log's append-only triggers away for a moment (tests only)."""
    if db.engine.dialect.name == "postgresql":
        for name in APPEND_ONLY:
            db.session.execute(text(f"ALTER TABLE {name} DISABLE TRIGGER {name}_append_only"))
        try:
            yield
        finally:
            db.session.rollback()  # whatever the block did not commit
            for name in APPEND_ONLY:
                db.session.execute(text(f"ALTER TABLE {name} ENABLE TRIGGER {name}_append_only"))
            db.session.commit()
        return
    db.session.commit()  # keep what the caller did so far; start on a fresh connection
    db.session.close()
    db.engine.dispose()
    triggers = db.session.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
        "('audit_events', 'audit_anchors')")).all()
    for name, _ in triggers:
        db.session.execute(text(f"DROP TRIGGER {name}"))
    try:
        yield
    finally:
        db.session.rollback()
        db.session.close()
        db.engine.dispose()  # a pooled connection may still hold the old schema
        for _, sql in triggers:
            db.session.execute(text(sql))
        db.session.commit()


def _sqlite_path(url: str) -> str:
    return make_url(url).database


def _copy_database(source: str, target: str) -> None:
    """Replace an SQLite database with a copy of another, as a new file: a connection a test
    left open (a baseline's engine, say) keeps the old file, and new ones open the copy."""
    shutil.copyfile(source, target + ".copy")
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(target + suffix)
    os.replace(target + ".copy", target)


@pytest.fixture(scope="session")
def initialised_copies(migrated_url, tmp_path_factory):
    """SQLite only: the migrated database initialised on each edition, kept as files, so a
    test starts from a copy (a few milliseconds) instead of wiping and initialising again."""
    if is_postgres():
        return {}
    database = _sqlite_path(migrated_url)
    pristine = database + ".migrated"
    shutil.copyfile(database, pristine)
    copies = {}
    for edition in EDITIONS:
        _copy_database(pristine, database)
        app = create_app(base_config(migrated_url, str(tmp_path_factory.mktemp("instance"))))
        with app.app_context():
            initialise(edition, "Test organisation")
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        copies[edition] = f"{database}.{edition}"
        shutil.copyfile(database, copies[edition])
    return copies


@pytest.fixture
def app(migrated_url, initialised_copies, tmp_path, request):
    """A fresh app per test with the organisation initialised on the marked edition: on
    SQLite a copy of the database initialised once per run, on PostgreSQL wiped after each
    test and initialised before the next."""
    marker = request.node.get_closest_marker("edition")
    edition = marker.args[0] if marker else "2013"
    if initialised_copies:
        _copy_database(initialised_copies[edition], _sqlite_path(migrated_url))
    app = create_app(base_config(migrated_url, str(tmp_path / "instance")))
    app.test_client_class = CsrfClient
    with app.app_context():
        if initialised_copies:
            get_edition(edition)  # the catalog cached, as initialising leaves it
        else:
            initialise(edition, "Test organisation")
            db.session.commit()
    yield app
    drain(app, timeout=120)  # jobs a test queued finish before their rows go
    with app.app_context():
        if not initialised_copies:
            wipe_database()
        db.session.remove()
        db.engine.dispose()


class CsrfClient(FlaskClient):
    """A test client that sends a real CSRF token with every form, as a browser would."""

    _csrf: tuple[str, str] | None = None  # (the session's raw token, a signed one)

    def csrf_token(self) -> str:
        """A signed token for the session's raw one, fetched from a page once per raw token
        (a new one comes with every new session: sign-in, sign-out)."""
        raw = self._session_csrf()
        if raw is None or self._csrf is None or self._csrf[0] != raw:
            html = self.get("/login", follow_redirects=True).get_data(as_text=True)
            token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
            self._csrf = (self._session_csrf(), token)
        return self._csrf[1]

    def _session_csrf(self) -> str | None:
        if not self._cookies:
            return None
        with self.session_transaction() as session:
            return session.get("csrf_token")

    def post(self, *args, data=None, csrf=True, **kwargs):
        if csrf and (data is None or isinstance(data, dict)) and "csrf_token" not in (data or {}):
            data = {**(data or {}), "csrf_token": self.csrf_token()}
        return super().post(*args, data=data, **kwargs)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass(frozen=True)
class UserInfo:
    id: int
    email: str
    role: Role
    password: str = PASSWORD


@pytest.fixture
def make_user(app):
    """Create a committed user and return its id, email and password."""
    counter = iter(range(1, 10_000))

    def make(role: Role | str = Role.OWNER, email: str | None = None, scope: str = "all",
             **kwargs) -> UserInfo:
        role = Role(role)
        email = email or f"{role.value}{next(counter)}@example.com"
        with app.app_context():
            if role is Role.AUDITOR:
                kwargs.setdefault("valid_from", date.today() - timedelta(days=1))
                kwargs.setdefault("valid_until", date.today() + timedelta(days=10))
            user = create_user(email, role, PASSWORD, actor="system:test", **kwargs)
            if role is Role.AUDITOR:
                set_auditor_scope(user, scope, get_organisation().edition)
            db.session.commit()
            return UserInfo(user.id, user.email, role)

    return make


@pytest.fixture
def login(client):
    """Sign the test client in as a given user."""
    def sign_in(user: UserInfo):
        response = client.post("/login", data={"email": user.email, "password": user.password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return sign_in


@pytest.fixture
def login_as(make_user, login):
    """Create a user with a role and sign the client in as them."""
    return lambda role=Role.LEAD, **kwargs: login(make_user(role, **kwargs))


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run inside a `with count_queries() as statements:` block."""
    @contextmanager
    def counter():
        with app.app_context():
            engine = db.engine
        statements: list[str] = []

        def remember(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", remember)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", remember)

    return counter


def free_port() -> int:
    """Return a TCP port nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def scratch_postgres_url():
    """A new, empty PostgreSQL database for one test, dropped afterwards.

    It uses the server of ISMS_TEST_DATABASE_URL, or the local one, even during the SQLite
    run: tests that move data between SQLite and PostgreSQL, or cut a database connection,
    need a real server.
    """
    from sqlalchemy.exc import OperationalError

    server = make_url(TEST_DATABASE_URL if is_postgres() else LOCAL_POSTGRES)
    name = f"isms_scratch_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        pytest.skip(f"no PostgreSQL server at {server.host}:{server.port}: {error.orig}")
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3 API on loopback (moto in server mode) with throwaway credentials."""
    from tests.aws_helpers import start_moto

    server, endpoint = start_moto()
    yield endpoint
    server.stop()


@pytest.fixture(scope="module")
def aws_endpoint():
    """A whole AWS API on loopback (moto server), one per test module that asks for it."""
    from tests.aws_helpers import start_moto

    server, endpoint = start_moto()
    yield endpoint
    server.stop()


@pytest.fixture
def aws_app(app, aws_endpoint):
    """The app reading AWS from the loopback emulator; snapshots valid for ten days."""
    app.config.update(ISMS_AWS_ENDPOINT_URL=aws_endpoint, ISMS_AWS_VALID_DAYS=10)
    return app


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A fresh, empty bucket for one test."""
    import boto3

    name = f"isms-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(
        Bucket=name)
    return name


@pytest.fixture(params=["local", "s3"])
def storage_kind(request, app):
    """Run a test once on local storage and once on S3 (moto on loopback)."""
    if request.param == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        app.config.update(ISMS_STORAGE="s3", ISMS_S3_BUCKET=bucket,
                          ISMS_S3_ENDPOINT_URL=request.getfixturevalue("s3_endpoint"))
    return request.param


class Mailbox:
    """Messages received by the loopback SMTP server, in arrival order."""

    def __init__(self, delay: float = 0):
        self.messages: list = []
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK"

    def recipients(self) -> list[str]:
        return [m["To"] for m in self.messages]


@pytest.fixture
def smtp(app):
    """A real SMTP server on loopback; the app is configured to send through it."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(ISMS_SMTP_HOST="127.0.0.1", ISMS_SMTP_PORT=controller.port,
                      ISMS_SMTP_FROM="isms@cloudar.example")
    yield mailbox
    controller.stop()


# Browser journeys (marked `browser`) drive Debian's Chromium through Playwright; without
# either they are skipped with the reason, and the run ends with a line that says so.
CHROMIUM = os.environ.get("ISMS_TEST_CHROMIUM", "/usr/bin/chromium")


def browser_missing() -> str | None:
    """Say why the browser journeys cannot run here, or None when they can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed"
    return None


@pytest.hookimpl(trylast=True)  # after `-m` has deselected what will not run
def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if "browser" in item.keywords]
    reason = browser_missing() if browser_items else None
    if reason and os.environ.get("ISMS_TEST_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"the browser journeys must run here (CI), but {reason}")
    if reason:
        skip = pytest.mark.skip(reason=BROWSER_SKIP + reason)
        for item in browser_items:
            item.add_marker(skip)


BROWSER_SKIP = "browser journeys skipped: "


def pytest_terminal_summary(terminalreporter, config):
    # Counted from the skip reports, which reach the main process from parallel workers too.
    reasons = [report.longrepr[2].split(BROWSER_SKIP, 1)[1]
               for report in terminalreporter.stats.get("skipped", [])
               if isinstance(report.longrepr, tuple) and BROWSER_SKIP in report.longrepr[2]]
    if reasons:
        terminalreporter.write_sep("!", f"{len(reasons)} BROWSER JOURNEYS SKIPPED: {reasons[0]}",
                                   yellow=True, bold=True)
