"""Exactly one scheduler: real `isms scheduler` processes, a lease, SIGKILL and a restart."""

import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import Mailbox, free_port
from tests.live_server import ISMS

pytestmark = pytest.mark.slow
LEASE_SECONDS = 3


def _wait_until(condition, seconds: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


class Setup:
    """A demo instance whose digest falls due a few seconds from now, and its mailbox."""

    def __init__(self, tmp_path: Path, delay: float = 0, lead_seconds: int = 6):
        self.mailbox = Mailbox(delay)
        self.smtp = Controller(self.mailbox, hostname="127.0.0.1", port=free_port())
        self.smtp.start()
        self.instance = tmp_path / "instance"
        self.digest_at = datetime.now(ZoneInfo("Europe/Brussels")) + timedelta(
            seconds=lead_seconds)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ISMS_")}
        self.env.update(
            ISMS_INSTANCE_PATH=str(self.instance), ISMS_SECRET_KEY="scheduler-test",
            ISMS_PASSWORD_HASH="pbkdf2:sha256:1000", ISMS_SMTP_HOST="127.0.0.1",
            ISMS_SMTP_PORT=str(self.smtp.port), ISMS_SMTP_FROM="isms@cloudar.example",
            ISMS_DIGEST_TIME=self.digest_at.strftime("%H:%M:%S"),
            ISMS_SCHEDULER_LEASE_SECONDS=str(LEASE_SECONDS))
        for command in (["init"], ["demo"]):
            done = subprocess.run([ISMS, *command], env=self.env, capture_output=True,
                                  text=True, timeout=120)
            assert done.returncode == 0, done.stderr
        self.processes: list[subprocess.Popen] = []

    def start_scheduler(self) -> subprocess.Popen:
        process = subprocess.Popen([ISMS, "scheduler"], env=self.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(process)
        return process

    def expected_recipients(self) -> int:
        """People the digest was for: one claim per person and day."""
        with sqlite3.connect(self.instance / "isms.db") as conn:
            return conn.execute("SELECT COUNT(*) FROM digest_claims").fetchone()[0]

    def lease_holder_pid(self) -> int | None:
        with sqlite3.connect(self.instance / "isms.db") as conn:
            row = conn.execute("SELECT holder FROM scheduler_leases").fetchone()
        return int(row[0].split(":")[1]) if row else None

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.smtp.stop()

    def seconds_until_digest(self) -> float:
        return (self.digest_at - datetime.now(ZoneInfo("Europe/Brussels"))).total_seconds()


@pytest.fixture
def setup(tmp_path):
    made = []

    def make(**kwargs) -> Setup:
        made.append(Setup(tmp_path, **kwargs))
        return made[-1]

    yield make
    for item in made:
        item.close()


def _once_each(mailbox: Mailbox) -> bool:
    counts = Counter(mailbox.recipients())
    return bool(counts) and set(counts.values()) == {1}


def test_the_real_scheduler_fires_the_digest_once_at_the_digest_time(setup):
    env = setup()
    env.start_scheduler()
    assert env.mailbox.messages == []  # nothing before the digest time
    assert _wait_until(lambda: env.mailbox.messages, env.seconds_until_digest() + 15)
    time.sleep(4)  # any second firing would show by now
    assert _once_each(env.mailbox)
    assert len(env.mailbox.messages) == env.expected_recipients() >= 3


def test_two_schedulers_send_each_digest_once_and_hand_over_when_one_dies(setup):
    env = setup()
    first, second = env.start_scheduler(), env.start_scheduler()
    assert _wait_until(lambda: env.lease_holder_pid() in {first.pid, second.pid}, 10)
    assert _wait_until(lambda: env.mailbox.messages, env.seconds_until_digest() + 15)
    time.sleep(4)
    assert _once_each(env.mailbox)
    holder = env.lease_holder_pid()
    survivor = second if holder == first.pid else first
    os.kill(holder, signal.SIGKILL)
    killed_at = time.monotonic()
    assert _wait_until(lambda: env.lease_holder_pid() == survivor.pid, LEASE_SECONDS + 5)
    assert time.monotonic() - killed_at <= LEASE_SECONDS + 2  # lease time plus one beat
    time.sleep(2)
    assert _once_each(env.mailbox)  # the new holder's catch-up sends nothing twice


def test_a_scheduler_killed_during_the_digest_resends_at_most_the_message_in_flight(setup):
    env = setup(delay=1.5)
    process = env.start_scheduler()
    assert _wait_until(lambda: len(env.mailbox.messages) >= 2,
                       env.seconds_until_digest() + 20, step=0.02)
    process.send_signal(signal.SIGKILL)  # the second message is in flight
    process.wait(timeout=5)
    time.sleep(LEASE_SECONDS + 1)  # the dead holder's lease runs out
    env.start_scheduler()
    expected = env.expected_recipients()
    assert _wait_until(lambda: len(set(env.mailbox.recipients())) == expected, 30)
    time.sleep(2)
    counts = Counter(env.mailbox.recipients())
    repeats = {to: n for to, n in counts.items() if n > 1}
    assert sum(n - 1 for n in repeats.values()) <= 1
    for to in repeats:
        ids = {m["Message-ID"] for m in env.mailbox.messages if m["To"] == to}
        assert len(ids) == 1
