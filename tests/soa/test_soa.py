"""The SoA workbook read back cell by cell, issued versions and their diff."""

import csv
import hashlib
import io
import shutil
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook

from isms.auth.models import Role
from soa.rows import EVIDENCE_LISTED
from tests.evidence_helpers import upload_form
from tests.soa_helpers import decide_every_control

DECISION = {"applicability": "applicable", "reasons": ["risk", "legal"],
            "responsibility": "shared", "implementation_status": "partial",
            "review_cadence": "none", "company_part": "We configure it.",
            "aws_part": "AWS runs it.", "risk_refs": "R-012, R-031",
            "justification": "Required by customer contracts; treats R-012."}
FORMULA = '=HYPERLINK("http://x","y")'


def _workbook(client, url="/soa/export.xlsx"):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return load_workbook(io.BytesIO(response.data)), response.data


def _soa_values(book) -> dict[str, list]:
    sheet = book["SoA"]
    header = [c.value for c in sheet[1]]
    return {row[0]: dict(zip(header, row, strict=True))
            for row in sheet.iter_rows(min_row=2, values_only=True)}


def test_the_workbook_has_every_sheet_and_one_row_per_control(client, login_as):
    login_as(Role.LEAD)
    client.post("/controls/A.9.1.1/edit", data=DECISION)
    client.post("/controls/A.14.2.7/edit", data={
        **DECISION, "applicability": "excluded", "justification": "No outsourcing."})
    client.post("/evidence/new", data=upload_form(controls="A.9.1.1 A.9.1.2"),
                content_type="multipart/form-data")
    book, _ = _workbook(client)
    assert book.sheetnames == ["Cover", "SoA", "Evidence", "Summary", "Mapping"]
    sheet = book["SoA"]
    assert [c.value for c in sheet[1]] == [
        "ID", "Control", "Clause", "Source", "Applicable", "Inclusion reasons",
        "Legal/regulatory", "Contractual", "Business", "Risk treatment", "Justification",
        "Implementation status", "Responsibility", "Company part", "AWS part", "Risk refs",
        "Owner", "Evidence", "Evidence status", "AWS checks", "Last review", "Next review"]
    rows = _soa_values(book)
    assert len(rows) == 114 and sheet.max_row == 115
    assert all(cid.startswith("A.") and cid.count(".") == 3 for cid in rows)
    assert rows["A.9.1.1"]["Applicable"] == "Yes"
    assert rows["A.9.1.1"]["Inclusion reasons"] == "Legal, Risk"
    assert [rows["A.9.1.1"][c] for c in ("Legal/regulatory", "Contractual", "Business",
                                         "Risk treatment")] == ["Yes", None, None, "Yes"]
    assert rows["A.9.1.1"]["Source"] == "Annex A"
    assert rows["A.9.1.1"]["Implementation status"] == "Partial"
    assert rows["A.9.1.1"]["Responsibility"] == "Shared"
    assert (rows["A.9.1.1"]["Company part"], rows["A.9.1.1"]["AWS part"]) == (
        "We configure it.", "AWS runs it.")
    assert rows["A.9.1.1"]["Risk refs"] == "R-012, R-031"
    collected = rows["A.9.1.1"]["Evidence"].split("(v1, ")[1].rstrip(")")
    assert rows["A.9.1.1"]["Evidence"] == f"Access control policy (v1, {collected})"
    assert rows["A.9.1.1"]["Evidence status"] == "Current"
    assert rows["A.14.2.7"]["Applicable"] == "No"
    assert rows["A.14.2.7"]["Justification"] == "No outsourcing."
    assert rows["A.14.2.7"]["Implementation status"] is None
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:V115"
    assert sheet.print_title_rows == "$1:$1" and sheet.print_title_cols == "$A:$B"
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9
    # Too wide for one page at a readable size: more pages across at 100 %, never shrunk.
    assert not sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.scale or 100) == 100  # no scale written means 100 %
    assert "page &P of &N" in sheet.oddFooter.right.text
    validated = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert validated["E2:E115"] == '"Yes,No"'
    assert "Implemented" in validated["L2:L115"] and "AWS" in validated["M2:M115"]
    evidence = list(book["Evidence"].iter_rows(min_row=2, values_only=True))
    assert len(evidence) == 1 and evidence[0][0] == "Access control policy"
    assert evidence[0][2] == hashlib.sha256(b"policy text v1\n").hexdigest()
    assert evidence[0][5] == "A.9.1.1, A.9.1.2"
    assert len(book["Summary"]._charts) == 1
    mapping = {r[0]: r for r in book["Mapping"].iter_rows(min_row=2, values_only=True)}
    assert len(mapping) == 114 and mapping["A.18.2.3"][2] == "A.5.36, A.8.8"
    cover = dict(book["Cover"].iter_rows(min_row=2, values_only=True))
    assert cover["Organisation"] == "Test organisation" and cover["Status"] == "Draft"
    assert (cover["Document ID"], cover["Classification"]) == ("ISMS-SOA", "Internal")


