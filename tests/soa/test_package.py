"""The offline evidence package: scope, each blob once, checksums that sha256sum accepts."""

import csv
import hashlib
import io
import subprocess
import sys
import zipfile

import pytest

from isms.auth.models import Role
from tests.evidence_helpers import upload_form
from tests.live_server import live_server, peak_rss_during
from tests.soa_helpers import decide_every_control


def _unzip(data: bytes, folder) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    archive.extractall(folder)
    return archive


def test_the_package_holds_the_scope_each_blob_once_and_checksums(client, make_user, login,
                                                                  tmp_path):
    login(make_user(Role.LEAD))
    same = (b"shared bytes", "shared.txt")
    client.post("/evidence/new", data=upload_form(controls="A.9.1.1 A.9.1.2", file=same),
                content_type="multipart/form-data")
    client.post("/evidence/new", data=upload_form(title="Copy", controls="A.9.2.1", file=same),
                content_type="multipart/form-data")
    client.post("/evidence/new", data=upload_form(title="Ops", controls="A.12.1.1",
                                                  file=(b"ops", "ops.txt")),
                content_type="multipart/form-data")
    client.post("/logout")
    login(make_user(Role.AUDITOR, scope="A.9"))
    response = client.get("/audit-package.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = _unzip(response.data, tmp_path)
    names = archive.namelist()
    blobs = [n for n in names if n.startswith("files/")]
    assert len(blobs) == 1  # one blob, three links, two items
    assert {"manifest.csv", "SHA256SUMS", "index.html", "audit-chain-head.txt"} <= set(names)
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert sorted(r["control"] for r in rows) == ["A.9.1.1", "A.9.1.2", "A.9.2.1"]
    assert {r["sha256"] for r in rows} == {hashlib.sha256(b"shared bytes").hexdigest()}
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "A.12.1.1" not in archive.read("index.html").decode()


def test_the_cli_package_includes_the_issued_soa(app, runner, client, make_user, login,
                                                 tmp_path):
    lead, admin = make_user(Role.LEAD), make_user(Role.ADMIN)
    decide_every_control(app)
    login(lead)
    client.post("/soa/submit", data={"change_summary": "Issue 1"})
    client.post("/logout")
    login(admin)
    client.post("/soa/versions/1/approve", data={"approver_title": "CEO"})
    out = tmp_path / "package.zip"
    result = runner.invoke(args=["evidence", "package", "--out", str(out),
                                 "--controls", "A.5.1.1,A.5.1.2"])
    assert result.exit_code == 0, result.output
    archive = _unzip(out.read_bytes(), tmp_path / "x")
    assert "soa/SoA-v1.xlsx" in archive.namelist()
    head = archive.read("audit-chain-head.txt").decode()
    assert head.startswith("seq ")
    refused = runner.invoke(args=["evidence", "package", "--out", str(out), "--controls",
                                  "A.99"])
    assert refused.exit_code == 1 and "Not 2013 controls: A.99" in refused.output
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


@pytest.mark.slow
def test_a_package_of_1000_versions_streams_with_flat_memory(tmp_path):
    with live_server(tmp_path, ISMS_MAX_UPLOAD_MB="5") as server:
        # 1,000 versions (500 items with two each) of 64 KiB, over all 114 controls.
        script = (
            "import io\nimport os\n"
            "from datetime import date\n"
            "from isms import create_app\n"
            "from isms.db import db\n"
            "from isms.catalog import get_edition\n"
            "from evidence.services import Content, create_item, add_version\n"
            "from evidence.models import EvidenceKind\n"
            "app = create_app()\n"
            "with app.app_context():\n"
            "    ids = [i.control_id for i in get_edition('2013').items]\n"
            "    for n in range(500):\n"
            "        refs = [('2013', ids[n % 114]), ('2013', ids[(n * 7) % 114])]\n"
            "        item = create_item(title=f'Export {n}', kind=EvidenceKind.FILE,\n"
            "            owner_id=1, content=Content(stream=io.BytesIO(os.urandom(65536)),\n"
            "            file_name=f'e{n}.bin'), collected_on=date.today(), valid_until=None,\n"
            "            today=date.today(), actor_id=1, refs=list(dict.fromkeys(refs)),\n"
            "            audit_actor='system:test')\n"
            "        add_version(item, Content(stream=io.BytesIO(os.urandom(65536)),\n"
            "            file_name=f'e{n}b.bin'), collected_on=date.today(), valid_until=None,\n"
            "            today=date.today(), actor_id=1, audit_actor='system:test')\n"
            "    db.session.commit()\n")
        done = subprocess.run([sys.executable, "-c", script], env=server.env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        session = server.login()
        session.get(server.base + "/controls")  # warm up
        target = tmp_path / "package.zip"

        def download():
            with session.get(server.base + "/audit-package.zip", stream=True) as response:
                assert response.status_code == 200
                with target.open("wb") as out:
                    for chunk in response.iter_content(1024 * 1024):
                        out.write(chunk)

        baseline, peak = peak_rss_during(server.process.pid, download)
        assert peak - baseline < 32 * 1024 * 1024, f"grew {(peak - baseline) >> 20} MiB"
        folder = tmp_path / "unzipped"
        archive = _unzip(target.read_bytes(), folder)
        blobs = [n for n in archive.namelist() if n.startswith("files/")]
        assert len(blobs) == 1000
        check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=folder,
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout[-2000:]
