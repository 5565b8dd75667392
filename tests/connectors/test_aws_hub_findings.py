"""Security Hub findings read by the collector itself, on a real moto server.

moto (5.x) keeps findings sent by BatchImportFindings and pages GetFindings by NextToken, but
ignores its Filters: the collector filters again on its side, which these tests rely on (the
archived, passed and other-account findings below come back from moto and must be dropped).
"""

import io
import json

from sqlalchemy import func, select

from connectors.aws.collectors.hub_findings import read_failed_findings
from connectors.aws.collectors.registry import CHECKS
from connectors.aws.collectors.session import Target, open_probe
from connectors.aws.findings import import_findings
from connectors.aws.models import AwsConnection, AwsFindingCheck, AwsRunAccount
from connectors.aws.runs import collect
from connectors.aws.services import ConnectionValues, save_connection
from evidence.models import EvidenceItem, EvidenceLink, EvidenceVersion
from isms.auth.models import Role
from isms.db import db
from tests.aws_helpers import Account

REGIONS = "us-east-1,eu-west-1"
FAILING_USERS = 130  # more than one page of 100


def _finding(account: str, control: str, number: int, status: str = "FAILED",
             record: str = "ACTIVE", workflow: str = "NEW", owner: str | None = None) -> dict:
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"arn:aws:securityhub:us-east-1:{account}:finding/{control}-{number}-{status}"
              f"-{record}-{workflow}-{owner or account}",
        "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
        "GeneratorId": f"security-control/{control}", "AwsAccountId": owner or account,
        "Types": ["Software and Configuration Checks"], "CreatedAt": "2026-11-01T00:00:00Z",
        "UpdatedAt": "2026-11-02T00:00:00Z", "Severity": {"Label": "HIGH"},
        "Title": f"{control} finding", "Description": "from the test",
        "Resources": [{"Type": "AwsIamUser", "Id": f"arn:aws:iam::{account}:user/u{number}",
                       "Region": "us-east-1"}],
        "Compliance": {"Status": status, "SecurityControlId": control},
        "Workflow": {"Status": workflow}, "RecordState": record,
    }


def _findings(account: str) -> list[dict]:
    kept = [_finding(account, "IAM.5", n) for n in range(FAILING_USERS)]
    kept.append(_finding(account, "IAM.5", 900, workflow="SUPPRESSED"))
    kept.append(_finding(account, "S3.8", 1))
    dropped = [_finding(account, "IAM.5", 901, record="ARCHIVED"),
               _finding(account, "IAM.5", 902, status="PASSED"),
               _finding(account, "S3.8", 903, owner="999988887777")]
    return kept + dropped


def _hub_account(endpoint: str) -> Account:
    """An account with Security Hub on in us-east-1 (not in eu-west-1), holding findings."""
    account = Account(endpoint)
    hub = account.client("securityhub")
    hub.enable_security_hub(EnableDefaultStandards=False)
    findings = _findings(account.id)
    for start in range(0, len(findings), 100):
        answer = hub.batch_import_findings(Findings=findings[start:start + 100])
        assert answer["FailedCount"] == 0, answer
    return account


