"""Collection runs: two accounts, evidence versions and links, errors, no leaked credentials."""

import json
import logging

from sqlalchemy import func, select, text

from connectors.aws.collectors.registry import BY_ID, CHECKS
from connectors.aws.models import (
    AwsCheck,
    AwsCheckResult,
    AwsConnection,
    AwsRun,
    AwsRunAccount,
)
from connectors.aws.runs import collect
from connectors.aws.services import ConnectionValues, save_connection
from evidence.models import EvidenceItem, EvidenceLink, EvidenceVersion
from isms.auth.models import Role
from isms.db import db
from tests.aws_helpers import REGION, Account
from tests.aws_setups import SETUPS

DEFAULT_ACCOUNT = "123456789012"  # moto's account for plain credentials
OTHER_ACCOUNT = "222233334444"
# Under IAM enforcement moto cannot verify signatures of these REST-JSON APIs (a moto limit,
# listed in docs/aws.md); they must then record an error too, never a pass.
UNSIGNABLE = ("backup-plan", "guardduty-enabled", "securityhub-enabled")




def _connection(app, owner_id, name, account_id, **extra) -> int:
    with app.app_context():
        connection = save_connection(ConnectionValues(name, account_id, REGION, owner_id,
                                                      **extra), audit_actor="system:test")
        db.session.commit()
        return connection.id


def _collect(app, connection_id):
    with app.app_context():
        run = collect(db.session.get(AwsConnection, connection_id), _today(app),
                      actor="system:test")
        db.session.commit()
        return run.id, run.status


def _today(app):
    from isms.api import local_today
    return local_today()


def test_a_run_over_two_accounts_stores_one_version_per_check_and_reuses_blobs(
        aws_app, aws_endpoint, make_user):
    owner = make_user(Role.LEAD)
    SETUPS["s3-versioning"](Account(aws_endpoint, DEFAULT_ACCOUNT), True)
    SETUPS["s3-versioning"](Account(aws_endpoint, OTHER_ACCOUNT), False)
    first = _connection(aws_app, owner.id, "prod", DEFAULT_ACCOUNT)
    second = _connection(aws_app, owner.id, "audit", OTHER_ACCOUNT,
                         role_arn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/isms-read",
                         external_id="isms-external-id")
    for connection_id in (first, second):
        assert _collect(aws_app, connection_id)[1] == "ok"
    with aws_app.app_context():
        versions = db.session.scalar(select(func.count(EvidenceVersion.id)))
        assert versions == 2 * len(CHECKS)
        verdicts = dict(db.session.execute(
            select(AwsCheck.connection_id, AwsCheck.verdict)
            .where(AwsCheck.check_id == "s3-versioning")).all())
        assert verdicts == {first: "pass", second: "fail"}
        state = db.session.scalars(select(AwsCheck).filter_by(
            connection_id=second, check_id="s3-versioning")).one()
        links = set(db.session.execute(select(EvidenceLink.edition, EvidenceLink.control_id)
                                       .filter_by(item_id=state.evidence_item_id)).all())
        assert links == {("2013", "A.12.3.1"), ("2022", "A.8.13")}
        item = db.session.get(EvidenceItem, state.evidence_item_id)
        latest = db.session.get(EvidenceVersion, item.latest_version_id)
        snapshot = json.loads(latest.file_name and _blob(latest))
        assert snapshot["account"] == OTHER_ACCOUNT and snapshot["verdict"] == "fail"
        assert latest.media_type == "application/json" and latest.valid_until is not None
        blobs = set(db.session.scalars(select(EvidenceVersion.sha256)))

    assert _collect(aws_app, first)[1] == "ok"
    with aws_app.app_context():
        assert db.session.scalar(select(func.count(EvidenceVersion.id))) == 3 * len(CHECKS)
        assert set(db.session.scalars(select(EvidenceVersion.sha256))) == blobs
        items = db.session.scalar(select(func.count(EvidenceItem.id)))
        assert items == 2 * len(CHECKS)


