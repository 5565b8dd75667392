"""Settings turn the NIS2 sheet of the SoA workbook on and off."""

import re

from sqlalchemy import select

from isms.audit import AuditEvent
from isms.auth.models import Role
from isms.db import db
from isms.org import Organisation

SETTINGS = {"name": "Cloudar", "scope": "", "timezone": "Europe/Brussels"}


def _org(app) -> Organisation:
    with app.app_context():
        org = db.session.scalars(select(Organisation)).one()
        db.session.expunge(org)
        return org


def test_the_lead_turns_the_nis2_sheet_on_and_off(app, client, login_as):
    lead = login_as(Role.LEAD)
    html = client.get("/settings").get_data(as_text=True)
    assert 'value="nis2"' in html and "NIS2 sheet" in html and "checked" not in html
    saved = client.post("/settings", data={**SETTINGS, "coverage_sheets": "nis2"})
    assert saved.status_code == 302
    assert _org(app).soa_framework_codes == ["nis2"]
    assert re.search(r'<input checked[^>]* value="nis2"', client.get("/settings").get_data(
        as_text=True))
    assert client.post("/settings", data=SETTINGS).status_code == 302
    assert _org(app).soa_frameworks == ""
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).filter_by(
            action="organisation.update").order_by(AuditEvent.seq)).all()
        changes = [(e.actor, e.after.get("soa_frameworks")) for e in events]
    assert changes == [(str(lead.id), "nis2"), (str(lead.id), "")]


def test_an_unknown_sheet_is_refused_and_nothing_is_saved(app, client, login_as):
    login_as(Role.LEAD)
    refused = client.post("/settings", data={**SETTINGS, "coverage_sheets": "soc2"})
    assert refused.status_code == 422 and "not a valid choice" in refused.get_data(as_text=True)
    assert _org(app).soa_frameworks == "" and _org(app).name == "Test organisation"
