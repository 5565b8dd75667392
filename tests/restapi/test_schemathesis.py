"""schemathesis drives every operation of the live server with a write token: no 5xx, and
every answer (status, content type, headers, body) fits the OpenAPI description."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live_server import live_server

pytestmark = pytest.mark.slow
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# What "conformant" means here. The data-acceptance checks are left out on purpose: the
# API refuses schema-valid input that breaks the form's rules (422), as the pages do.
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_headers_conformance,response_schema_conformance")
DEMO = ((["init"], None), (["demo"], None))


def test_every_operation_answers_without_5xx_and_as_described(tmp_path):
    with live_server(tmp_path, setup=DEMO, ISMS_API_RATE_LIMIT="100000") as server:
        made = server.isms("token", "create", "lead@cloudar.example", "--name",
                           "schemathesis", "--scope", "write")
        assert made.returncode == 0, made.stderr
        run = subprocess.run(
            [SCHEMATHESIS, "run", f"{server.base}/api/v1/openapi.json",
             "--header", f"Authorization: Bearer {made.stdout.split()[0]}",
             "--checks", CHECKS, "--phases", "examples,fuzzing,stateful",
             "--max-examples", "12", "--seed", "27001", "--workers", "1",
             "--wait-for-schema", "30", "--no-color"],
            capture_output=True, text=True, timeout=600, cwd=tmp_path)
        report = run.stdout + run.stderr
        assert run.returncode == 0, report[-6000:]
        cases = int(re.search(r"(\d+) generated", report).group(1))
        assert cases <= 600, report[-2000:]  # bounded, for CI
        log = (tmp_path / "server.log").read_text()
        assert "Traceback" not in log, log[-4000:]