@pytest.mark.edition("2022")
def test_a_2022_workbook_has_93_rows_grouped_by_theme(client, login_as):
    login_as(Role.AUDITOR)
    book, _ = _workbook(client)
    rows = _soa_values(book)
    assert len(rows) == 93 and book["SoA"]["C1"].value == "Theme"
    assert rows["A.5.7"]["Theme"] == "A.5 Organizational"
    mapping = {r[0]: r for r in book["Mapping"].iter_rows(min_row=2, values_only=True)}
    assert mapping["A.5.7"][2] is None and mapping["A.5.7"][3] == "New in 2022"


def test_formulas_come_out_as_text_in_xlsx_and_csv(client, login_as):
    login_as(Role.LEAD)
    client.post("/controls/A.14.2.7/edit", data={
        **DECISION, "applicability": "excluded", "justification": FORMULA,
        "company_part": "-1+1", "aws_part": "@SUM(A1)"})
    book, _ = _workbook(client)
    sheet = book["SoA"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "A.14.2.7")
    assert row[10].value == FORMULA and row[10].data_type == "s"
    assert row[13].value == "-1+1" and row[13].data_type == "s"
    text = client.get("/soa/export.csv").get_data(as_text=True)
    record = next(r for r in csv.reader(io.StringIO(text)) if r and r[0] == "A.14.2.7")
    assert record[10] == "'" + FORMULA and record[13] == "'-1+1"
    assert record[14] == "'@SUM(A1)"