def _blob(version) -> str:
    from evidence.storage import get_storage
    with get_storage().open(version.storage_key) as stream:
        return stream.read().decode()


def test_credentials_for_another_account_are_refused_before_any_check(aws_app, make_user):
    owner = make_user(Role.LEAD)
    connection = _connection(aws_app, owner.id, "wrong", "999988887777")
    run_id, status = _collect(aws_app, connection)
    assert status == "error"
    with aws_app.app_context():
        assert "not the configured 999988887777" in db.session.get(AwsRun, run_id).message
        assert db.session.scalar(select(func.count(AwsCheckResult.id))) == 0


def _enforced_user(endpoint: str, tmp_path, monkeypatch) -> str:
    """An IAM user allowed everything but reading EBS default encryption, as a profile."""
    account = Account(endpoint)
    iam = account.client("iam")
    iam.create_user(UserName="collector")
    iam.put_user_policy(UserName="collector", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "ec2:GetEbsEncryptionByDefault", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="collector")["AccessKey"]
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[isms-test]\naws_access_key_id = {key['AccessKeyId']}\n"
                           f"aws_secret_access_key = {key['SecretAccessKey']}\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    return account.id, key


def test_access_denied_on_one_check_is_an_error_and_the_others_complete(
        aws_app, aws_endpoint, make_user, tmp_path, monkeypatch):
    from moto import settings

    account_id, _ = _enforced_user(aws_endpoint, tmp_path, monkeypatch)
    owner = make_user(Role.LEAD)
    connection = _connection(aws_app, owner.id, "enforced", account_id, profile="isms-test")
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    status = _collect(aws_app, connection)[1]
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", float("inf"))
    assert status == "partial"
    with aws_app.app_context():
        results = dict(db.session.execute(select(AwsCheckResult.check_id,
                                                 AwsCheckResult.verdict)).all())
        reasons = dict(db.session.execute(select(AwsCheckResult.check_id,
                                                 AwsCheckResult.reason)).all())
        assert results.pop("ebs-encryption-by-default") == "error"
        assert "AccessDenied" in reasons["ebs-encryption-by-default"]
        assert len(results) == len(CHECKS) - 1
        for check_id in UNSIGNABLE:
            assert results.pop(check_id) == "error"
            assert reasons[check_id].startswith("Could not read: SignatureDoesNotMatch")
        assert "error" not in results.values()
        # Security Hub's findings could not be read either: said on the run, not a crash.
        message = db.session.scalars(select(AwsRunAccount.message)).one()
        assert "us-east-1: could not read: SignatureDoesNotMatch" in message
        state = db.session.scalars(select(AwsCheck).filter_by(
            check_id="ebs-encryption-by-default")).one()
        assert state.verdict == "error" and state.evidence_item_id is None


def test_no_credentials_reach_the_database_logs_or_audit_events(
        aws_app, aws_endpoint, make_user, tmp_path, monkeypatch, caplog):
    account_id, key = _enforced_user(aws_endpoint, tmp_path, monkeypatch)
    owner = make_user(Role.LEAD)
    connection = _connection(aws_app, owner.id, "scan", account_id, profile="isms-test")
    caplog.set_level("DEBUG")
    _collect(aws_app, connection)
    secrets = [key["AccessKeyId"], key["SecretAccessKey"]]
    with aws_app.app_context():
        dump = []
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(text(f"SELECT * FROM {table.name}")).all()  # noqa: S608
            dump.extend(str(value) for row in rows for value in row)
        for version in db.session.scalars(select(EvidenceVersion)):
            dump.append(_blob(version))
    stored = "\n".join(dump)
    assert BY_ID["iam-access-keys-rotated"].id in stored  # the scan did see the run
    # What the app logs (INFO and up, and its own loggers at any level) holds neither; botocore's
    # own DEBUG output names the key id in the signature header, never the secret.
    logged = "\n".join(r.getMessage() for r in caplog.records
                       if r.levelno >= logging.INFO or r.name.startswith("isms"))
    for secret in secrets:
        assert secret not in stored and secret not in logged
    assert key["SecretAccessKey"] not in caplog.text
