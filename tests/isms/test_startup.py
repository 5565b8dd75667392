"""A web worker starts light: what it needs only later is imported on first use."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Imported by migrations, exports and feeds, never by serving the first page.
LATER = ("alembic", "flask_migrate", "icalendar", "openpyxl", "boto3")


def test_a_worker_imports_no_migration_export_or_feed_library(tmp_path):
    env = {**os.environ, "ISMS_INSTANCE_PATH": str(tmp_path / "instance"),
           "ISMS_SECRET_KEY": "startup-test-key"}
    env.pop("ISMS_DATABASE_URL", None)
    code = ("import sys, wsgi\n"
            f"print(' '.join(m for m in {LATER!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_the_db_commands_load_flask_migrate_when_used(app, runner):
    assert runner.invoke(args=["db", "current"]).exit_code == 0
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0  # already at the head
    result = runner.invoke(args=["db", "--help"])
    assert result.exit_code == 0 and "upgrade" in result.output and "downgrade" in result.output
    assert runner.invoke(args=["db", "current", "--no-such-option"]).exit_code == 2


def test_building_the_app_opens_no_connection_and_starts_no_thread(tmp_path):
    """gunicorn --preload builds the app in the master and forks the workers from it: nothing
    a worker must not share (a database connection, a thread) may exist by then."""
    import threading

    from isms.app import create_app
    from isms.db import db
    from tests.conftest import base_config

    threads = threading.active_count()
    app = create_app(base_config("sqlite:///" + str(tmp_path / "isms.db"),
                                 str(tmp_path / "instance")))
    with app.app_context():
        pool = db.engine.pool
        assert pool.checkedin() == 0 and pool.checkedout() == 0
    assert threading.active_count() == threads
