"""The SoA as a certification document, on the Cloudar demo: the gate, justifications,
controls from other sources, the transition that never decides, the printed workbook."""

import getpass
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from controls.models import ControlState
from isms.audit import AuditEvent
from isms.auth.models import Role
from isms.db import db
from soa.models import SoaVersion
from tests.evidence_helpers import upload_form

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
REASONS = ("Legal/regulatory", "Contractual", "Business", "Risk treatment")


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return app


def _sign_in(client, email, password):
    client.post("/login", data={"email": email, "password": password})


def _soa(data: bytes) -> dict[str, dict]:
    sheet = load_workbook(io.BytesIO(data))["SoA"]
    header = [c.value for c in sheet[1]]
    return {r[0]: dict(zip(header, r, strict=True))
            for r in sheet.iter_rows(min_row=2, values_only=True)}


def _versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SoaVersion))


def test_the_demo_cannot_be_issued_until_its_two_open_controls_are_decided(demo, runner,
                                                                          client):
    result = runner.invoke(args=["soa", "check", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output) == {
        "ready": False, "undecided": ["A.18.1.5", "A.18.2.3"], "missing_reason": [],
        "missing_justification": [], "missing_status": []}
    _sign_in(client, "lead@cloudar.example", "isms-demo-lead")
    page = client.get("/soa").get_data(as_text=True)
    assert 'href="/controls/A.18.1.5/edit"' in page and "Not ready to issue" in page
    refused = client.post("/soa/submit", data={"change_summary": "First issue"},
                          follow_redirects=True).get_data(as_text=True)
    assert "cannot be issued yet" in refused and "A.18.2.3" in refused
    assert _versions(demo) == 0
    for control_id in ("A.18.1.5", "A.18.2.3"):
        response = client.post(f"/controls/{control_id}/edit", data={
            "applicability": "applicable", "reasons": ["legal"], "responsibility": "company",
            "implementation_status": "implemented", "review_cadence": "yearly",
            "justification": "Required by GDPR and customer contracts; treats R-005."})
        assert response.status_code == 302
    ready = runner.invoke(args=["soa", "check"])
    assert ready.exit_code == 0 and "ready to issue" in ready.output
    client.post("/soa/submit", data={"change_summary": "First issue"})
    assert _versions(demo) == 1
    client.post("/logout")
    _sign_in(client, "admin@cloudar.example", "isms-demo-admin")
    approval = client.get("/soa").get_data(as_text=True)
    assert "ready</span>" in approval and "first version to be issued" in approval
    issued = client.post("/soa/versions/1/approve", data={"approver_title": "CEO"},
                         follow_redirects=True).get_data(as_text=True)
    assert "Version 1 issued." in issued


def test_a_draft_saves_without_a_justification_but_the_gate_lists_it(app, client, login_as,
                                                                     runner):
    login_as(Role.LEAD)
    response = client.post("/controls/A.9.1.1/edit", data={
        "applicability": "excluded", "responsibility": "company", "review_cadence": "none"})
    assert response.status_code == 302
    result = runner.invoke(args=["soa", "check", "--json"])
    assert "A.9.1.1" in json.loads(result.output)["missing_justification"]


def test_every_applicable_row_of_the_demo_is_justified_with_a_reason(demo, client):
    _sign_in(client, "lead@cloudar.example", "isms-demo-lead")
    data = client.get("/soa/export.xlsx").data
    rows = _soa(data)
    summary = [r for r in load_workbook(io.BytesIO(data))["Summary"].iter_rows(
        values_only=True)]
    start = summary.index(("Clause", "Controls"))
    clauses = [r[0].split()[0] for r in summary[start + 1:start + 15]]
    assert clauses == [f"A.{n}" for n in range(5, 19)]  # numerically, A.10 after A.9
    applicable = [r for r in rows.values() if r["Applicable"] == "Yes"]
    assert len(applicable) == 110
    for row in applicable:
        assert row["Justification"] and row["Justification"].strip(), row["ID"]
        assert "Yes" in [row[c] for c in REASONS], row["ID"]
        assert all(row[c] in ("Yes", None) for c in REASONS)
    # Evidence on every row: current items with version and date, AWS attestations inherited.
    assert re.search(r"Access control policy \(v1, \d{4}-\d{2}-\d{2}\)",
                     rows["A.9.1.1"]["Evidence"])
    aws_row = next(r for r in rows.values() if r["Responsibility"] in ("AWS", "Shared"))
    assert "AWS ISO/IEC 27001 certificate (AWS Artifact)" in aws_row["Evidence"]


def test_the_iso27017_set_adds_seven_controls_after_annex_a(app, runner, client, login_as):
    result = runner.invoke(args=["controls", "add-set", "iso27017"])
    assert result.exit_code == 0 and "Added 7 controls" in result.output
    again = runner.invoke(args=["controls", "add-set", "iso27017"])
    assert again.exit_code == 0 and "already enabled" in again.output
    custom = runner.invoke(args=["controls", "add", "CUST-1", "--title", "Quarterly key "
                                 "rotation report", "--source", "Contract with customer X"])
    assert custom.exit_code == 0, custom.output
    clash = runner.invoke(args=["controls", "add", "A.5.1.1", "--title", "x", "--source", "y"])
    assert clash.exit_code == 1 and "looks like an Annex A id" in clash.output
    page_id = runner.invoke(args=["controls", "add", "sources", "--title", "x", "--source", "y"])
    assert page_id.exit_code == 1 and "taken by a page" in page_id.output
    login_as(Role.LEAD)
    rows = _soa(client.get("/soa/export.xlsx").data)
    assert len(rows) == 122 and list(rows)[114:] == [
        "CLD.6.3.1", "CLD.8.1.5", "CLD.9.5.1", "CLD.9.5.2", "CLD.12.1.5", "CLD.12.4.5",
        "CLD.13.1.4", "CUST-1"]
    assert rows["CLD.6.3.1"]["Source"] == "ISO/IEC 27017:2015"
    assert rows["CUST-1"]["Source"] == "Contract with customer X"
    listed = client.get("/controls?source=ISO/IEC 27017:2015").get_data(as_text=True)
    assert "7 controls" in listed and "CLD.13.1.4" in listed and "A.5.1.1" not in listed
    linked = client.post("/evidence/new", data=upload_form(controls="CLD.6.3.1"),
                         content_type="multipart/form-data")
    assert linked.status_code == 302
    evidence = _soa(client.get("/soa/export.xlsx").data)["CLD.6.3.1"]["Evidence"]
    assert evidence.startswith("Access control policy (v1, ")
    decided = client.post("/controls/CLD.6.3.1/edit", data={
        "applicability": "applicable", "reasons": ["contractual"], "responsibility": "shared",
        "implementation_status": "partial", "review_cadence": "yearly",
        "justification": "We run customer workloads on AWS under a shared model."})
    assert decided.status_code == 302
    result = runner.invoke(args=["transition", "--to", "2022"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        moved = db.session.scalars(select(ControlState).filter_by(
            edition="2022", control_id="CLD.6.3.1")).one()
        assert (moved.applicability.value, moved.justification) == (
            "applicable", "We run customer workloads on AWS under a shared model.")


def test_the_page_adds_a_set_in_one_step(app, client, login_as):
    login_as(Role.LEAD)
    assert "Shared roles and responsibilities" in client.get("/controls/sources").get_data(
        as_text=True)
    response = client.post("/controls/sources", data={"set": "iso27017"})
    assert response.status_code == 302
    rows = _soa(client.get("/soa/export.xlsx").data)
    assert len(rows) == 121
    bad = client.post("/controls/sources", data={"control_id": "A.9", "title": "t",
                                                 "source": "s"})
    assert bad.status_code == 422 and "looks like an Annex A id" in bad.get_data(as_text=True)


def test_the_demo_transition_leaves_merged_conflicts_to_the_lead(demo, runner, client):
    result = runner.invoke(args=["transition", "--to", "2022", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert set(plan) == {"merged", "conflicts", "new", "carried_evidence_links"}
    conflict = next(c for c in plan["conflicts"] if c["id"] == "A.7.2")
    assert conflict["sources"] == ["A.11.1.2", "A.11.1.6"]
    assert "applicability" in conflict["fields"]
    assert "A.5.7" in plan["new"] and plan["carried_evidence_links"] > 0
    _sign_in(client, "lead@cloudar.example", "isms-demo-lead")
    preview = client.get("/soa/transition").get_data(as_text=True)
    assert "<strong>A.7.2</strong> from A.11.1.2, A.11.1.6" in preview
    with demo.app_context():
        assert db.session.scalar(select(func.count()).select_from(ControlState).filter_by(
            edition="2022")) == 0  # the dry run changed nothing
    applied = runner.invoke(args=["transition", "--to", "2022"])
    assert applied.exit_code == 0, applied.output
    with demo.app_context():
        state = db.session.scalars(select(ControlState).filter_by(
            edition="2022", control_id="A.7.2")).one()
        assert state.applicability is None
        assert "deliveries" not in state.justification
    page = client.get("/controls/A.7.2").get_data(as_text=True)
    assert "from A.11.1.2:</strong> Applicable" in page
    assert "from A.11.1.6:</strong> Excluded" in page and "excluded because" in page


def test_the_2013_dashboard_says_certificates_ended(app, client, login_as):
    login_as(Role.LEAD)
    page = client.get("/").get_data(as_text=True)
    assert "certificates ended on 2025-10-31" in page and 'href="/soa/transition"' in page


def test_an_auditor_sees_links_only_to_controls_in_scope(demo, client):
    _sign_in(client, "auditor@certifier.example", "isms-demo-auditor")
    page = client.get("/soa").get_data(as_text=True)
    assert 'href="/controls/A.9.1.1"' in page  # A.9 is in the audit's sample
    assert 'href="/controls/A.11.1.1"' not in page and ">A.11.1.1<" in page


def test_the_cli_and_the_web_package_write_the_same_files_and_one_event_each(
        demo, runner, client, tmp_path):
    out = tmp_path / "cli.zip"
    result = runner.invoke(args=["evidence", "package", "--out", str(out)])
    assert result.exit_code == 0, result.output
    _sign_in(client, "lead@cloudar.example", "isms-demo-lead")
    web = client.get("/audit-package.zip").data
    cli_names = sorted(zipfile.ZipFile(out).namelist())
    web_names = sorted(zipfile.ZipFile(io.BytesIO(web)).namelist())
    assert cli_names == web_names and any(n.startswith("files/") for n in cli_names)
    with demo.app_context():
        actors = db.session.scalars(select(AuditEvent.actor).filter_by(
            action="package.build")).all()
    assert len(actors) == 2 and f"cli:{getpass.getuser()}" in actors


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                    reason="LibreOffice or poppler-utils is not installed")
def test_the_printed_workbook_is_readable_on_a4(demo, client, tmp_path):
    _sign_in(client, "lead@cloudar.example", "isms-demo-lead")
    (tmp_path / "soa.xlsx").write_bytes(client.get("/soa/export.xlsx").data)
    done = subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir",
                           str(tmp_path), str(tmp_path / "soa.xlsx")], capture_output=True,
                          text=True, timeout=300,
                          env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    pdf = tmp_path / "soa.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = text.split("\f")
    assert re.search(r"Version\s+Draft \(not issued\)", pages[0])  # the Cover is one page
    assert "Document ID" in pages[0] and "Change summary" in pages[0]
    assert "page 1 of" in pages[0] and "ISMS-SOA" in pages[0]
    with demo.app_context():
        ids = db.session.scalars(select(ControlState.control_id).filter_by(edition="2013"))
        assert all(cid in text for cid in ids)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    assert fonts.returncode == 0 and "TrueType" in fonts.stdout
    # The size each run of text is drawn at, after any scaling LibreOffice applied.
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-zoom", "1", "-stdout", str(pdf)],
                         capture_output=True, text=True, check=True).stdout
    sizes = {int(s) for s in re.findall(r'<fontspec id="\d+" size="(\d+)"', xml)}
    assert sizes and min(sizes) >= 8, sorted(sizes)
    # The sheets' own rule: no cell below 8 pt times the scale it prints at.
    book = load_workbook(tmp_path / "soa.xlsx")
    for sheet in book.worksheets:
        fitted = sheet.sheet_properties.pageSetUpPr.fitToPage
        scale = (sheet.page_setup.scale or 100) / 100
        assert not fitted or sheet.title in ("Cover", "Summary"), sheet.title
        smallest = min(c.font.sz or 11 for row in sheet.iter_rows() for c in row
                       if c.value is not None)
        assert smallest * scale >= 8, sheet.title
    ARTIFACTS.mkdir(exist_ok=True)
    first_soa_page = next(n for n, p in enumerate(pages, start=1) if "A.5.1.1" in p)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(first_soa_page), "-l",
                    str(first_soa_page), "-singlefile", str(pdf),
                    str(ARTIFACTS / "soa-first-page")], check=True)
    assert (ARTIFACTS / "soa-first-page.png").stat().st_size > 1000


