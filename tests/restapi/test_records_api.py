"""SoA, risks, findings, audit events and AWS runs over the API (read only)."""

import hashlib
import io

from openpyxl import load_workbook
from sqlalchemy import select

from isms.auth.models import Role, User
from isms.db import db


def test_the_soa_check_versions_and_the_frozen_workbook(app, runner, make_token, make_user,
                                                        api):
    token = make_token(Role.LEAD)
    check = api.get(token, "/api/v1/soa/check").json
    assert check["ready"] is False and "A.5.1.1" in check["undecided"]
    assert len(check["undecided"]) == 114
    assert api.get(token, "/api/v1/soa/versions").json == []
    admin = make_user(Role.ADMIN)
    with app.app_context():
        from controls.models import (
            Applicability,
            ControlState,
            ImplementationStatus,
        )
        from soa.versions import approve, submit

        for state in db.session.scalars(select(ControlState).filter_by(edition="2013")):
            state.applicability = Applicability.APPLICABLE
            state.inclusion_reasons = "business"
            state.implementation_status = ImplementationStatus.IMPLEMENTED
            state.justification = "Needed to run the service."
        db.session.flush()
        assert api.get(token, "/api/v1/soa/check").json["ready"] is True

        version = submit(db.session.get(User, token.id), "First issue")
        approve(version, db.session.get(User, admin.id), "CEO")
        db.session.commit()
    versions = api.get(token, "/api/v1/soa/versions").json
    assert [v["number"] for v in versions] == [1] and versions[0]["status"] == "approved"
    download = api.get(token, "/api/v1/soa/versions/1/workbook")
    assert download.status_code == 200
    assert hashlib.sha256(download.data).hexdigest() == versions[0]["sha256"]
    assert download.headers["Digest"] == f"sha-256={versions[0]['sha256']}"
    assert "SoA" in load_workbook(io.BytesIO(download.data)).sheetnames
    assert api.get(token, "/api/v1/soa/versions/2/workbook").status_code == 404


def test_risks_and_findings_read_with_filters_and_pages(app, make_token, api):
    token = make_token(Role.LEAD)
    with app.app_context():
        from management.findings import raise_finding
        from management.models import FindingSource, FindingType, PlanStatus, Treatment
        from management.risks import save_risk

        lead = db.session.get(User, token.id)
        for n, (likelihood, impact) in enumerate([(1, 1), (5, 5), (3, 3)], start=1):
            save_risk(None, {"ref": f"R-00{n}", "title": f"Risk {n}", "owner_id": lead.id,
                             "likelihood": likelihood, "impact": impact,
                             "treatment": Treatment.MODIFY,
                             "plan_status": PlanStatus.NOT_STARTED}, ["A.9.1.1"], "2013", lead)
        from datetime import date

        raise_finding({"type": FindingType.OBSERVATION, "source": FindingSource.INCIDENT,
                       "description": "Seen"}, lead, date.today())
        db.session.commit()
    risks = api.get(token, "/api/v1/risks?per_page=2")
    assert [r["ref"] for r in risks.json] == ["R-002", "R-003"]
    assert risks.headers["X-Total-Count"] == "3" and 'rel="next"' in risks.headers["Link"]
    assert risks.json[0]["band"] == "high" and risks.json[0]["controls"] == ["A.9.1.1"]
    assert [r["ref"] for r in api.get(token, "/api/v1/risks?band=low").json] == ["R-001"]
    findings = api.get(token, "/api/v1/findings?status=open").json
    assert [f["description"] for f in findings] == ["Seen"]
    assert api.get(token, "/api/v1/findings?status=nonsense").status_code == 422


def test_audit_events_carry_their_hashes_and_only_leads_and_admins_read_them(make_token, api):
    lead = make_token(Role.LEAD, name="audit-reader")
    events = api.get(lead, "/api/v1/audit-events?action=token.create").json
    assert events and all(len(e["hash"]) == 64 and len(e["prev_hash"]) == 64 for e in events)
    changed = api.patch(lead, "/api/v1/controls/A.9.1.1", json={
        "applicability": "applicable", "reasons": ["legal"], "implementation_status": "planned"})
    assert changed.status_code == 200
    mine = api.get(lead, f"/api/v1/audit-events?actor={lead.id}/token:*").json
    assert {e["action"] for e in mine} >= {"control.update"}
    assert api.get(lead, "/api/v1/audit-events?from=2000-01-01&until=2000-01-02").json == []
    owner = make_token(Role.OWNER)
    assert api.get(owner, "/api/v1/audit-events").status_code == 403


def test_aws_runs_are_listed_for_staff_and_not_for_auditors(app, make_token, api):
    lead = make_token(Role.LEAD)
    with app.app_context():
        from connectors.aws.models import AwsCheckResult, AwsConnection, AwsRun
        from isms.db import utcnow

        connection = AwsConnection(name="prod", account_id="123456789012",
                                   regions="eu-west-1", owner_id=lead.id)
        db.session.add(connection)
        db.session.flush()
        run = AwsRun(connection_id=connection.id, status="done", finished_at=utcnow())
        db.session.add(run)
        db.session.flush()
        db.session.add_all(AwsCheckResult(run_id=run.id, connection_id=connection.id,
                                          check_id=f"c{n}", verdict=verdict)
                           for n, verdict in enumerate(["pass", "pass", "fail"]))
        db.session.commit()
        assert db.session.scalar(select(AwsRun.id)) == run.id
    runs = api.get(make_token(Role.OWNER), "/api/v1/aws/runs").json
    assert runs[0]["connection"] == "prod" and runs[0]["results"] == {"pass": 2, "fail": 1}
    assert api.get(make_token(Role.AUDITOR), "/api/v1/aws/runs").status_code == 403


def test_the_openapi_description_and_its_page_are_public(client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200 and spec.json["openapi"].startswith("3.")
    assert "/api/v1/evidence/{item_id}/versions" in spec.json["paths"]
    assert spec.json["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "/api/v1/controls/{control_id}" in page.get_data(
        as_text=True)
