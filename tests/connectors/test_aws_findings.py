"""Prowler JSON-OCSF and Security Hub ASFF findings become evidence on the right controls.

The files are written here from the formats' public field descriptions: OCSF Detection Finding
(status_code, metadata.event_code, cloud.account.uid, resources[].uid, finding_info.title, and
Prowler's unmapped.compliance) and ASFF (AwsAccountId, Compliance.Status / SecurityControlId /
RelatedRequirements, Workflow.Status, Resources[].Id), with fields the importer ignores.
"""

import io
import json

from sqlalchemy import func, select

from connectors.aws.models import AwsFindingCheck
from evidence.models import EvidenceItem, EvidenceLink, EvidenceVersion
from isms.auth.models import Role
from isms.db import db

A, B = "111111111111", "222222222222"


def _ocsf(check, account, status, resource, compliance=None, muted=False, uid="uid-1"):
    return {
        "message": f"{check} in {account}", "class_uid": 2004, "class_name": "Detection Finding",
        "category_name": "Findings", "activity_id": 1, "severity": "High", "severity_id": 4,
        "status_code": status, "status": "Suppressed" if muted else "New",
        "status_detail": f"{resource} is {status}", "time": 1732000000,
        "metadata": {"event_code": check, "product": {"name": "Prowler", "vendor_name": "Prowler"},
                     "version": "1.2.0"},
        "finding_info": {"uid": uid, "title": check.replace("_", " ").capitalize(),
                         "desc": "from the test", "created_time": 1732000000},
        "cloud": {"provider": "aws", "region": "eu-west-1",
                  "account": {"uid": account, "name": f"acct-{account[:3]}", "type": "AWS"}},
        "resources": [{"uid": resource, "name": resource.split(":")[-1], "type": "AwsIamUser",
                       "region": "eu-west-1", "something_new": {"ignored": True}}],
        "unmapped": {"compliance": compliance or {}, "related_url": "", "categories": []},
    }


def prowler_file() -> bytes:
    findings = [
        # The tool's own ISO mapping: 2022 controls, and a 2013 objective with a letter suffix.
        _ocsf("iam_root_mfa_enabled", A, "FAIL", f"arn:aws:iam::{A}:root",
              {"ISO27001-2013": ["A.9.4.J"], "ISO27001-2022": ["A.8.5"], "CIS-2.0": ["1.5"]}),
        _ocsf("iam_root_mfa_enabled", B, "PASS", f"arn:aws:iam::{B}:root",
              {"ISO27001-2013": ["A.9.4.J"], "ISO27001-2022": ["A.8.5"]}),
        # No ISO mapping at all: the check-to-control table decides.
        _ocsf("s3_bucket_object_versioning", A, "FAIL", "arn:aws:s3:::logs"),
        _ocsf("s3_bucket_object_versioning", A, "FAIL", "arn:aws:s3:::site"),
        _ocsf("s3_bucket_object_versioning", A, "PASS", "arn:aws:s3:::backups"),
        _ocsf("s3_bucket_object_versioning", A, "FAIL", "arn:aws:s3:::muted", muted=True),
        _ocsf("s3_bucket_object_versioning", B, "PASS", "arn:aws:s3:::data"),
        # Placeholder ids repeat: both findings still count.
        _ocsf("account_maintain_current_contact_details", A, "MANUAL", f"arn:aws:::{A}",
              uid="prowler-aws-placeholder"),
        _ocsf("account_maintain_current_contact_details", A, "MANUAL", f"arn:aws:::{A}",
              uid="prowler-aws-placeholder"),
    ]
    return json.dumps(findings, indent=1).encode()


