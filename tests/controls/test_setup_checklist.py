"""The first-run checklist: derived from the data, shown on the dashboard until done."""

from sqlalchemy import select

from controls.models import Applicability, ControlState
from isms.audit import AuditEvent
from isms.auth.models import Role
from isms.db import db
from isms.org import DEFAULT_ORGANISATION_NAME, Organisation


def _rename(app, name: str, scope: str = "") -> None:
    with app.app_context():
        org = db.session.scalars(select(Organisation)).one()
        org.name, org.scope = name, scope
        db.session.commit()


def _steps(html: str) -> dict[str, str]:
    import re
    return dict(re.findall(r'id="step-(\w+)">\s*<span class="badge \w+">([^<]+)<', html))


def test_a_fresh_tracker_shows_the_checklist_until_every_step_is_done(app, client, login_as,
                                                                      make_user):
    _rename(app, DEFAULT_ORGANISATION_NAME)
    login_as(Role.LEAD)
    dashboard = client.get("/").get_data(as_text=True)
    assert "Finish setting up: 1 of 5 done" in dashboard
    assert _steps(client.get("/setup").get_data(as_text=True)) == {
        "organisation": "To do", "scope": "To do", "edition": "Done", "owners": "To do",
        "decisions": "To do"}

    saved = client.post("/settings?next=/setup", data={
        "name": "Acme", "scope": "The SaaS platform", "timezone": "Europe/Brussels"})
    assert saved.status_code == 302 and saved.headers["Location"] == "/setup"
    make_user(Role.OWNER)
    assert "Finish setting up: 4 of 5 done" in client.get("/").get_data(as_text=True)

    assert client.post("/setup/start-fresh").status_code == 302
    assert client.post("/setup/start-fresh").status_code == 302  # twice records it once
    with app.app_context():
        assert len(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "setup.start_fresh")).all()) == 1
    page = client.get("/setup").get_data(as_text=True)
    assert "Everything is in place" in page and "To do" not in page
    assert "Finish setting up" not in client.get("/").get_data(as_text=True)


def test_a_decided_control_completes_the_import_step(app, client, login_as, make_user):
    _rename(app, "Acme", "Everything")
    make_user(Role.OWNER)
    login_as(Role.LEAD)
    assert "Finish setting up: 4 of 5 done" in client.get("/").get_data(as_text=True)
    with app.app_context():
        state = db.session.scalars(select(ControlState).filter_by(control_id="A.5.1.1")).first()
        state.applicability = Applicability.APPLICABLE
        db.session.commit()
    assert "Finish setting up" not in client.get("/").get_data(as_text=True)


def test_only_the_lead_and_admin_see_the_checklist(app, client, login_as):
    _rename(app, DEFAULT_ORGANISATION_NAME)
    login_as(Role.OWNER)
    assert "Finish setting up" not in client.get("/").get_data(as_text=True)
    assert client.get("/setup").status_code == 403
    assert client.post("/setup/start-fresh").status_code == 403
