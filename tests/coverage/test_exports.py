"""`isms nis2 coverage`, the coverage sheet, and LibreOffice reading it."""

import csv
import io
import json
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from isms.auth.models import Role
from tests.coverage.helpers import PATCH_CONTROLS, add_evidence, coverage_json, decide
from tests.soa_helpers import decide_every_control

FORMULA = '=HYPERLINK("http://evil.example","x")'


def _adds_up(report: dict) -> None:
    verdict_sum = sum(report[v] for v in ("covered", "partial", "gap", "unmapped"))
    assert verdict_sum == report["leaves"] == len(report["requirements"]) == 336
    for verdict in ("covered", "partial", "gap", "unmapped"):
        assert sum(s[verdict] for s in report["sections"]) == report[verdict]
        assert sum(r["verdict"] == verdict for r in report["requirements"]) == report[verdict]


def test_the_demo_on_2013_reports_annex_b_until_the_transition(runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    report = coverage_json(runner)
    assert report["edition_used"] == "2013 via Annex B"
    _adds_up(report)
    assert report["covered"] + report["partial"] > 0  # the demo's decisions count
    moved = runner.invoke(args=["transition", "--to", "2022"])
    assert moved.exit_code == 0, moved.output
    after = coverage_json(runner)
    assert after["edition_used"] == "2022"
    _adds_up(after)
    six = next(r for r in after["requirements"] if r["id"] == "6.6.2")
    assert six["controls"] == ["A.8.31", "A.8.32"]


def test_without_json_the_command_prints_a_summary(runner):
    result = runner.invoke(args=["nis2", "coverage"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("NIS2 coverage on ISO/IEC 27001:2013 via Annex B: "
                                    "336 requirements")
    assert "section  7:" in result.output and "22 unmapped" in result.output


def _sheet_rows(path, name="NIS2") -> list[tuple]:
    return list(load_workbook(path)[name].iter_rows(values_only=True))


@pytest.mark.edition("2022")
def test_out_writes_one_row_per_leaf_with_ids_verdicts_and_evidence(client, runner, login_as,
                                                                    tmp_path):
    login_as(Role.LEAD)
    for control_id in PATCH_CONTROLS:
        decide(client, control_id)
    add_evidence(client, PATCH_CONTROLS, title=FORMULA)
    out = tmp_path / "nis2.xlsx"
    result = runner.invoke(args=["nis2", "coverage", "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["covered"] == 5
    rows = _sheet_rows(out)
    assert rows[0] == ("Requirement", "Heading", "Mapped ISO/IEC 27001:2022 ids", "Verdict",
                       "Evidence")
    assert len(rows) == 337
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["6.6.2"][1:4] == ("Security patch management", "A.8.31, A.8.32", "covered")
    assert by_id["6.6.2"][4].startswith("A.8.31: #") and FORMULA in by_id["6.6.2"][4]
    assert by_id["4.3.2 (second subparagraph)"][1] == "Crisis management"
    assert by_id["7.3"][2:4] == ("", "unmapped") or by_id["7.3"][2:4] == (None, "unmapped")
    book = load_workbook(out)
    sheet = book["NIS2"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:E337"
    formula_cells = [c for c in sheet["E"] if c.value and str(c.value).startswith("=")]
    assert all(c.data_type == "s" for c in formula_cells)
    notes = dict(book["NIS2 source"].iter_rows(values_only=True))
    assert notes["ISO/IEC 27001 edition used"] == "2022"
    assert notes["Mapping"].startswith("Contains the ISO/IEC 27001:2022 mapping from ENISA")


def test_the_sheet_on_2013_names_the_counterparts(runner, tmp_path):
    out = tmp_path / "nis2.xlsx"
    assert runner.invoke(args=["nis2", "coverage", "--out", str(out)]).exit_code == 0
    rows = _sheet_rows(out)
    assert rows[0][2] == "Mapped ISO/IEC 27001:2022 ids (their 2013 counterparts, Annex B)"
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["6.6.2"][2] == ("A.8.31 (A.12.1.4, A.14.2.6), "
                                 "A.8.32 (A.12.1.2, A.14.2.2, A.14.2.3, A.14.2.4)")
    assert by_id["6.3.1"][2:4] == ("A.8.9 (none)", "gap")


def test_bad_out_paths_are_refused_with_a_reason(runner, tmp_path):
    wrong = runner.invoke(args=["nis2", "coverage", "--out", str(tmp_path / "nis2.csv")])
    assert wrong.exit_code == 2 and "must be an .xlsx file" in wrong.output
    missing = tmp_path / "no" / "such" / "folder" / "nis2.xlsx"
    failed = runner.invoke(args=["nis2", "coverage", "--out", str(missing)])
    assert failed.exit_code == 1 and "cannot write" in failed.output
    assert not missing.exists()


def soffice_csv(tmp_path, workbook) -> dict[str, list[list[str]]]:
    """Convert every sheet of a workbook to CSV with LibreOffice; return the rows by sheet."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed here (.ci/run installs "
                    "libreoffice-calc-nogui); the openpyxl checks still ran")
    out = tmp_path / "csv"
    done = subprocess.run(
        [soffice, "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
         "--outdir", str(out), str(workbook)],
        capture_output=True, text=True, timeout=180,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    sheets = {}
    for path in out.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            sheets[path.stem.split("-", 1)[1]] = list(csv.reader(handle))
    return sheets


@pytest.mark.edition("2022")
def test_libreoffice_reads_the_coverage_workbook(client, runner, login_as, tmp_path):
    login_as(Role.LEAD)
    decide(client, "A.8.31")
    out = tmp_path / "nis2.xlsx"
    assert runner.invoke(args=["nis2", "coverage", "--out", str(out)]).exit_code == 0
    sheets = soffice_csv(tmp_path, out)
    rows = sheets["NIS2"]
    assert len(rows) == 337 and rows[0][0] == "Requirement"
    assert {r[3] for r in rows[1:]} == {"gap", "unmapped"}
    assert any("ENISA" in cell for row in sheets["NIS2 source"] for cell in row)


@pytest.mark.edition("2022")
def test_the_soa_workbook_has_a_nis2_sheet_only_when_settings_enable_it(app, client, runner,
                                                                        login_as, tmp_path):
    login_as(Role.LEAD)
    for control_id in PATCH_CONTROLS:
        decide(client, control_id)
    add_evidence(client, PATCH_CONTROLS, title="Patch compliance report")
    plain = client.get("/soa/export.xlsx")
    assert "NIS2" not in load_workbook(io.BytesIO(plain.data)).sheetnames
    saved = client.post("/settings", data={"name": "Cloudar", "scope": "",
                                           "timezone": "Europe/Brussels",
                                           "coverage_sheets": "nis2"})
    assert saved.status_code == 302
    response = client.get("/soa/export.xlsx")
    assert response.status_code == 200
    path = tmp_path / "soa.xlsx"
    path.write_bytes(response.data)
    book = load_workbook(path)
    assert book.sheetnames == ["Cover", "SoA", "Evidence", "Summary", "Mapping", "NIS2",
                               "NIS2 source"]
    rows = list(book["NIS2"].iter_rows(values_only=True))
    assert len(rows) == 337 and rows[0][:4] == ("Requirement", "Heading",
                                                "Mapped ISO/IEC 27001:2022 ids", "Verdict")
    assert {r[0]: r[3] for r in rows[1:]}["6.6.2"] == "covered"
    sheets = soffice_csv(tmp_path, path)  # LibreOffice opens it and reads every sheet
    assert len(sheets["NIS2"]) == 337
    assert [r[0] for r in sheets["NIS2"][1:]] == [r[0] for r in rows[1:]]
    assert "Patch compliance report" in {r[0]: r[4] for r in sheets["NIS2"][1:]}["6.6.2"]
    assert len(sheets["SoA"]) == 94
    # The importer still finds the SoA sheet, not the NIS2 one, in such a workbook.
    imported = runner.invoke(args=["soa", "import", str(path), "--dry-run", "--json"])
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.output)["matched"] == 93


def test_an_issued_soa_keeps_the_nis2_sheet_of_its_day_on_its_edition(app, client, login,
                                                                       make_user, runner):
    lead, admin = make_user(Role.LEAD), make_user(Role.ADMIN)
    login(lead)
    client.post("/settings", data={"name": "Cloudar", "scope": "",
                                   "timezone": "Europe/Brussels", "coverage_sheets": "nis2"})
    decide_every_control(app)  # the readiness gate wants every control decided
    assert client.post("/soa/submit", data={"change_summary": "First"}).status_code == 302
    client.post("/logout")
    login(admin)
    assert client.post("/soa/versions/1/approve",
                       data={"approver_title": "CEO"}).status_code == 302
    book = load_workbook(io.BytesIO(client.get("/soa/versions/1").data))
    rows = list(book["NIS2"].iter_rows(values_only=True))
    assert len(rows) == 337 and "2013 counterparts" in rows[0][2]
    assert dict(book["NIS2 source"].iter_rows(values_only=True))[
        "ISO/IEC 27001 edition used"] == "2013 via Annex B"


def test_before_isms_init_the_command_says_what_to_do(tmp_path):
    from isms import create_app
    from tests.conftest import base_config

    bare = create_app(base_config(f"sqlite:///{tmp_path / 'bare.db'}", str(tmp_path / "i")))
    result = bare.test_cli_runner().invoke(args=["nis2", "coverage", "--json"])
    assert result.exit_code == 1
    assert "The database is not initialised: run `isms init` first." in result.output
