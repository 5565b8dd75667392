"""The benchmark's bare baselines do the work of the app's, without the app: the workbook
holds the SoA export's values, the JSON the API's rows, the workbook read the import's
controls, the boto3 loop the collection's calls."""

import io
from collections import Counter

from openpyxl import load_workbook
from sqlalchemy import select

from benchmarks.bare_app import write_bare_workbook
from benchmarks.dataset import LEAD_EMAIL, LEAD_PASSWORD, write_import_workbook
from isms.auth.models import Role, User
from isms.auth.tokens import create_token
from isms.db import db
from soa.importer import plan_import
from tests.conftest import UserInfo
from tests.evidence_helpers import upload_form


def test_the_bare_workbook_has_the_sheets_and_values_of_the_soa_export(client, login_as):
    login_as(Role.LEAD)
    client.post("/evidence/new", data=upload_form(controls="A.9.1.1 A.12.4.1"),
                content_type="multipart/form-data")
    exported = load_workbook(io.BytesIO(client.get("/soa/export.xlsx").data))
    cells = {ws.title: [list(row) for row in ws.iter_rows(values_only=True)]
             for ws in exported.worksheets}
    out = io.BytesIO()
    write_bare_workbook(out, cells)
    bare = load_workbook(io.BytesIO(out.getvalue()))
    assert bare.sheetnames == exported.sheetnames == [
        "Cover", "SoA", "Evidence", "Summary", "Mapping"]
    for sheet in bare.worksheets:
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert values == cells[sheet.title], sheet.title
    assert len(cells["SoA"]) == 115 and len(cells["Evidence"]) == 2


def _bare_client(app, tmp_path, monkeypatch):
    """The benchmark's bare app on the test's database."""
    from benchmarks.bare_app import create_app as create_bare_app

    monkeypatch.setenv("BENCH_DATABASE_URL", app.config["ISMS_DATABASE_URL"])
    monkeypatch.setenv("BENCH_UPLOAD_DIR", str(tmp_path))
    return create_bare_app().test_client()


def _demo(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        return db.session.scalars(select(User).where(User.email == LEAD_EMAIL)).one()


def test_the_bare_api_json_selects_the_rows_of_the_apis_first_pages(
        app, client, runner, tmp_path, monkeypatch):
    lead = _demo(app, runner)
    with app.app_context():
        secret = create_token(db.session.get(User, lead.id), "bench", "read",
                              actor="system:test").secret
        db.session.commit()
    auth = {"Authorization": f"Bearer {secret}"}
    bare = _bare_client(app, tmp_path, monkeypatch)

    api = client.get("/api/v1/controls", headers=auth)
    plain = bare.get("/api/controls")
    assert api.status_code == plain.status_code == 200
    fields = ("control_id", "title", "group_id", "applicability", "reasons", "justification",
              "implementation_status", "responsibility", "owner_id", "owner_name", "notes")
    rows = [[r[f] for f in fields] for r in api.json]
    assert len(rows) == 50 and rows[0][0] == "A.5.1.1"
    assert [[r[f] for f in fields] for r in plain.json] == rows

    api = client.get("/api/v1/evidence", headers=auth)
    plain = bare.get("/api/evidence")
    assert api.status_code == plain.status_code == 200
    assert int(api.headers["X-Total-Count"]) > 0
    assert plain.headers["X-Total-Count"] == api.headers["X-Total-Count"]
    assert [(r["id"], r["title"], r["owner_name"], r["controls"], r["latest"]["sha256"])
            for r in api.json] == [(r["id"], r["title"], r["owner_name"], r["controls"],
                                    r["sha256"]) for r in plain.json]


def test_the_import_workbook_has_200_rows_and_the_bare_read_finds_the_controls_it_plans(
        app, client, runner, login, tmp_path, monkeypatch):
    lead = _demo(app, runner)
    path = str(tmp_path / "soa.xlsx")
    with app.app_context():
        assert write_import_workbook(path) == 200
        summary = plan_import(path).summary()
    assert summary["matched"] == 114 and summary["unmatched_rows"] == []
    assert summary["changes"] > 100 and summary["unknown_values"] == {}
    with open(path, "rb") as source:
        data = source.read()
    login(UserInfo(lead.id, lead.email, Role.LEAD, LEAD_PASSWORD))
    page = client.post("/soa/import", data={"file": (io.BytesIO(data), "soa.xlsx")},
                       content_type="multipart/form-data")
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    bare = _bare_client(app, tmp_path, monkeypatch).post(
        "/import", data={"file": (io.BytesIO(data), "soa.xlsx")},
        content_type="multipart/form-data")
    assert bare.status_code == 200
    assert "114 controls" in bare.get_data(as_text=True)


def test_the_bare_boto3_loop_makes_the_calls_of_an_organization_collection(
        aws_app, aws_endpoint, make_user, monkeypatch):
    from botocore.client import BaseClient

    from benchmarks.aws_org import MANAGEMENT, ROLE_NAME, bare_collect, build_organization
    from connectors.aws.models import AwsConnection
    from connectors.aws.runs import collect
    from connectors.aws.services import ConnectionValues, save_connection
    from isms.api import local_today

    accounts = build_organization(aws_endpoint, members=2)
    owner = make_user(Role.LEAD)
    calls: list[tuple[str, str]] = []
    real = BaseClient._make_api_call

    def spy(self, operation, params):  # records each call; the real call still goes out
        calls.append((self.meta.service_model.service_name, operation))
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", spy)
    with aws_app.app_context():
        connection = save_connection(ConnectionValues(
            "org", MANAGEMENT, "us-east-1", owner.id, is_organization=True,
            role_name=ROLE_NAME), audit_actor="system:test")
        db.session.commit()
        run = collect(db.session.get(AwsConnection, connection.id), local_today(),
                      actor="system:test")
        db.session.commit()
        assert run.status == "ok"
    collected = Counter(calls)
    calls.clear()
    assert bare_collect(aws_endpoint, MANAGEMENT, ["us-east-1"], ROLE_NAME, 1) == 3
    assert Counter(calls) == collected
    assert collected[("sts", "AssumeRole")] == len(accounts) - 1
    assert collected[("iam", "GetLoginProfile")] == 3 * len(accounts)
    assert collected[("kms", "GetKeyRotationStatus")] == len(accounts)  # one key each
