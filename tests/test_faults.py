"""Faults against the real server: a killed process, a lost database, a full disk, bad input.

Each test does the fault for real to an `isms run` subprocess and then checks that nothing
half-written is left: no partial rows, no files after the sweep, and `isms evidence verify`
and `isms audit verify` pass.
"""

import contextlib
import http.client
import re
import resource
import signal
import subprocess
import threading
import time

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.live_server import ISMS, live_server, multipart_parts, open_upload, send_upload
from tests.soa_helpers import write_ready_workbook
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow
MIB = 1024 * 1024
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "second person password"
DECISION = {"applicability": "applicable", "reasons": ["risk"], "responsibility": "company",
            "implementation_status": "partial", "review_cadence": "quarterly"}


def wait_for(condition, timeout: float = 30, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return result


def csrf(session: requests.Session, server, path: str) -> str:
    page = session.get(server.base + path).text
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def post(session, server, path: str, data: dict, **kwargs) -> requests.Response:
    return session.post(server.base + path, data={**data, "csrf_token": csrf(
        session, server, "/")}, allow_redirects=False, **kwargs)


def count(server, table: str) -> int:
    return server.query(f"SELECT COUNT(*) FROM {table}")[0][0]  # noqa: S608 (fixed names)


def kill_when_paused(server, start_request) -> None:
    """Start a request in the background; SIGKILL the server at its pause point."""
    marker = server.instance / "paused"
    worker = threading.Thread(target=start_request, daemon=True)
    worker.start()
    wait_for(marker.exists, what="the server to reach its pause point")
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)
    worker.join(timeout=10)
    marker.unlink()


def assert_consistent_after_crash(server) -> None:
    swept = server.isms("evidence", "sweep", "--older-than", "0")
    assert swept.returncode == 0, swept.stderr
    for command in (("evidence", "verify"), ("audit", "verify")):
        done = server.isms(*command)
        assert done.returncode == 0, done.stdout + done.stderr


def _ignore_errors(call):
    def run():
        with contextlib.suppress(requests.RequestException):  # the server is killed under it
            call()
    return run


def test_sigkill_during_an_upload_leaves_no_row_and_no_file(tmp_path):
    with live_server(tmp_path) as server:
        session = server.login()
        events = count(server, "audit_events")
        head, tail, boundary = multipart_parts(session, server, "half.bin")
        conn = open_upload(server, session, head, tail, boundary, 32 * MIB)
        for _ in range(8):
            conn.send(b"k" * MIB)
        spools = server.instance / "evidence" / ".tmp"
        wait_for(lambda: any(p.stat().st_size >= 4 * MIB for p in spools.glob("upload-*")),
                 what="the upload to be half spooled")
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        conn.close()
        assert server.files_under("evidence")  # the crash left the spool behind
        assert (count(server, "evidence_items"), count(server, "evidence_versions")) == (0, 0)
        assert count(server, "audit_events") == events
        assert_consistent_after_crash(server)
        assert server.files_under("evidence") == []