def _asff(control, account, status, resource, requirements=(), workflow="NEW"):
    return {
        "SchemaVersion": "2018-10-08", "Id": f"arn:aws:securityhub:eu-west-1:{account}:x",
        "ProductArn": "arn:aws:securityhub:eu-west-1::product/aws/securityhub",
        "GeneratorId": f"security-control/{control}", "AwsAccountId": account,
        "Types": ["Software and Configuration Checks"], "CreatedAt": "2026-11-01T00:00:00Z",
        "UpdatedAt": "2026-11-02T00:00:00Z", "Severity": {"Label": "HIGH"},
        "Title": f"{control} test finding", "Description": "from the test",
        "Resources": [{"Type": "AwsAccount", "Id": resource, "Region": "eu-west-1"}],
        "Compliance": {"Status": status, "SecurityControlId": control,
                       "RelatedRequirements": list(requirements)},
        "Workflow": {"Status": workflow}, "RecordState": "ACTIVE",
        "ProductFields": {"aws/securityhub/ProductName": "Security Hub"},
    }


def asff_file() -> bytes:
    return json.dumps({"Findings": [
        _asff("IAM.9", A, "FAILED", f"AWS::::Account:{A}"),
        _asff("IAM.9", B, "PASSED", f"AWS::::Account:{B}"),
        _asff("CloudTrail.1", A, "PASSED", f"AWS::::Account:{A}",
              ["NIST.800-53.r5 AU-2", "ISO/IEC 27001:2022 Annex A.8.15"]),
        _asff("EC2.7", B, "WARNING", f"AWS::::Account:{B}"),
        _asff("EC2.7", B, "NOT_AVAILABLE", f"AWS::::Account:{B}"),
        _asff("EC2.7", B, "FAILED", f"AWS::::Account:{B}", workflow="SUPPRESSED"),
    ], "NextToken": None}).encode()


def _links(item_id):
    return set(db.session.execute(select(EvidenceLink.edition, EvidenceLink.control_id)
                                  .filter_by(item_id=item_id)).all())


def _state(source, check, account):
    return db.session.scalars(select(AwsFindingCheck).filter_by(
        source=source, check_id=check, account_id=account)).one()


def _snapshot(item_id) -> dict:
    from evidence.storage import get_storage
    item = db.session.get(EvidenceItem, item_id)
    version = db.session.get(EvidenceVersion, item.latest_version_id)
    with get_storage().open(version.storage_key) as stream:
        return json.loads(stream.read())