@pytest.mark.edition("2022")
def test_the_cli_writes_the_same_sheets(app, runner, tmp_path):
    out = tmp_path / "soa.xlsx"
    result = runner.invoke(args=["soa", "export", "--edition", "2022", "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["Cover", "SoA", "Evidence", "Summary", "Mapping"]
    assert book["SoA"].max_row == 94
    refused = runner.invoke(args=["soa", "export", "--edition", "2013", "--out",
                                  str(tmp_path / "none.xlsx")])
    assert refused.exit_code == 1 and "No decisions are recorded for the 2013 edition" in (
        refused.output)
    assert not (tmp_path / "none.xlsx").exists()


def test_libreoffice_opens_the_workbook(client, login_as, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed here (.ci/run installs "
                    "libreoffice-calc-nogui); the openpyxl checks above still ran")
    login_as(Role.LEAD)
    _, data = _workbook(client)
    (tmp_path / "soa.xlsx").write_bytes(data)
    done = subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir",
                           str(tmp_path), str(tmp_path / "soa.xlsx")],
                          capture_output=True, text=True, timeout=180,
                          env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    pdf = (tmp_path / "soa.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def _issue(client, login, submitter, approver, summary: str, title="CEO"):
    login(submitter)
    assert client.post("/soa/submit", data={"change_summary": summary}).status_code == 302
    number = int(client.get("/soa").get_data(as_text=True).split("Version ")[1].split(" ")[0])
    client.post("/logout")
    login(approver)
    response = client.post(f"/soa/versions/{number}/approve", data={"approver_title": title},
                           follow_redirects=True)
    assert f"Version {number} issued." in response.get_data(as_text=True)
    client.post("/logout")
    return number


def test_an_issued_version_never_changes_and_the_next_one_shows_what_changed(
        app, client, make_user, login):
    lead, admin = make_user(Role.LEAD, name="Lena"), make_user(Role.ADMIN, name="Ceo Person")
    decide_every_control(app)
    login(lead)
    client.post("/controls/A.9.1.1/edit", data=DECISION)
    client.post("/logout")
    first = _issue(client, login, lead, admin, "First issue", title="CEO, top management")
    login(lead)
    v1 = client.get(f"/soa/versions/{first}")
    v1_bytes, v1_hash = v1.data, hashlib.sha256(v1.data).hexdigest()
    assert v1.headers["Digest"] == f"sha-256={v1_hash}"
    cover = dict(load_workbook(io.BytesIO(v1_bytes))["Cover"].iter_rows(min_row=2,
                                                                        values_only=True))
    assert cover["Status"] == "Issued" and cover["Version"] == first
    assert cover["Approved by"] == "Ceo Person (CEO, top management)"
    assert cover["SHA-256 of the previous issued version"] == "none"
    assert cover["Document ID"] == "ISMS-SOA" and cover["Owner"] == "Lena (security lead)"
    issued_on = date.fromisoformat(cover["Approved on"])
    assert cover["Next review"] == date(issued_on.year + 1, issued_on.month,
                                        min(issued_on.day, 28 if issued_on.month == 2
                                            else issued_on.day)).isoformat()
    # Changes after issue: two controls, one of them twice.
    client.post("/controls/A.9.1.1/edit", data={**DECISION, "implementation_status":
                                                "implemented"})
    client.post("/controls/A.9.1.1/edit", data={**DECISION, "implementation_status":
                                                "implemented", "aws_part": "AWS, audited."})
    client.post("/controls/A.12.1.1/edit", data=DECISION)
    client.post("/controls/A.5.1.1/edit", data={**DECISION, "notes": "notes are not decisions",
                                                "review_cadence": "yearly"})
    client.post("/logout")
    assert client.get(f"/soa/versions/{first}").status_code == 302  # signed out
    login(admin)
    assert client.get(f"/soa/versions/{first}").data == v1_bytes
    client.post("/logout")
    second = _issue(client, login, lead, admin, "Second issue")
    login(lead)
    assert hashlib.sha256(client.get(f"/soa/versions/{first}").data).hexdigest() == v1_hash
    v2_cover = dict(load_workbook(io.BytesIO(client.get(f"/soa/versions/{second}").data))[
        "Cover"].iter_rows(min_row=2, values_only=True))
    assert v2_cover["SHA-256 of the previous issued version"] == v1_hash
    page = client.get(f"/soa/versions/{first}/diff/{second}").get_data(as_text=True)
    assert all(f">{cid}</a>" in page for cid in ("A.5.1.1", "A.9.1.1", "A.12.1.1"))
    assert "3 controls changed." in page
    assert ">A.9.1.2</a>" not in page


def test_approval_rules(app, client, make_user, login):
    lead, other_lead, owner = make_user(Role.LEAD), make_user(Role.LEAD), make_user(Role.OWNER)
    decide_every_control(app)
    login(lead)
    client.post("/soa/submit", data={"change_summary": "First"})
    assert "A version is already waiting" in client.post(
        "/soa/submit", data={"change_summary": "Again"}, follow_redirects=True).get_data(
        as_text=True)
    own = client.post("/soa/versions/1/approve", follow_redirects=True).get_data(as_text=True)
    assert "other than the submitter" in own
    client.post("/controls/A.9.1.1/edit", data=DECISION)  # changes after submission
    client.post("/logout")
    login(owner)
    assert client.post("/soa/versions/1/approve").status_code == 403
    client.post("/logout")
    login(other_lead)
    stale = client.post("/soa/versions/1/approve", follow_redirects=True).get_data(as_text=True)
    assert "Decisions changed after this version was submitted" in stale
    assert client.get("/soa/versions/1").status_code == 404  # nothing was issued
    client.post("/soa/versions/1/withdraw")
    assert "Issue a new version" in client.get("/soa").get_data(as_text=True)
    empty = client.post("/soa/submit", data={"change_summary": " "}, follow_redirects=True)
    assert "Summarise what changed" in empty.get_data(as_text=True)


def test_workbook_cells_keep_their_header_date_and_wrap_styles(client, login_as):
    login_as(Role.LEAD)
    client.post("/controls/A.9.1.1/edit", data=DECISION)
    client.post("/evidence/new", data=upload_form(), content_type="multipart/form-data")
    book, _ = _workbook(client)
    header = book["SoA"]["A1"]
    assert header.font.bold and header.fill.fgColor.rgb.endswith("1F3B5C")
    assert header.alignment.wrap_text
    justification, control_id = book["SoA"]["C2"], book["SoA"]["A2"]
    assert justification.alignment.wrap_text and not control_id.alignment.wrap_text
    assert control_id.alignment.vertical == "top"
    collected = book["Evidence"]["D2"]
    assert collected.number_format == "yyyy-mm-dd" and collected.is_date
    assert book["Evidence"]["A2"].alignment.wrap_text


def test_a_control_with_much_evidence_lists_the_first_items_and_counts_the_rest(client,
                                                                                login_as):
    login_as(Role.LEAD)
    for n in range(EVIDENCE_LISTED + 2):
        response = client.post("/evidence/new", data=upload_form(
            title=f"Log review {n:02d}", controls="A.12.4.1",
            file=(f"review {n}\n".encode(), f"review-{n}.txt")),
            content_type="multipart/form-data")
        assert response.status_code == 302
    book, _ = _workbook(client)
    sheet = book["SoA"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "A.12.4.1")
    lines = row[header.index("Evidence")].split("\n")
    assert len(lines) == EVIDENCE_LISTED + 1
    assert lines[0].startswith("Log review 00 (v1, ")
    assert lines[EVIDENCE_LISTED - 1].startswith(f"Log review {EVIDENCE_LISTED - 1:02d} (v1, ")
    assert lines[-1] == "... and 2 more (see the Evidence sheet)"
    # The register still holds every version.
    titles = [r[0] for r in book["Evidence"].iter_rows(min_row=2, values_only=True)]
    assert sum(t.startswith("Log review") for t in titles) == EVIDENCE_LISTED + 2
