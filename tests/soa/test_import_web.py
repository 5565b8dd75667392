"""The mapping step on /soa/import: change the sheet, header row, fields and words, see the
dry run, apply in one transaction, save the mapping and reuse it."""

import html
import io
import os
import re

import pytest
from sqlalchemy import select

from controls.models import ControlState
from isms.audit import AuditEvent
from isms.auth.models import Role
from isms.catalog import get_edition
from isms.db import db
from soa.models import ImportMapping
from tests.soa.corpus import dates_2013, decide, per_theme_numbers_2022, spanish_2022


def _upload(client, path, **extra):
    return client.post("/soa/import", data={"file": (io.BytesIO(path.read_bytes()),
                                                     path.name), **extra},
                       content_type="multipart/form-data")


def _token(page: str) -> str:
    return re.search(r'/soa/import/([0-9a-f]{32})"', page).group(1)


def _words(page: str) -> dict[str, str]:
    """Unknown word -> the number of its select on the page."""
    return {html.unescape(text): n for n, text in
            re.findall(r'name="text-(\d+)" value="([^"]*)"', page)}


def _options(page: str) -> str:
    return html.unescape(re.search(r'name="options" value="([^"]*)"', page).group(1))


@pytest.mark.edition("2022")
def test_an_unknown_column_and_word_are_mapped_applied_and_the_mapping_reused(
        app, client, login_as, tmp_path):
    lead = login_as(Role.LEAD)
    with app.app_context():
        decisions = decide(get_edition("2022").items)
    path = spanish_2022(tmp_path / "es.xlsx", decisions)
    first = _upload(client, path)
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and "Preview: es.xlsx" in page
    assert 'class="header-row"' in page and "¿Aplica?" in page  # the grid, header marked
    assert re.search(r'<select id="col-C" name="col-C">\s*<option value="ignore" selected',
                     page)
    token = _token(page)
    form = {"file_name": "es.xlsx", "sheet": "", "shown_sheet": "", "header_row": "2",
            "col-A": "id", "col-B": "title", "col-C": "applicability", "col-D": "status",
            "col-E": "justification"}
    mapped = client.post(f"/soa/import/{token}", data=form).get_data(as_text=True)
    words = _words(mapped)
    assert {"Sí", "Parcial", "Implementado", "Planificado", "Sin iniciar"} <= set(words)
    assert re.search(r"<td>Sí</td><td>(\d+)</td>", mapped).group(1) == str(
        sum(d.applicable for d in decisions))  # each unknown word with its count
    meaning = {"Sí": "applicable", "Parcial": "partial", "Implementado": "implemented",
               "Planificado": "planned", "Sin iniciar": "not_started"}
    for text, value in meaning.items():
        n = words[text]
        form.update({f"word-{n}": value, f"field-{n}": "applicability" if text == "Sí"
                     else "status", f"text-{n}": text})
    preview = client.post(f"/soa/import/{token}", data=form).get_data(as_text=True)
    assert "Words that were not understood" in preview and "Apply 0 changes" not in preview
    with app.app_context():  # still nothing written: a dry run
        assert db.session.scalar(select(ControlState).filter_by(
            edition="2022", control_id="A.5.1")).applicability is None
    done = client.post(f"/soa/import/{token}/apply", data={
        "options": _options(preview), "save_as": "Spanish SoA"}, follow_redirects=True)
    assert "Imported the decisions on 93 controls." in done.get_data(as_text=True)
    with app.app_context():
        states = {s.control_id: s for s in db.session.scalars(
            select(ControlState).filter_by(edition="2022"))}
        for d in decisions:
            assert states[d.control_id].applicability.value == (
                "applicable" if d.applicable else "excluded")
            assert getattr(states[d.control_id].implementation_status, "value", None) == d.status
        saved = db.session.scalars(select(ImportMapping)).one()
        assert saved.name == "Spanish SoA" and saved.created_by_id == lead.id
        event = db.session.scalars(select(AuditEvent).filter_by(
            action="soa.import_mapping.save")).one()
        assert event.actor == str(lead.id)
        assert db.session.scalars(select(AuditEvent).filter_by(
            action="control.update")).first().actor == str(lead.id)
    assert os.listdir(os.path.join(app.instance_path, "imports")) == []

    again = _upload(client, path, mapping="Spanish SoA").get_data(as_text=True)
    assert "Apply 0 changes" in again and "Words that were not understood" in again
    assert "The workbook matches the current decisions." in again
    client.post(f"/soa/import/{_token(again)}/cancel")


@pytest.mark.edition("2022")
def test_choosing_a_sheet_reads_only_that_sheet(app, client, login_as, tmp_path):
    login_as(Role.LEAD)
    with app.app_context():
        decisions = decide(get_edition("2022").items)
    path = per_theme_numbers_2022(tmp_path / "themes.xlsx", decisions)
    page = _upload(client, path).get_data(as_text=True)
    assert "93 controls recognised" in page
    assert "Organisational, People, Physical, Technological" in page
    chosen = client.post(f"/soa/import/{_token(page)}", data={
        "file_name": "themes.xlsx", "sheet": "People", "shown_sheet": ""})
    text = chosen.get_data(as_text=True)
    people = sum(d.group == "A.6" for d in decisions)
    assert chosen.status_code == 200 and f"{people} controls recognised" in text
    bad = client.post(f"/soa/import/{_token(page)}", data={
        "file_name": "themes.xlsx", "sheet": "Nope", "shown_sheet": ""})
    assert bad.status_code == 400 and "no sheet named" in bad.get_data(as_text=True)
    assert os.listdir(os.path.join(app.instance_path, "imports")) == []


@pytest.mark.parametrize("options", [
    "not json", "[1, 2]", '{"header_row": "abc", "sheet": ["x"]}',
    '{"values": {"status": {"klaar": "finished"}}, "assign": [["colour", "D"], [1]]}',
    '{"values": [1], "assign": 5}'])
def test_tampered_options_never_answer_500(app, client, login_as, tmp_path, options):
    login_as(Role.LEAD)
    with app.app_context():
        decisions = decide(get_edition("2013").items)
    path = dates_2013(tmp_path / "t.xlsx", decisions[:5])
    token = _token(_upload(client, path).get_data(as_text=True))
    answer = client.post(f"/soa/import/{token}/apply", data={"options": options})
    assert answer.status_code == 302
    assert os.listdir(os.path.join(app.instance_path, "imports")) == []
