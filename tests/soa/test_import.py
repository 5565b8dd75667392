"""Import real-world SoA workbooks, built here in several layouts; refuse unsafe files."""

import io
import json
import os
import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import delete, func, select

from controls.models import ControlState
from controls.services import ensure_control_states
from isms.audit import AuditEvent
from isms.auth.models import Role
from isms.catalog import get_edition
from isms.db import db

DECISION_COLUMNS = ["ID", "Applicable", "Inclusion reasons", "Justification",
                    "Implementation status", "Responsibility", "Company part", "AWS part",
                    "Risk refs"]


def make_xlsx(path, sheets: dict, merges: dict | None = None, formats: dict | None = None):
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cell_range in (merges or {}).get(name, []):
            sheet.merge_cells(cell_range)
        for ref, number_format in (formats or {}).get(name, {}).items():
            sheet[ref].number_format = number_format
    book.save(path)
    return path


def _import(runner, path, *options):
    return runner.invoke(args=["soa", "import", str(path), *options])


def _summary(runner, path) -> dict:
    result = _import(runner, path, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _states(app, edition="2013") -> dict[str, ControlState]:
    with app.app_context():
        states = db.session.scalars(select(ControlState).filter_by(edition=edition)).all()
        for s in states:
            db.session.expunge(s)
        return {s.control_id: s for s in states}


def _controls_2013():
    return get_edition("2013").items


def test_header_on_row_3_with_a_prefix_and_yes_no(app, runner, tmp_path):
    with app.app_context():
        items = _controls_2013()
    rows = [["Cloudar NV - Statement of Applicability"], ["Version 4, approved by the CEO"],
            ["Control ID", "Control", "Applicable?", "Justification", "Implementation Status",
             "Reason for inclusion"]]
    for n, item in enumerate(items):
        rows.append([item.control_id, item.title, " Yes " if n % 10 else "no",
                     "" if n % 10 else "Not relevant here", "Implemented" if n % 3 else
                     "partially implemented", "Risk, Legal" if n % 10 else ""])
    path = make_xlsx(tmp_path / "a.xlsx", {"SoA": rows})
    summary = _summary(runner, path)
    assert summary["edition"] == "2013" and summary["matched"] == 114
    assert summary["not_applicable"] == 12 and summary["applicable"] == 102
    assert summary["unmatched_rows"] == [] and summary["warnings"] == []
    assert _states(app)["A.5.1.1"].applicability is None  # a dry run changes nothing
    assert _import(runner, path).exit_code == 0
    states = _states(app)
    assert states["A.5.1.1"].applicability.value == "excluded"
    assert states["A.5.1.1"].justification == "Not relevant here"
    assert states["A.5.1.2"].reasons[0].value == "legal"
    assert states["A.5.1.2"].implementation_status.value == "implemented"


def test_ids_without_prefix_merged_headings_and_other_vocabularies(app, runner, tmp_path):
    with app.app_context():
        items = _controls_2013()
    rows, merges, clause, objective = [["Ref", "Title", "Included", "Status"]], [], None, None
    for item in items:
        if item.group_id != clause:
            clause = item.group_id
            rows.append([f"{clause[2:]} {item.group_title}", None, None, None])
            merges.append(f"A{len(rows)}:D{len(rows)}")
        if item.objective_id != objective:
            objective = item.objective_id
            rows.append([objective[2:], item.objective_title, None, None])
            merges.append(f"B{len(rows)}:D{len(rows)}")
        rows.append([item.control_id[2:], item.title, "Y" if item.group_id != "A.11" else "N",
                     "planned"])
    path = make_xlsx(tmp_path / "b.xlsx", {"Annex A": rows}, merges={"Annex A": merges})
    summary = _summary(runner, path)
    assert summary["edition"] == "2013" and summary["matched"] == 114
    assert summary["not_applicable"] == 15  # A.11 has 15 controls
    assert summary["unmatched_rows"] == [] and summary["warnings"] == []


def test_2013_ids_stored_as_dates_are_recovered(app, runner, tmp_path):
    with app.app_context():
        items = _controls_2013()
    rows = [["ID", "Control", "Applicable"]]
    for item in items:
        clause, objective, number = (int(p) for p in item.control_id[2:].split("."))
        # What a spreadsheet does to "10.1.1" typed in a date-guessing locale.
        rows.append([datetime(2000 + clause, objective, number), item.title, "Applicable"])
    path = make_xlsx(tmp_path / "dates.xlsx", {"SoA": rows})
    assert isinstance(load_workbook(path)["SoA"]["A2"].value, datetime)
    summary = _summary(runner, path)
    assert summary["edition"] == "2013" and summary["matched"] == 114
    assert summary["applicable"] == 114 and summary["unmatched_rows"] == []


@pytest.mark.edition("2022")
def test_2022_ids_stored_as_floats_are_recovered_from_format_or_order(app, runner, tmp_path):
    with app.app_context():
        items = get_edition("2022").items
    rows, formats = [["Control", "Name", "Applicable", "Responsibility"]], {}
    for n, item in enumerate(items, start=2):
        number = float(item.control_id[2:])  # 5.10 becomes 5.1, 8.30 becomes 8.3
        rows.append([number, item.title, "TRUE", "Shared" if item.group_id == "A.7" else "us"])
        if item.control_id == "A.5.20":
            formats[f"A{n}"] = "0.00"  # this one kept its format: 5.20 shown as typed
    path = make_xlsx(tmp_path / "floats.xlsx", {"SoA": rows}, formats={"SoA": formats})
    summary = _summary(runner, path)
    assert summary["edition"] == "2022" and summary["matched"] == 93, summary
    assert summary["unmatched_rows"] == [] and summary["warnings"] == []
    assert _import(runner, path).exit_code == 0
    states = _states(app, "2022")
    assert states["A.5.10"].applicability.value == "applicable"
    assert states["A.7.1"].responsibility.value == "shared"
    assert states["A.8.30"].responsibility.value == "company"


def test_of_two_soa_like_sheets_the_one_with_ids_wins(app, runner, tmp_path):
    with app.app_context():
        items = _controls_2013()
    notes = [["ID", "Applicable", "Comment"], ["Q1", "Yes", "kick-off"], ["Q2", "No", "later"]]
    real = [["Annex A ref", "Applicability"]] + [[i.control_id, "Yes"] for i in items[:40]]
    path = make_xlsx(tmp_path / "two.xlsx", {"Notes": notes, "SoA 2025": real})
    summary = _summary(runner, path)
    assert summary["matched"] == 40 and summary["applicable"] == 40


def test_unknown_words_and_titles_are_warnings_never_guesses(app, runner, tmp_path):
    rows = [["ID", "Control", "Applicable", "Status"],
            ["A.5.1.1", "Policies for information security", "Jawohl", "klaar"],
            ["A.5.1.2", "Something else entirely", "Yes", "Implemented"],
            ["A.99.1.1", "Made up", "Yes", ""],
            ["A.5.1.2", "Review of the policies", "No", ""]]
    path = make_xlsx(tmp_path / "odd.xlsx", {"SoA": rows})
    summary = _summary(runner, path)
    assert summary["matched"] == 2
    assert summary["unknown_values"] == {"applicability": {"Jawohl": 1},
                                         "status": {"klaar": 1}}
    assert any("'Jawohl' (1 row) is not a value we know" in w for w in summary["warnings"])
    assert any("'klaar' (1 row) is not a value we know" in w for w in summary["warnings"])
    assert any("does not match A.5.1.2" in w for w in summary["warnings"])
    assert {r["row"] for r in summary["unmatched_rows"]} == {4, 5}
    _import(runner, path)
    states = _states(app)
    assert states["A.5.1.1"].applicability is None  # 'Jawohl' was not guessed


def test_round_trip_export_import_export_keeps_every_decision(app, client, login_as, runner,
                                                              tmp_path):
    login_as(Role.LEAD)
    base = {"reasons": ["risk"], "responsibility": "company", "review_cadence": "none"}
    client.post("/controls/A.9.1.1/edit", data={
        **base, "applicability": "applicable", "reasons": ["legal", "contractual"],
        "implementation_status": "partial", "responsibility": "shared",
        "company_part": "We do this.", "aws_part": "AWS does that.", "risk_refs": "R-001"})
    client.post("/controls/A.14.2.7/edit", data={
        **base, "applicability": "excluded", "justification": '=HYPERLINK("http://x","y")'})
    client.post("/controls/A.12.1.1/edit", data={
        **base, "applicability": "applicable", "implementation_status": "implemented"})
    first = tmp_path / "first.xlsx"
    first.write_bytes(client.get("/soa/export.xlsx").data)
    with app.app_context():  # a fresh instance: every decision back to its defaults
        db.session.execute(delete(ControlState))
        ensure_control_states("2013")
        db.session.commit()
    assert _import(runner, first).exit_code == 0
    second = load_workbook(io.BytesIO(client.get("/soa/export.xlsx").data))["SoA"]

    def columns(sheet):
        header = [c.value for c in sheet[1]]
        keep = [header.index(name) for name in DECISION_COLUMNS]
        return [[row[i] for i in keep] for row in sheet.iter_rows(min_row=2, values_only=True)]

    assert columns(second) == columns(load_workbook(first)["SoA"])
    assert len(columns(second)) == 114


def _bad_files(tmp_path, app) -> dict:
    valid = make_xlsx(tmp_path / "valid.xlsx", {"SoA": [["ID", "Applicable"],
                                                        ["A.5.1.1", "Yes"]]})
    macro = tmp_path / "macro.xlsx"
    with zipfile.ZipFile(valid) as source, zipfile.ZipFile(macro, "w") as target:
        for entry in source.infolist():
            target.writestr(entry, source.read(entry))
        target.writestr("xl/vbaProject.bin", b"\x00" * 64)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(valid) as source, zipfile.ZipFile(
            bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(entry, source.read(entry))
        target.writestr("xl/media/padding.bin", b"\x00" * (6 * 1024 * 1024))
    huge = tmp_path / "huge.xlsx"
    with open(huge, "wb") as handle:
        handle.truncate(51 * 1024 * 1024)
    return {
        "not an Excel .xlsx workbook": (tmp_path / "a.csv", b"ID,Applicable\nA.5.1.1,Yes\n"),
        "encrypted": (tmp_path / "locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
        "Macro-enabled": (macro, None),
        "expands to more than 5 MB": (bomb, None),
        "larger than 50 MB": (huge, None),
        "No column of Annex A control ids": (make_xlsx(tmp_path / "other.xlsx", {"Budget": [
            ["Item", "Cost"], ["Laptops", 12000]]}), None),
    }


def test_bad_files_are_refused_with_a_reason_and_change_nothing(app, runner, client,
                                                                login_as, tmp_path):
    app.config["ISMS_IMPORT_MAX_UNCOMPRESSED_MB"] = 5
    login_as(Role.LEAD)
    with app.app_context():
        events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    for reason, (path, content) in _bad_files(tmp_path, app).items():
        if content is not None:
            path.write_bytes(content)
        result = _import(runner, path)
        assert result.exit_code == 1 and reason in result.output, (reason, result.output)
        with open(path, "rb") as handle:
            page = client.post("/soa/import", data={"file": (handle, path.name)},
                               content_type="multipart/form-data")
        html = page.get_data(as_text=True)
        if reason.startswith("No column"):  # a readable workbook: the mapping step may help
            assert page.status_code == 422 and reason in html
            token = html.split("/soa/import/")[1].split("/")[0].split('"')[0]
            client.post(f"/soa/import/{token}/cancel")
            continue
        assert page.status_code == 400 and reason in html, reason
    with app.app_context():
        events_after = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert events_after == events_before  # nothing was written
    assert all(s.applicability is None for s in _states(app).values())
    assert os.listdir(os.path.join(app.instance_path, "imports")) == []


def test_the_browser_import_previews_every_change_then_applies(app, client, login_as,
                                                               tmp_path):
    login_as(Role.LEAD)
    path = make_xlsx(tmp_path / "web.xlsx", {"SoA": [
        ["ID", "Applicable", "Justification"], ["A.5.1.1", "Yes", ""],
        ["A.6.2.2", "No", "Nobody teleworks"]]})
    with open(path, "rb") as handle:
        preview = client.post("/soa/import", data={"file": (handle, "web.xlsx")},
                              content_type="multipart/form-data")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Apply 3 changes" in html
    assert "Nobody teleworks" in html
    assert _states(app)["A.6.2.2"].applicability is None  # nothing before confirming
    token = html.split("/soa/import/")[1].split("/")[0]
    done = client.post(f"/soa/import/{token}/apply", follow_redirects=True)
    assert "Imported the decisions on 2 controls." in done.get_data(as_text=True)
    assert _states(app)["A.6.2.2"].justification == "Nobody teleworks"
    assert client.post(f"/soa/import/{token}/apply").status_code == 404  # used up


def test_the_new_export_layout_with_reason_columns_source_and_evidence_is_read(app, runner,
                                                                               tmp_path):
    header = ["ID", "Control", "Clause", "Source", "Applicable", "Inclusion reasons",
              "Legal/regulatory", "Contractual", "Business", "Risk treatment", "Justification",
              "Implementation status", "Responsibility", "Company part", "AWS part",
              "Risk refs", "Owner", "Evidence", "Evidence status", "AWS checks",
              "Last review", "Next review"]
    rows = [header,
            ["A.5.1.1", "Policies for information security", "A.5 Information security "
             "policies", "ISO/IEC 27001:2013 Annex A", "Yes", "Legal, Risk", "Yes", None, None,
             "Yes", "Board wants it.", "Implemented", "Company", None, None, "R-001", None,
             "Policy (v2, 2026-01-01)", "Current", "1 passing, 1 failing: iam-root-mfa "
             "(account 111111111111)", None, None],
            ["A.5.1.2", "Review of the policies for information security", "A.5 Information "
             "security policies", "ISO/IEC 27001:2013 Annex A", "No", None, None, None, None,
             None, "Covered by A.5.1.1.", None, "Company", None, None, None, None, None,
             "None", None, None, None]]
    path = make_xlsx(tmp_path / "new-export.xlsx", {"SoA": rows})
    summary = _summary(runner, path)
    columns = summary["columns"]
    assert (columns["G"], columns["H"], columns["I"], columns["J"]) == (
        "legal", "contractual", "business", "risk")
    assert columns["D"] is None and columns["R"] is None and columns["S"] is None
    assert columns["T"] is None  # the AWS checks are read from AWS, never imported
    assert summary["matched"] == 2 and summary["unknown_values"] == {}
    assert summary["decided"]["justification"] == 2 and "notes" not in summary["decided"]
    assert _import(runner, path).exit_code == 0
    states = _states(app)
    assert [r.value for r in states["A.5.1.1"].reasons] == ["legal", "risk"]
    assert states["A.5.1.2"].justification == "Covered by A.5.1.1."


def test_titles_of_other_controls_are_flagged_as_shifted_rows(app, runner, tmp_path):
    rows = [["ID", "Control", "Applicable"],
            ["A.5.1.1", "Review of the policies for information security", "Yes"],
            ["A.5.1.2", "Policies for information security", "Yes"],
            ["A.6.1.1", "Information security roles and responsibilities", "Yes"]]
    summary = _summary(runner, make_xlsx(tmp_path / "shifted.xlsx", {"SoA": rows}))
    shifted = [w for w in summary["warnings"] if "may be shifted" in w]
    assert len(shifted) == 2 and "is the title of A.5.1.2, not of A.5.1.1" in shifted[0]


def test_titles_in_another_language_give_one_summary_warning(app, runner, tmp_path):
    with app.app_context():
        items = _controls_2013()
    rows = [["Nr.", "Maatregel", "Van toepassing"]] + [
        [i.control_id, f"Nederlandse titel {n}", "Ja"] for n, i in enumerate(items)]
    summary = _summary(runner, make_xlsx(tmp_path / "nl.xlsx", {"SoA": rows}))
    assert summary["matched"] == 114 and summary["applicable"] == 114
    assert summary["warnings"] == ["114 of 114 titles do not match the catalog's (another "
                                   "language or the organisation's own wording?); the ids "
                                   "were used, the titles not checked."]


def test_planning_an_import_runs_a_flat_number_of_queries(app, count_queries, tmp_path):
    from soa.importer import plan_import

    with app.app_context():
        items = _controls_2013()
    counts = []
    for size in (5, 114):
        rows = [["ID", "Applicable", "Owner"]] + [[i.control_id, "Yes", "Nobody Here"]
                                                  for i in items[:size]]
        path = make_xlsx(tmp_path / f"{size}.xlsx", {"SoA": rows})
        with app.app_context(), count_queries() as statements:
            assert len(plan_import(str(path)).updates) == size
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_notes_in_the_tracker_are_kept_and_the_workbook_notes_added_once(app, runner,
                                                                         tmp_path):
    from controls.api import apply_decision

    with app.app_context():
        apply_decision("2013", "A.5.1.1", {"notes": "Written in the tracker."}, None,
                       audit_actor="system:test")
        db.session.commit()
    path = make_xlsx(tmp_path / "notes.xlsx", {"SoA": [
        ["ID", "Applicable", "Evidence reference", "Remarks"],
        ["A.5.1.1", "Yes", "POL-001", "Reviewed in March"]]})
    assert _import(runner, path).exit_code == 0
    expected = "Written in the tracker.\nEvidence reference: POL-001\nReviewed in March"
    assert _states(app)["A.5.1.1"].notes == expected
    assert _summary(runner, path)["changes"] == 0  # a second import adds nothing
    assert _import(runner, path).exit_code == 0
    assert _states(app)["A.5.1.1"].notes == expected