def test_prowler_ocsf_findings_become_evidence_per_check_and_account(
        app, runner, make_user, tmp_path):
    make_user(Role.LEAD)
    path = tmp_path / "prowler-output.ocsf.json"
    path.write_bytes(prowler_file())
    result = runner.invoke(args=["evidence", "import-findings", str(path),
                                 "--format", "prowler-ocsf", "--json"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert outcome["findings"] == 9 and outcome["checks"] == 5
    assert outcome["versions_added"] == 5 and outcome["unmapped"] == [
        "account_maintain_current_contact_details"]
    with app.app_context():
        root_a = _state("prowler-ocsf", "iam_root_mfa_enabled", A)
        assert root_a.verdict == "fail" and _state(
            "prowler-ocsf", "iam_root_mfa_enabled", B).verdict == "pass"
        # A.9.4 stands for all its controls; the 2022 control as named.
        assert _links(root_a.evidence_item_id) == {
            ("2013", "A.9.4.1"), ("2013", "A.9.4.2"), ("2013", "A.9.4.3"),
            ("2013", "A.9.4.4"), ("2013", "A.9.4.5"), ("2022", "A.8.5")}
        versioning = _state("prowler-ocsf", "s3_bucket_object_versioning", A)
        assert _links(versioning.evidence_item_id) == {("2013", "A.12.3.1"), ("2022", "A.8.13")}
        snapshot = _snapshot(versioning.evidence_item_id)
        assert snapshot["statuses"] == {"FAIL": 2, "PASS": 1}
        assert snapshot["muted"] == {"FAIL": 1}
        assert snapshot["failing_resources"] == ["arn:aws:s3:::logs", "arn:aws:s3:::site"]
        manual = _snapshot(_state("prowler-ocsf", "account_maintain_current_contact_details",
                                  A).evidence_item_id)
        assert manual["statuses"] == {"MANUAL": 2}
        versions = db.session.scalar(select(func.count(EvidenceVersion.id)))

    again = runner.invoke(args=["evidence", "import-findings", str(path),
                                "--format", "prowler-ocsf", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["versions_added"] == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(EvidenceVersion.id))) == versions


def test_asff_findings_keep_their_statuses_and_count_suppressed_apart(
        app, runner, make_user, tmp_path):
    make_user(Role.LEAD)
    path = tmp_path / "securityhub.json"
    path.write_bytes(asff_file())
    result = runner.invoke(args=["evidence", "import-findings", str(path), "--format", "asff",
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["checks"] == 4
    with app.app_context():
        root = _state("asff", "IAM.9", A)
        assert root.verdict == "fail"
        assert ("2013", "A.9.2.3") in _links(root.evidence_item_id)
        trail = _state("asff", "CloudTrail.1", A)
        assert _links(trail.evidence_item_id) == {("2022", "A.8.15")}  # its own mapping
        ec2 = _snapshot(_state("asff", "EC2.7", B).evidence_item_id)
        assert ec2["statuses"] == {"NOT_AVAILABLE": 1, "WARNING": 1}
        assert ec2["muted"] == {"FAILED": 1} and ec2["failing_resources"] == []
    again = runner.invoke(args=["evidence", "import-findings", str(path), "--format", "asff",
                                "--json"])
    assert json.loads(again.output)["versions_added"] == 0


def test_a_file_that_is_not_such_output_is_refused_with_the_reason(
        app, runner, make_user, tmp_path):
    make_user(Role.LEAD)
    cases = [(b"name,status\nx,PASS\n", "prowler-ocsf", "not a JSON array or object"),
             (b'[{"hello": "world"}]', "prowler-ocsf", "finding 1 lacks status_code"),
             (asff_file(), "prowler-ocsf", "should be a JSON array"),
             (prowler_file(), "asff", "finding 1 lacks AwsAccountId"),
             (b'[{"status_code": "PASS", ', "prowler-ocsf", "not valid JSON")]
    for number, (content, fmt, reason) in enumerate(cases):
        path = tmp_path / f"bad-{number}.json"
        path.write_bytes(content)
        result = runner.invoke(args=["evidence", "import-findings", str(path), "--format", fmt])
        assert result.exit_code != 0 and reason in result.output, (fmt, result.output)
    with app.app_context():
        assert db.session.scalar(select(func.count(EvidenceItem.id))) == 0


def test_a_large_file_streams_through_without_being_loaded_whole(
        app, runner, make_user, tmp_path):
    import tracemalloc

    make_user(Role.LEAD)
    path = tmp_path / "big.ocsf.json"
    one = json.dumps(_ocsf("s3_bucket_object_versioning", A, "FAIL", "arn:aws:s3:::b",
                           {"ISO27001-2022": ["A.8.13"]}) | {"padding": "x" * 4000})
    count = 5000  # about 25 MB
    with path.open("w") as out:
        out.write("[" + ",\n".join(one for _ in range(count)) + "]")
    tracemalloc.start()
    result = runner.invoke(args=["evidence", "import-findings", str(path),
                                 "--format", "prowler-ocsf", "--json"])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["findings"] == count
    assert peak < path.stat().st_size / 3  # never the whole file in memory


def test_the_upload_on_the_aws_page_imports_findings(app, client, login_as):
    login_as(Role.LEAD)
    response = client.post("/aws/findings", data={
        "format": "asff", "file": (io.BytesIO(asff_file()), "securityhub.json")},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "Imported 6 findings" in client.get("/aws").get_data(as_text=True)
    bad = client.post("/aws/findings", data={
        "format": "asff", "file": (io.BytesIO(b"nope"), "x.json")},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and "not a JSON array" in bad.get_data(as_text=True)