def test_the_exported_soa_shows_each_controls_aws_checks_over_all_accounts(demo, client):
    from connectors.aws.models import AwsConnection

    with demo.app_context():
        account = db.session.scalars(select(AwsConnection.account_id)).one()
    _sign_in(client, "lead@cloudar.example", "isms-demo-lead")
    rows = _soa(client.get("/soa/export.xlsx").data)
    # A.9.2.3: root MFA fails in the demo's last run; root keys and admin policies pass.
    assert rows["A.9.2.3"]["AWS checks"] == (
        f"2 passing, 1 failing: iam-root-mfa (account {account})")
    assert rows["A.12.3.1"]["AWS checks"] == (
        f"2 passing, 1 failing: s3-versioning (account {account})")
    assert rows["A.5.1.1"]["AWS checks"] is None  # no check covers a policy control
    header = list(rows["A.9.2.3"])
    assert header.index("AWS checks") == header.index("Evidence status") + 1


def test_the_aws_checks_line_counts_each_check_once_at_its_worst(app):
    from connectors.api import CheckVerdict
    from soa.rows import aws_checks_text

    def verdict(connection, check_id, result, failing=()):
        return CheckVerdict(connection, f"c{connection}", check_id, check_id, result, "",
                            None, 3, tuple(failing))

    assert aws_checks_text([]) == ""
    assert aws_checks_text([
        verdict(1, "iam-root-mfa", "fail", ["111111111111"]),
        verdict(2, "iam-root-mfa", "fail", ["222222222222"]),
        verdict(1, "iam-no-admin-policies", "pass"), verdict(2, "iam-no-admin-policies", "pass"),
        verdict(1, "iam-root-no-access-keys", "pass"), verdict(1, "s3-versioning", "pass"),
        verdict(2, "s3-versioning", "error", ["333333333333"]),
        verdict(1, "rds-backups", "not_applicable"),
    ]) == ("2 passing, 1 failing, 1 in error, 1 not applicable: "
           "iam-root-mfa (accounts 111111111111, 222222222222); "
           "s3-versioning (error, account 333333333333)")


