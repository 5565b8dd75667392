"""Uploads against the real server: memory stays flat, failures leave nothing behind."""

import hashlib
import subprocess
import time

import pytest

from tests.conftest import free_port
from tests.live_server import (
    live_server,
    multipart_parts,
    open_upload,
    peak_rss_during,
    send_upload,
)

pytestmark = pytest.mark.slow
MIB = 1024 * 1024


def _assert_clean_after_sweep(server) -> None:
    assert server.query("SELECT COUNT(*) FROM evidence_items") == [(0,)]
    assert server.query("SELECT COUNT(*) FROM evidence_versions") == [(0,)]
    server.isms("evidence", "sweep", "--older-than", "0")
    assert server.files_under("evidence") == []


def test_a_200_mib_upload_streams_with_flat_memory_and_the_right_hash(tmp_path):
    source = tmp_path / "export.bin"
    digest = hashlib.sha256()
    with source.open("wb") as handle:
        for n in range(200):
            block = hashlib.sha256(str(n).encode()).digest() * (MIB // 32)
            digest.update(block)
            handle.write(block)
    expected = subprocess.run(["sha256sum", str(source)], capture_output=True, text=True,
                              check=True).stdout.split()[0]
    assert expected == digest.hexdigest()
    with live_server(tmp_path, ISMS_MAX_UPLOAD_MB="256") as server:
        session = server.login()
        # Warm up: one small upload loads every code path before measuring.
        head, tail, boundary = multipart_parts(session, server, "warm.txt")
        conn = open_upload(server, session, head, tail, boundary, 4)
        conn.send(b"warm" + tail)
        warm = conn.getresponse()
        assert warm.status == 302 and "/evidence/" in warm.getheader("Location")
        head, tail, boundary = multipart_parts(session, server, "export.bin")
        result = {}

        def upload():
            conn = open_upload(server, session, head, tail, boundary, source.stat().st_size)
            with source.open("rb") as handle:
                while chunk := handle.read(MIB):
                    conn.send(chunk)
            conn.send(tail)
            response = conn.getresponse()
            result["status"], result["location"] = response.status, response.getheader("Location")

        baseline, peak = peak_rss_during(server.process.pid, upload)
        assert result["status"] == 302 and "/evidence/" in result["location"]
        assert peak - baseline < 32 * MIB, f"RSS grew by {(peak - baseline) / MIB:.1f} MiB"
        stored = server.query(
            "SELECT sha256, size FROM evidence_versions WHERE file_name = 'export.bin'")
        assert stored == [(expected, 200 * MIB)]
        verify = server.isms("evidence", "verify")
        assert verify.returncode == 0, verify.stderr


def test_a_client_hanging_up_half_way_leaves_no_row_and_no_file(tmp_path):
    with live_server(tmp_path) as server:
        session = server.login()
        head, tail, boundary = multipart_parts(session, server, "half.bin")
        conn = open_upload(server, session, head, tail, boundary, 10 * MIB)
        conn.send(b"x" * 3 * MIB)
        conn.sock.close()  # the client goes away with 7 MiB still to send
        time.sleep(1)
        assert server.process.poll() is None
        _assert_clean_after_sweep(server)


def test_an_upload_over_the_limit_gets_413_and_leaves_nothing(tmp_path):
    with live_server(tmp_path, ISMS_MAX_UPLOAD_MB="5") as server:
        response = send_upload(server, server.login(), "big.bin", 8)
        assert response.status == 413
        assert "larger than this tracker accepts" in response.read().decode()
        _assert_clean_after_sweep(server)


def test_a_storage_failure_refuses_the_upload_and_keeps_nothing(tmp_path):
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = {"ISMS_STORAGE": "s3", "ISMS_S3_BUCKET": "evidence",
                "ISMS_S3_ENDPOINT_URL": nowhere, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_MAX_ATTEMPTS": "1"}
    with live_server(tmp_path, **settings) as server:
        session = server.login()
        head, tail, boundary = multipart_parts(session, server, "policy.pdf")
        conn = open_upload(server, session, head, tail, boundary, 9)
        conn.send(b"%PDF-1.7" + b"\n" + tail)
        response = conn.getresponse()
        assert response.status == 503
        assert "Nothing was saved: object storage could not" in response.read().decode()
        assert server.query("SELECT COUNT(*) FROM evidence_items") == [(0,)]
        swept = server.isms("evidence", "sweep", "--older-than", "0")
        assert "Blobs were not swept" in swept.stderr  # the store is away; spools still go
        assert server.files_under("evidence") == []