def test_the_read_pages_through_and_keeps_only_active_failed_findings_of_the_account(
        aws_endpoint):
    account = _hub_account(aws_endpoint)
    probe = open_probe(Target(account.id, ("us-east-1", "eu-west-1"),
                              role_arn=f"arn:aws:iam::{account.id}:role/isms-read",
                              endpoint_url=aws_endpoint))
    raw = account.client("securityhub").get_findings(
        Filters={"RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}]}, MaxResults=100)
    assert len(raw["Findings"]) == 100 and raw.get("NextToken")  # moto pages, ignores filters
    read = read_failed_findings(probe, "us-east-1", account.id)
    assert read.status == "read"
    assert len(read.findings) == FAILING_USERS + 2
    assert {f["RecordState"] for f in read.findings} == {"ACTIVE"}
    assert {f["Compliance"]["Status"] for f in read.findings} == {"FAILED"}
    assert {f["AwsAccountId"] for f in read.findings} == {account.id}
    off = read_failed_findings(probe, "eu-west-1", account.id)
    assert (off.status, off.detail, off.findings) == (
        "not_enabled", "Security Hub is not enabled", [])


def _connection(app, owner_id, account_id) -> int:
    with app.app_context():
        connection = save_connection(ConnectionValues(
            "hub", account_id, REGIONS, owner_id,
            role_arn=f"arn:aws:iam::{account_id}:role/isms-read"), audit_actor="system:test")
        db.session.commit()
        return connection.id


def _collect(app, connection_id):
    from isms.api import local_today

    with app.app_context():
        run = collect(db.session.get(AwsConnection, connection_id), local_today(),
                      actor="system:test")
        db.session.commit()
        account = db.session.scalars(select(AwsRunAccount).filter_by(run_id=run.id)).one()
        return run.status, account.message


def _snapshot(item_id: int) -> tuple[dict, int, set]:
    item = db.session.get(EvidenceItem, item_id)
    version = db.session.get(EvidenceVersion, item.latest_version_id)
    from evidence.storage import get_storage

    with get_storage().open(version.storage_key) as stream:
        data = json.loads(stream.read())
    versions = db.session.scalar(select(func.count(EvidenceVersion.id)).filter_by(
        item_id=item_id))
    links = set(db.session.execute(select(EvidenceLink.edition, EvidenceLink.control_id)
                                   .filter_by(item_id=item_id)).all())
    return data, versions, links


def test_a_run_stores_findings_per_check_and_account_like_an_asff_import_once(
        aws_app, aws_endpoint, make_user):
    owner = make_user(Role.LEAD)
    account = _hub_account(aws_endpoint)
    connection_id = _connection(aws_app, owner.id, account.id)
    status, message = _collect(aws_app, connection_id)
    assert status == "ok", message
    assert (f"Security Hub: {FAILING_USERS + 1} active failed findings (1 suppressed apart) "
            f"in 2 checks, 2 new versions, 0 unchanged; eu-west-1: Security Hub is not "
            f"enabled.") in message
    with aws_app.app_context():
        states = {s.check_id: s for s in db.session.scalars(select(AwsFindingCheck).filter_by(
            source="securityhub", account_id=account.id))}
        assert set(states) == {"IAM.5", "S3.8"}
        assert {s.verdict for s in states.values()} == {"fail"}
        iam_item = states["IAM.5"].evidence_item_id
        iam, versions, links = _snapshot(iam_item)
        assert versions == 1
        assert iam["statuses"] == {"FAILED": FAILING_USERS}
        assert iam["muted"] == {"FAILED": 1}
        assert len(iam["failing_resources"]) == FAILING_USERS
        assert f"arn:aws:iam::{account.id}:user/u900" not in iam["failing_resources"]
        assert links == {("2013", "A.9.4.2"), ("2022", "A.8.5")}
        s3, _, s3_links = _snapshot(states["S3.8"].evidence_item_id)
        assert s3["statuses"] == {"FAILED": 1} and s3_links

        # The same findings imported as an ASFF file land on the same controls and counts.
        kept = [f for f in _findings(account.id)
                if f["RecordState"] == "ACTIVE" and f["Compliance"]["Status"] == "FAILED"
                and f["AwsAccountId"] == account.id]
        import_findings(io.BytesIO(json.dumps({"Findings": kept}).encode()), "asff",
                        owner.id, _today(), "system:test")
        db.session.commit()
        imported = db.session.scalars(select(AwsFindingCheck).filter_by(
            source="asff", check_id="IAM.5", account_id=account.id)).one()
        from_file, _, file_links = _snapshot(imported.evidence_item_id)
        assert file_links == links
        for key in ("statuses", "muted", "failing_resources", "controls", "check", "title"):
            assert from_file[key] == iam[key]

    status, message = _collect(aws_app, connection_id)
    assert "in 2 checks, 0 new versions, 2 unchanged" in message
    with aws_app.app_context():
        assert _snapshot(iam_item)[1] == 1


def _today():
    from isms.api import local_today

    return local_today()


def test_an_account_without_security_hub_says_so_and_the_checks_go_on(
        aws_app, aws_endpoint, make_user):
    owner = make_user(Role.LEAD)
    account = Account(aws_endpoint)
    status, message = _collect(aws_app, _connection(aws_app, owner.id, account.id))
    assert status == "ok"
    assert message.startswith(f"{len(CHECKS)} checks read, 0 errors.")
    assert message.split(" errors. ", 1)[1] == (
        "Security Hub: 0 active failed findings in 0 checks, 0 new versions, 0 unchanged; "
        "eu-west-1: Security Hub is not enabled; us-east-1: Security Hub is not enabled.")
    with aws_app.app_context():
        assert db.session.scalar(select(func.count(AwsFindingCheck.id)).filter_by(
            account_id=account.id)) == 0


def test_test_connection_reports_security_hub(aws_app, aws_endpoint, client, login_as):
    lead = login_as(Role.LEAD)
    account = _hub_account(aws_endpoint)
    connection_id = _connection(aws_app, lead.id, account.id)
    page = client.post(f"/aws/connections/{connection_id}/test").get_data(as_text=True)
    row = page.split("<td>Security Hub</td>", 1)[1].split("</tr>", 1)[0]
    assert "reachable" in row and "get_findings answered" in row