def test_the_export_runs_the_same_queries_however_much_evidence(app, client, login_as,
                                                                count_queries):
    login_as(Role.LEAD)
    client.post("/evidence/new", data=upload_form(controls="A.9.1.1"),
                content_type="multipart/form-data")

    def exported() -> int:
        with count_queries() as statements:
            assert client.get("/soa/export.xlsx").status_code == 200
        return len(statements)

    few = exported()
    for n in range(4):
        client.post("/evidence/new", data=upload_form(
            title=f"Policy {n}", controls="A.9.1.1 A.9.1.2 A.12.1.1 A.5.1.1"),
            content_type="multipart/form-data")
    assert exported() == few


def test_settings_hold_the_document_control_the_cover_prints(app, client, login_as):
    login_as(Role.LEAD)
    form = {"name": "Acme", "scope": "All of Acme.", "timezone": "Europe/Brussels",
            "soa_document_id": "ACME-SOA-01", "soa_classification": "Confidential",
            "soa_review_months": "6"}
    bad = client.post("/settings", data={**form, "soa_document_id": "bad id!"})
    assert bad.status_code == 422
    assert client.post("/settings", data=form).status_code == 302
    book = load_workbook(io.BytesIO(client.get("/soa/export.xlsx").data))
    cover = dict(book["Cover"].iter_rows(min_row=2, values_only=True))
    assert (cover["Document ID"], cover["Classification"]) == ("ACME-SOA-01", "Confidential")
    assert book["SoA"].oddHeader.left.text == "ACME-SOA-01"
    # Not sent (an older form) keeps what is set.
    assert client.post("/settings", data={k: form[k] for k in ("name", "scope",
                                                               "timezone")}).status_code == 302
    cover = dict(load_workbook(io.BytesIO(client.get("/soa/export.xlsx").data))[
        "Cover"].iter_rows(min_row=2, values_only=True))
    assert cover["Document ID"] == "ACME-SOA-01"