def test_sigkill_during_an_soa_approval_leaves_it_submitted(tmp_path):
    with live_server(tmp_path, ISMS_TEST_PAUSE_AT="soa.decide") as server:
        done = server.isms("user", "create", ADMIN_EMAIL, "--role", "admin", "--password-stdin",
                           stdin=ADMIN_PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
        lead = server.login()
        assert post(lead, server, "/controls/A.9.1.1/edit", DECISION).status_code == 302
        ready = server.isms("soa", "import", str(write_ready_workbook(tmp_path / "ready.xlsx")))
        assert ready.returncode == 0, ready.stderr
        assert post(lead, server, "/soa/submit",
                    {"change_summary": "First issue"}).status_code == 302
        assert server.query("SELECT count(*) FROM soa_versions") == [(1,)]
        admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        events = count(server, "audit_events")
        token = csrf(admin, server, "/soa")
        kill_when_paused(server, _ignore_errors(lambda: admin.post(
            server.base + "/soa/versions/1/approve", timeout=60,
            data={"csrf_token": token, "approver_title": "CISO"})))
        assert server.query("SELECT status, workbook, sha256 FROM soa_versions") == [
            ("submitted", None, None)]
        assert count(server, "audit_anchors") == 0
        assert count(server, "audit_events") == events
        assert_consistent_after_crash(server)
        assert server.files_under("evidence") == []


def test_sigkill_during_a_review_save_leaves_no_review(tmp_path):
    with live_server(tmp_path, ISMS_TEST_PAUSE_AT="controls.new_review") as server:
        lead = server.login()
        assert post(lead, server, "/controls/A.9.1.1/edit", DECISION).status_code == 302
        events = count(server, "audit_events")
        lead_id = server.query("SELECT id FROM users")[0][0]
        token = csrf(lead, server, "/controls/A.9.1.1/reviews/new")
        form = {"csrf_token": token, "reviewed_on": time.strftime("%Y-%m-%d"),
                "outcome": "needs_improvement", "notes": "Walked through the access list.",
                "follow_ups-0-title": "Remove stale users",
                "follow_ups-0-owner_id": str(lead_id),
                "follow_ups-0-due_on": time.strftime("%Y-12-31")}
        kill_when_paused(server, _ignore_errors(lambda: lead.post(
            server.base + "/controls/A.9.1.1/reviews/new", data=form, timeout=60)))
        assert (count(server, "reviews"), count(server, "follow_ups")) == (0, 0)
        assert count(server, "review_evidence") == 0
        assert count(server, "audit_events") == events
        assert_consistent_after_crash(server)
        assert server.files_under("evidence") == []


def test_the_database_cut_mid_request_gives_503_and_the_next_request_works(
        tmp_path, scratch_postgres_url):
    real = make_url(scratch_postgres_url)
    with TcpProxy(real.host, real.port or 5432) as proxy:
        through = real.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False)
        settings = {"ISMS_DATABASE_URL": through, "ISMS_TEST_PAUSE_AT": "controls.edit"}
        with live_server(tmp_path, **settings) as server:
            lead = server.login()
            marker = server.instance / "paused"
            token = csrf(lead, server, "/controls/A.9.1.1/edit")
            answer = {}

            def edit():
                answer["response"] = lead.post(server.base + "/controls/A.9.1.1/edit",
                                               data={**DECISION, "csrf_token": token},
                                               allow_redirects=False, timeout=60)

            worker = threading.Thread(target=edit)
            worker.start()
            wait_for(marker.exists, what="the edit to reach its commit")
            proxy.cut()  # the database goes away with the transaction open
            marker.unlink()
            worker.join(timeout=60)
            response = answer["response"]
            assert response.status_code == 503
            assert "The database is not answering" in response.text
            assert requests.get(server.base + "/healthz", timeout=30).status_code == 503

            proxy.restore()
            assert requests.get(server.base + "/healthz", timeout=30).status_code == 200
            page = lead.get(server.base + "/controls/A.9.1.1", timeout=30)
            assert page.status_code == 200
            calendar = post(lead, server, "/my/calendar", {})
            assert calendar.status_code == 302  # writes work again

    engine = create_engine(scratch_postgres_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM control_states "
                                 "WHERE applicability IS NOT NULL")).scalar() == 0
    engine.dispose()
    env = {**server.env, "ISMS_DATABASE_URL": scratch_postgres_url}
    for command in (("evidence", "verify"), ("audit", "verify")):
        done = subprocess.run([ISMS, *command], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr


def _limit_file_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * MIB, 16 * MIB))


def test_a_full_disk_refuses_the_upload_cleanly(tmp_path):
    with live_server(tmp_path, preexec_fn=_limit_file_size) as server:
        session = server.login()
        response = send_upload(server, session, "too-big-for-the-disk.bin", 24)
        assert response.status == 507
        assert "no room left to store this upload" in response.read().decode()
        assert (count(server, "evidence_items"), count(server, "evidence_versions")) == (0, 0)
        assert server.files_under("evidence") == []  # the spool went with the request
        # The server is still there, and a file that fits goes in.
        head, tail, boundary = multipart_parts(session, server, "small.txt")
        conn = open_upload(server, session, head, tail, boundary, 5)
        conn.send(b"fits!" + tail)
        assert conn.getresponse().status == 302
        assert count(server, "evidence_versions") == 1
        assert_consistent_after_crash(server)


MALFORMED = {
    "no boundary": ("multipart/form-data", b"--x\r\n\r\n"),
    "wrong boundary": ("multipart/form-data; boundary=abc", b"--xyz\r\nhello\r\n--xyz--\r\n"),
    "no final boundary": ("multipart/form-data; boundary=b",
                          b'--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nhi'),
    "part without a disposition": ("multipart/form-data; boundary=b",
                                   b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n"),
    "binary garbage": ("multipart/form-data; boundary=b", bytes(range(256)) * 8),
    "a part header line of 100 KiB": (
        "multipart/form-data; boundary=b",
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="' + b"a" * 100_000
        + b'"\r\n\r\nx\r\n--b--\r\n'),
    "an empty body": ("multipart/form-data; boundary=b", b""),
    "a boundary of 300 characters": ("multipart/form-data; boundary=" + "q" * 300,
                                     b"--" + b"q" * 300 + b"--\r\n"),
}


def test_malformed_multipart_bodies_and_oversize_headers_get_a_4xx(tmp_path):
    with live_server(tmp_path) as server:
        session = server.login()
        cookies = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        statuses = {}
        for name, (content_type, body) in MALFORMED.items():
            response = session.post(server.base + "/evidence/new", data=body, timeout=30,
                                    headers={"Content-Type": content_type})
            statuses[name] = response.status_code
        for name, headers in {
            "a header of 100 KiB": {"X-Big": "h" * 100_000},
            "300 headers": {f"X-Many-{i}": "1" for i in range(300)},
            "a cookie of 100 KiB": {"Cookie": cookies + "; big=" + "c" * 100_000},
        }.items():
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            conn.putrequest("POST", "/evidence/new")
            for key, value in headers.items():
                conn.putheader(key, value)
            conn.putheader("Content-Length", "0")
            conn.endheaders()
            statuses[name] = conn.getresponse().status
            conn.close()
        assert all(400 <= status < 500 for status in statuses.values()), statuses
        assert server.process.poll() is None
        assert count(server, "evidence_items") == 0
        assert requests.get(server.base + "/healthz", timeout=10).ok
