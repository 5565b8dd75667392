"""AWS pages, CLI, job, failing checks on controls and inherited AWS reports."""

import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from connectors.aws.jobs import aws_collect_job
from connectors.aws.models import AwsConnection, AwsRun
from isms.auth.models import Role
from isms.db import db
from isms.jobqueue import drain
from isms.scheduler import list_jobs
from tests.aws_helpers import Account, new_account_id
from tests.aws_setups import SETUPS


def _form(account_id: str, owner_id: int, name: str = "prod") -> dict:
    return {"name": name, "account_id": account_id, "regions": "us-east-1",
            "owner_id": str(owner_id), "role_arn": f"arn:aws:iam::{account_id}:role/isms-read",
            "external_id": "", "profile": "", "is_enabled": "y"}


def _account_with_unversioned_bucket(endpoint: str) -> str:
    account = Account(endpoint, new_account_id())
    SETUPS["s3-versioning"](account, False)
    return account.id


def _add_and_collect(client, runner, lead, account_id, name="prod") -> int:
    response = client.post("/aws/connections/new", data=_form(account_id, lead.id, name))
    assert response.status_code == 302, response.get_data(as_text=True)
    result = runner.invoke(args=["aws", "collect", "--connection", name])
    assert result.exit_code == 0, result.output
    assert f"{name} ({account_id}): ok." in result.output
    with runner.app.app_context():
        return db.session.scalar(select(AwsConnection.id).filter_by(name=name))


def test_the_aws_page_shows_connections_runs_verdicts_and_snapshots(
        aws_app, aws_endpoint, client, runner, login_as):
    lead = login_as(Role.LEAD)
    account_id = _account_with_unversioned_bucket(aws_endpoint)
    connection_id = _add_and_collect(client, runner, lead, account_id)
    html = client.get("/aws").get_data(as_text=True)
    assert f"account {account_id}" in html and "ok</span>" in html
    assert "S3 buckets keep object versions" in html and "aws-fail" in html
    page = client.get(f"/aws/connections/{connection_id}/checks/s3-versioning")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "&#34;verdict&#34;: &#34;fail&#34;" in text and f"data-{account_id}" in text
    assert client.get(f"/aws/connections/{connection_id}/checks/nope").status_code == 404


def test_a_bad_connection_is_refused_with_field_errors_and_nothing_saved(
        aws_app, client, login_as):
    lead = login_as(Role.LEAD)
    for field, value, message in (("account_id", "12345", "12 digits"),
                                  ("regions", "mars-1", "region names"),
                                  ("role_arn", "arn:aws:s3:::bucket", "valid IAM role ARN")):
        response = client.post("/aws/connections/new",
                               data={**_form("123456789012", lead.id), field: value})
        assert response.status_code == 422 or response.status_code == 200
        assert message in response.get_data(as_text=True)
    with aws_app.app_context():
        assert db.session.scalar(select(func.count(AwsConnection.id))) == 0


def test_an_owner_sees_the_aws_page_but_cannot_manage_connections(aws_app, client, login_as):
    login_as(Role.OWNER)
    assert client.get("/aws").status_code == 200
    assert client.post("/aws/connections/new", data=_form("123456789012", 1)).status_code == 403


def test_a_failing_check_shows_on_its_controls_and_the_dashboard_in_flat_queries(
        aws_app, aws_endpoint, client, runner, login_as, count_queries):
    lead = login_as(Role.LEAD)
    _add_and_collect(client, runner, lead, _account_with_unversioned_bucket(aws_endpoint))

    def measure(url):
        with count_queries() as statements:
            html = client.get(url).get_data(as_text=True)
        return html, len(statements)

    detail, detail_queries = measure("/controls/A.12.3.1")
    assert "AWS checks failing" in detail and "S3 buckets keep object versions" in detail
    board, board_queries = measure("/")
    assert "Failing AWS checks" in board and "A.12.3.1" in board
    assert "AWS checks failing" not in client.get("/controls/A.5.1.1").get_data(as_text=True)
    _add_and_collect(client, runner, lead, _account_with_unversioned_bucket(aws_endpoint),
                     name="second")
    assert measure("/controls/A.12.3.1")[1] == detail_queries
    assert measure("/")[1] == board_queries


def test_cli_collect_refuses_an_unknown_connection(aws_app, runner):
    result = runner.invoke(args=["aws", "collect", "--connection", "nope"])
    assert result.exit_code != 0 and "No AWS connection named 'nope'" in result.output


def test_the_daily_job_collects_each_enabled_connection_once_a_day(
        aws_app, aws_endpoint, runner, make_user):
    lead = make_user(Role.LEAD)
    account_id = _account_with_unversioned_bucket(aws_endpoint)
    result = runner.invoke(args=["aws", "add-connection", "prod", "--account", account_id,
                                 "--regions", "us-east-1", "--owner", lead.email,
                                 "--role-arn", f"arn:aws:iam::{account_id}:role/isms-read"])
    assert result.exit_code == 0, result.output
    assert "aws-collect" in [job.id for job in list_jobs(aws_app)]
    now = datetime.now(UTC)
    with aws_app.app_context():
        aws_collect_job(now)
        drain(aws_app)  # the scheduler only queues: the run's jobs finish in the pool
        aws_collect_job(now + timedelta(minutes=5))
        drain(aws_app)
        runs = db.session.scalars(select(AwsRun)).all()
        assert [(r.trigger, r.status) for r in runs] == [("schedule", "ok")]


def _report(client, title, valid_until, inherited=True):
    data = {"kind": "third_party_report", "title": title, "owner_id": "", "controls": "",
            "issuer": "Ernst & Young CertifyPoint", "report_name": "ISO/IEC 27001 certificate",
            "period_from": "2025-01-01", "period_to": "2025-12-31",
            "collected_on": "2019-06-01", "valid_until": valid_until,
            "file": (io.BytesIO(b"%PDF-1.4 certificate"), "aws-iso27001.pdf")}
    if inherited:
        data["inherited_from_aws"] = "y"
    response = client.post("/evidence/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)


def test_inherited_aws_reports_follow_responsibility_and_show_expiry(aws_app, client, login_as):
    login_as(Role.LEAD)
    _report(client, "AWS ISO 27001 certificate", "2099-12-31")
    _report(client, "AWS SOC 2 report (old)", "2020-01-01")
    _report(client, "Our own pentest", "2099-12-31", inherited=False)
    shared = client.get("/controls/A.11.1.1").get_data(as_text=True)  # shared by default
    assert "Inherited from AWS" in shared and "ISO/IEC 27001 certificate" in shared
    assert "ev-expired" in shared and "Our own pentest</a>" not in shared
    company = client.get("/controls/A.5.1.1").get_data(as_text=True)
    assert "Inherited from AWS" not in company
    from tests.controls.test_controls import VALID

    response = client.post("/controls/A.5.1.1/edit", data={**VALID, "responsibility": "shared"})
    assert response.status_code == 302
    assert "Inherited from AWS" in client.get("/controls/A.5.1.1").get_data(as_text=True)


def test_only_third_party_reports_can_be_inherited(aws_app, client, login_as):
    login_as(Role.LEAD)
    response = client.post("/evidence/new", data={
        "kind": "statement", "title": "We trust AWS", "text": "Really.", "controls": "",
        "collected_on": "2025-01-15", "inherited_from_aws": "y"})
    assert "Only third-party reports can be inherited" in response.get_data(as_text=True)
