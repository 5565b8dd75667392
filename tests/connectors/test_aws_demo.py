"""`isms demo` shows AWS collection without AWS: two recorded runs, a failing root-MFA check."""

import re

from sqlalchemy import func, select

from connectors.aws.models import AwsCheckResult, AwsConnection, AwsRun
from isms.db import db


def _sign_in(client, email, password):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_the_demo_shows_two_recorded_runs_and_their_failing_checks(app, client, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        runs = db.session.scalars(select(AwsRun).order_by(AwsRun.id)).all()
        assert [(r.trigger, r.status) for r in runs] == [("demo", "ok"), ("demo", "ok")]
        assert runs[0].started_at < runs[1].started_at
        failing = db.session.scalars(select(AwsCheckResult.check_id).where(
            AwsCheckResult.run_id == runs[1].id, AwsCheckResult.verdict == "fail")).all()
        assert sorted(failing) == ["ec2-admin-ports-restricted", "iam-root-mfa",
                                   "s3-versioning"]
        assert db.session.scalar(select(func.count(AwsCheckResult.id)).where(
            AwsCheckResult.run_id == runs[0].id, AwsCheckResult.verdict != "pass")) == 0

    _sign_in(client, "lead@cloudar.example", "isms-demo-lead")
    page = client.get("/aws").get_data(as_text=True)
    assert "demo-aws" in page and "Root user has MFA" in page and "aws-fail" in page
    assert len(re.findall(r'href="/aws/runs/\d+"', page)) == 2
    control = client.get("/controls/A.9.2.3").get_data(as_text=True)
    assert "AWS checks failing: " in control
    row = control[control.index("Root user has MFA"):]
    assert "aws-fail" in row[:400] and "The root user has no MFA." in row[:600]

    client.post("/logout")
    _sign_in(client, "cloud@cloudar.example", "isms-demo-owner")
    mine = client.get("/my").get_data(as_text=True)
    assert "AWS checks failing on your controls" in mine
    assert "Root user has MFA" in mine and "A.9.2.3" in mine


def test_running_the_demo_twice_adds_no_second_connection(app, runner):
    for _ in range(2):
        assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(AwsConnection.id))) == 1
        assert db.session.scalar(select(func.count(AwsRun.id))) == 2


def test_the_dashboard_tile_and_the_digest_show_the_demo_checks(app, client, runner):
    from controls.digest import collect_digests
    from isms.api import local_today
    from isms.auth.models import User

    assert runner.invoke(args=["demo"]).exit_code == 0
    _sign_in(client, "lead@cloudar.example", "isms-demo-lead")
    board = client.get("/").get_data(as_text=True)
    tile = board[board.index('id="aws-tile"'):]
    assert "<strong>3</strong> failing" in tile[:800] and "<strong>1</strong> account" in tile
    with app.app_context():
        owner = db.session.scalars(select(User).filter_by(email="cloud@cloudar.example")).one()
        checks = collect_digests("2013", local_today())[owner.id].aws_checks
        assert {flag.check_id for flag, _ in checks} == {
            "iam-root-mfa", "s3-versioning", "ec2-admin-ports-restricted"}
