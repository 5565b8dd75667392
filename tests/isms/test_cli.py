"""`isms init`, `isms user create`, `isms demo` and `isms run`."""

import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from sqlalchemy import func, select

from controls.models import ControlState
from isms import create_app
from isms.audit import verify_chain
from isms.auth.models import Role, User
from isms.auth.services import create_user
from isms.db import db
from isms.org import Organisation
from tests.conftest import base_config

ISMS = str(Path(sys.executable).with_name("isms"))


def test_init_keeps_the_edition_it_was_given_first(runner):
    result = runner.invoke(args=["init", "--edition", "2022"])
    assert result.exit_code == 1
    assert "already uses the 2013 edition" in result.output
    assert runner.invoke(args=["init", "--edition", "2013"]).exit_code == 0


def test_init_writes_a_private_secret_key_once_and_never_prints_it(migrated_url, tmp_path):
    config = {**base_config(migrated_url, str(tmp_path)), "ISMS_SECRET_KEY": ""}
    app = create_app(config)
    assert app.config["ISMS_SECRET_KEY_EPHEMERAL"]
    result = app.test_cli_runner().invoke(args=["init"])
    key_file = tmp_path / "secret_key"
    key = key_file.read_text()
    assert result.exit_code == 0 and len(key) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key not in result.output
    assert app.test_cli_runner().invoke(args=["init"]).exit_code == 0
    assert key_file.read_text() == key
    again = create_app(config)
    assert again.config["SECRET_KEY"] == key and not again.config["ISMS_SECRET_KEY_EPHEMERAL"]


def test_user_create_reads_the_password_from_stdin(app, runner):
    result = runner.invoke(args=["user", "create", "Ann@Example.com", "--role", "lead",
                                 "--name", "Ann", "--password-stdin"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert "a long enough password" not in result.output
    with app.app_context():
        user = db.session.scalars(select(User).filter_by(email="ann@example.com")).one()
        assert user.role is Role.LEAD and user.check_password("a long enough password")
        assert user.valid_from is None


def test_auditors_get_a_default_window_of_30_days(app, runner):
    result = runner.invoke(args=["user", "create", "aud@example.com", "--role", "auditor",
                                 "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(select(User).filter_by(email="aud@example.com")).one()
        assert user.valid_until - user.valid_from == timedelta(days=30)


@pytest.mark.parametrize("args,password,message", [
    (["--role", "owner"], "short\n", "at least 12 characters"),
    (["--role", "auditor", "--valid-from", "2026-05-10", "--valid-until", "2026-05-01"],
     "a long enough password\n", "ends before it starts"),
    (["--role", "wizard"], "a long enough password\n", "Invalid value for '--role'"),
])
def test_user_create_refuses_bad_input(app, runner, args, password, message):
    result = runner.invoke(args=["user", "create", "x@example.com", *args, "--password-stdin"],
                           input=password)
    assert result.exit_code != 0 and message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_user_create_refuses_a_duplicate_email(app, runner):
    for _ in range(2):
        result = runner.invoke(args=["user", "create", "dup@example.com", "--role", "owner",
                                     "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 1 and "already exists" in result.output


def test_demo_prints_logins_and_can_run_twice(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert re.search(r"lead\s+lead@cloudar.example\s+isms-demo-lead", first.output)
    with app.app_context():
        events_after_first = verify_chain().count
        user = db.session.scalars(select(User).filter_by(email="lead@cloudar.example")).one()
        user.set_password("changed by someone!")
        db.session.commit()
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 5
        user = db.session.scalars(select(User).filter_by(email="lead@cloudar.example")).one()
        assert user.check_password("isms-demo-lead")  # reset on every run
        assert verify_chain().count == events_after_first  # nothing else changed
        assert verify_chain().is_intact
        org = db.session.scalars(select(Organisation)).one()
        assert org.name == "Cloudar"
        states = db.session.scalars(select(ControlState).filter_by(edition="2013")).all()
    decided = [s for s in states if s.applicability is not None]
    assert len(decided) == 112
    assert {s.implementation_status.value for s in decided if s.implementation_status} == {
        "implemented", "partial", "planned", "not_started"}
    assert {s.responsibility.value for s in states} == {"company", "shared", "aws"}
    assert sum(s.applicability.value == "excluded" for s in decided) == 2
    assert all(s.owner_id for s in decided)


def test_demo_refuses_a_database_with_real_users(app, runner):
    with app.app_context():
        create_user("real@example.com", Role.LEAD, "a long enough password",
                    actor="system:test")
        db.session.commit()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1 and "real (non-demo) users" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310 (loopback test server)
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


@pytest.mark.slow
def test_init_demo_and_run_serve_a_dashboard_a_demo_user_can_sign_in_to(tmp_path):
    env = {**os.environ, "ISMS_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("ISMS_DATABASE_URL", None)
    for command in (["init"], ["init"], ["demo"]):
        done = subprocess.run([ISMS, *command], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
    assert "isms-demo-lead" in done.stdout
    port = _free_port()
    server = subprocess.Popen([ISMS, "run", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/healthz")
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        login_page = opener.open(base + "/login").read().decode()
        token = re.search(r'name="csrf-token" content="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "email": "lead@cloudar.example",
                                       "password": "isms-demo-lead"}).encode()
        dashboard = opener.open(base + "/login", data=form)
        html = dashboard.read().decode()
        assert dashboard.url == base + "/"
        assert "Cloudar" in html and "114 controls" in html and "to decide" in html
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_create_app_never_touches_the_database_or_starts_a_scheduler(tmp_path):
    threads_before = {t.ident for t in threading.enumerate()}
    app = create_app({"ISMS_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                      "ISMS_INSTANCE_PATH": str(tmp_path)})  # nothing listens on port 1
    assert app.name == "isms"
    assert {t.ident for t in threading.enumerate()} == threads_before
    assert "apscheduler.schedulers.background" not in sys.modules or not any(
        "APScheduler" in t.name for t in threading.enumerate())
