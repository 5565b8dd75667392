"""Two gunicorn workers see the same failed sign-ins, because the count lives in the database."""

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
EMAIL, PASSWORD = "owner@example.com", "gunicorn test password"


def _attempt(base: str, password: str) -> int:
    """One sign-in on a fresh connection (and so possibly another worker)."""
    with requests.Session() as session:
        page = session.get(base + "/login", timeout=10).text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        return session.post(base + "/login", allow_redirects=False, timeout=10, data={
            "csrf_token": token, "email": EMAIL, "password": password}).status_code


@pytest.mark.slow
def test_two_gunicorn_workers_share_the_failure_count(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISMS_")}
    # A slow hash keeps each worker busy long enough that paired requests split between them.
    env.update(ISMS_INSTANCE_PATH=str(tmp_path / "instance"), ISMS_SECRET_KEY="gunicorn-test",
               ISMS_PASSWORD_HASH="pbkdf2:sha256:300000")
    for command in (["init"], ["user", "create", EMAIL, "--role", "owner", "--password-stdin"]):
        done = subprocess.run([str(BIN / "isms"), *command], env=env, input=PASSWORD + "\n",
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    port, log = free_port(), tmp_path / "access.log"
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", str(log),
         "--access-logformat", "%(p)s %(m)s %(U)s %(s)s", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base)
        with ThreadPoolExecutor(max_workers=2) as pool:
            for _ in range(5):  # ten failures, two at a time
                codes = list(pool.map(lambda _: _attempt(base, "wrong password"), range(2)))
                assert codes == [200, 200]
        assert _attempt(base, "wrong password") == 429
        assert _attempt(base, PASSWORD) == 429
    finally:
        server.terminate()
        server.wait(timeout=30)
    posts = [line.split() for line in log.read_text().splitlines() if " POST /login " in line]
    assert [p[3] for p in posts] == ["200"] * 10 + ["429", "429"]
    workers = {p[0] for p in posts[:10]}
    assert len(workers) == 2, "all failures landed on one worker; the test proved nothing"


def _wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(base + "/healthz", timeout=5).ok:
                return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)
