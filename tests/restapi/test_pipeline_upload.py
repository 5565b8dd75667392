"""A pipeline uploads evidence with curl and a token, against the real `isms run` server."""

import hashlib
import json
import subprocess

import pytest

from tests.live_server import LEAD_EMAIL, live_server, peak_rss_during

pytestmark = pytest.mark.slow
MIB = 1024 * 1024


def _curl(*args: str) -> tuple[int, dict]:
    done = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", *args],
                          capture_output=True, text=True, timeout=600, check=True)
    body, _, status = done.stdout.rpartition("\n")
    return int(status), json.loads(body) if body.strip() else {}


def test_curl_uploads_200_mib_with_flat_memory_a_matching_hash_and_current_evidence(tmp_path):
    report = tmp_path / "report.pdf"
    with report.open("wb") as handle:
        for n in range(200):
            handle.write(hashlib.sha256(str(n).encode()).digest() * (MIB // 32))
    expected = subprocess.run(["sha256sum", str(report)], capture_output=True, text=True,
                              check=True).stdout.split()[0]
    with live_server(tmp_path, ISMS_MAX_UPLOAD_MB="256") as server:
        made = server.isms("token", "create", LEAD_EMAIL, "--name", "ci", "--scope", "write")
        assert made.returncode == 0, made.stderr
        auth = f"Authorization: Bearer {made.stdout.split()[0]}"
        status, item = _curl("-H", auth, "-F", "title=Nightly backup report", "-F", "kind=file",
                             "-F", "controls=A.12.3.1", "-F", "file=@/dev/null;filename=x.pdf",
                             f"{server.base}/api/v1/evidence")
        assert status == 422 and item["errors"] == {"file": ["The file is empty."]}
        first = tmp_path / "first.pdf"
        first.write_bytes(b"%PDF-1.7 yesterday")
        status, item = _curl("-H", auth, "-F", "title=Nightly backup report", "-F",
                             "kind=file", "-F", f"file=@{first}", "-F", "valid_until=2000-01-31",
                             "-F", "collected_on=2000-01-01", "-F", "controls=A.12.3.1",
                             f"{server.base}/api/v1/evidence")
        assert status == 201, item
        status, control = _curl("-H", auth, f"{server.base}/api/v1/controls/A.12.3.1")
        assert control["evidence_status"] == "expired"
        result = {}

        def upload():
            result["answer"] = _curl(
                "-H", auth, "-F", f"file=@{report}", "-F", "valid_until=2999-12-31",
                f"{server.base}/api/v1/evidence/{item['id']}/versions")

        baseline, peak = peak_rss_during(server.process.pid, upload)
        status, body = result["answer"]
        assert status == 201, body
        assert peak - baseline < 32 * MIB, f"RSS grew by {(peak - baseline) / MIB:.1f} MiB"
        assert body["latest"]["sha256"] == expected and body["latest"]["size"] == 200 * MIB
        assert server.query("SELECT sha256 FROM evidence_versions WHERE number = 2") == [
            (expected,)]
        status, control = _curl("-H", auth, f"{server.base}/api/v1/controls/A.12.3.1")
        assert control["evidence_status"] == "current"
        verify = server.isms("evidence", "verify")
        assert verify.returncode == 0, verify.stderr
