import getpass

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from isms.audit import AuditEvent
from isms.auth.models import Role, User
from isms.db import db

LEAD = "lead@cloudar.example"


@pytest.fixture
def demo(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    return app


def _user_id(app, email) -> str:
    with app.app_context():
        return str(db.session.scalar(select(User.id).where(User.email == email)))


def _actors(app, action) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.actor).where(
            AuditEvent.action == action).order_by(AuditEvent.seq)))


def _changed_workbook(runner, tmp_path, text):
    """The demo's own SoA, exported, with one justification rewritten."""
    path = tmp_path / "soa.xlsx"
    assert runner.invoke(args=["soa", "export", "--out", str(path)]).exit_code == 0
    book = load_workbook(path)
    sheet = book["SoA"]
    header = [c.value for c in sheet[1]]
    column = header.index("Justification") + 1
    excluded = next(r for r in range(2, sheet.max_row + 1)
                    if sheet.cell(r, header.index("Applicable") + 1).value in ("No", "no"))
    sheet.cell(excluded, column).value = text
    book.save(path)
    return path


def test_a_real_soa_import_with_as_records_that_person(demo, runner, tmp_path):
    path = _changed_workbook(runner, tmp_path, "Imported by the lead")
    result = runner.invoke(args=["soa", "import", str(path), "--as", LEAD])
    assert result.exit_code == 0, result.output
    assert _actors(demo, "control.update")[-1:] == [_user_id(demo, LEAD)]


def test_without_as_the_cli_records_the_os_user(demo, runner, tmp_path):
    path = _changed_workbook(runner, tmp_path, "Imported from a shell")
    assert runner.invoke(args=["soa", "import", str(path)]).exit_code == 0
    assert _actors(demo, "control.update")[-1:] == [f"cli:{getpass.getuser()}"]


def test_the_transition_records_the_person_named_by_as(demo, runner):
    result = runner.invoke(args=["transition", "--to", "2022", "--as", LEAD])
    assert result.exit_code == 0, result.output
    lead = _user_id(demo, LEAD)
    assert _actors(demo, "organisation.transition") == [lead]
    assert set(_actors(demo, "control.transition")) == {lead}


@pytest.mark.parametrize("email,message", [
    ("nobody@example.com", "No user has the email"),
    ("cloud@cloudar.example", "is owner; this needs lead"),
])
def test_as_must_name_an_existing_user_with_an_allowed_role(demo, runner, email, message):
    result = runner.invoke(args=["transition", "--to", "2022", "--as", email])
    assert result.exit_code == 2 and message in result.output
    assert _actors(demo, "organisation.transition") == []


def test_soa_submit_and_approve_on_the_web_record_the_two_people(app, client, make_user,
                                                                  login):
    lead, admin = make_user(Role.LEAD), make_user(Role.ADMIN)
    with app.app_context():
        from controls.models import Applicability, ControlState

        for state in db.session.scalars(select(ControlState)):
            state.applicability, state.justification = Applicability.EXCLUDED, "Test"
        db.session.commit()
    login(lead)
    assert client.post("/soa/submit", data={"change_summary": "First issue"}).status_code == 302
    client.post("/logout")
    login(admin)
    assert client.post("/soa/versions/1/approve", data={"approver_title": "CEO"}
                       ).status_code == 302
    assert _actors(app, "soa.submit") == [str(lead.id)]
    assert _actors(app, "soa.approve") == [str(admin.id)]
