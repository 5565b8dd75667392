"""Run the real `isms` server in a subprocess and talk to it over loopback HTTP."""

import http.client
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import requests

from tests.conftest import free_port

ISMS = str(Path(sys.executable).with_name("isms"))
LEAD_EMAIL, LEAD_PASSWORD = "lead@example.com", "live server password"


@dataclass
class LiveServer:
    base: str
    port: int
    process: subprocess.Popen
    env: dict
    instance: Path

    def isms(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """Run an `isms` command against this server's instance."""
        return subprocess.run([ISMS, *args], env=self.env, input=stdin, capture_output=True,
                              text=True, timeout=120)

    def query(self, sql: str) -> list[tuple]:
        """Read the server's SQLite database directly."""
        with sqlite3.connect(self.instance / "isms.db") as conn:
            return conn.execute(sql).fetchall()

    def login(self, email: str = LEAD_EMAIL, password: str = LEAD_PASSWORD) -> requests.Session:
        session = requests.Session()
        page = session.get(self.base + "/login").text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        response = session.post(self.base + "/login", allow_redirects=False, data={
            "csrf_token": token, "email": email, "password": password})
        assert response.status_code == 302
        return session

    def files_under(self, folder: str) -> list[str]:
        root = self.instance / folder
        return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []


# The default preparation: `isms init`, then a lead created from the command line.
WITH_LEAD = (
    (["init"], None),
    (["user", "create", LEAD_EMAIL, "--role", "lead", "--password-stdin"], LEAD_PASSWORD),
)


@contextmanager
def live_server(tmp_path: Path, setup=WITH_LEAD, preexec_fn=None, **settings: str):
    """Prepare an instance with `setup` ((isms arguments, stdin) pairs), serve it with
    `isms run`, stop it afterwards.

    preexec_fn runs in the server process before it starts (e.g. to set a resource limit).
    """
    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISMS_")}
    env.update(ISMS_INSTANCE_PATH=str(instance), ISMS_SECRET_KEY="live-test-secret",
               ISMS_PASSWORD_HASH="pbkdf2:sha256:1000", **settings)
    for command, stdin in setup:
        done = subprocess.run([ISMS, *command], env=env,
                              input=None if stdin is None else stdin + "\n",
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    port = free_port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 (closed after the server)
    process = subprocess.Popen([ISMS, "run", "--port", str(port)], env=env,
                               stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
    server = LiveServer(f"http://127.0.0.1:{port}", port, process, env, instance)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(server.base + "/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def multipart_parts(session: requests.Session, server: LiveServer, file_name: str,
                    controls: str = "A.9.1.1") -> tuple[bytes, bytes, str]:
    """Return the bytes before and after the file content, and the boundary."""
    page = session.get(server.base + "/evidence/new").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    boundary = f"isms-{uuid.uuid4().hex}"
    fields = {"csrf_token": token, "kind": "file", "title": "Large export",
              "controls": controls, "collected_on": time.strftime("%Y-%m-%d")}
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items())
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
             f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n').encode()
    return head, f"\r\n--{boundary}--\r\n".encode(), boundary


def open_upload(server: LiveServer, session: requests.Session, head: bytes, tail: bytes,
                boundary: str, body_size: int) -> http.client.HTTPConnection:
    """Start a multipart POST to /evidence/new with the headers and the part before the file."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    conn.putrequest("POST", "/evidence/new")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + body_size + len(tail)))
    conn.putheader("Cookie", "; ".join(f"{c.name}={c.value}" for c in session.cookies))
    # The session is bound to the client's address and user agent: send the same one.
    conn.putheader("User-Agent", session.headers["User-Agent"])
    conn.endheaders()
    conn.send(head)
    return conn


def send_upload(server: LiveServer, session: requests.Session, file_name: str,
                mib: int) -> http.client.HTTPResponse:
    """Upload `mib` MiB to /evidence/new; the server may answer before it has read them all."""
    head, tail, boundary = multipart_parts(session, server, file_name)
    conn = open_upload(server, session, head, tail, boundary, mib * 1024 * 1024)
    try:
        for _ in range(mib):
            conn.send(b"u" * 1024 * 1024)
        conn.send(tail)
    except (BrokenPipeError, ConnectionResetError):
        pass  # it answered and closed early, as a refusal should
    return conn.getresponse()


def peak_rss_during(pid: int, work) -> tuple[int, int]:
    """Run `work` while sampling the process's RSS; return (baseline, peak) in bytes."""
    process = psutil.Process(pid)
    baseline, peak, done = process.memory_info().rss, 0, threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        work()
    finally:
        done.set()
        sampler.join()
    return baseline, peak
