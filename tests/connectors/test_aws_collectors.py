"""Every AWS check against a real AWS API on loopback (moto server), set up both ways."""

from pathlib import Path

import pytest

from connectors.aws.collectors.base import Probe, Result, Verdict, canonical_json, run_check
from connectors.aws.collectors.registry import BY_ID, CHECKS
from tests.aws_helpers import REGION, Account
from tests.aws_setups import RECORDED_ONLY, SETUPS

# These never touch the database, so CI runs them once (on SQLite), not on both databases.
pytestmark = pytest.mark.slow

DOCS = (Path(__file__).parents[2] / "docs" / "aws.md").read_text()
# API operations whose IAM action has another name.
ACTION_NAMES = {"s3:ListBuckets": "s3:ListAllMyBuckets",
                "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
                "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock"}


def verdict(endpoint: str, check_id: str, good: bool) -> Result:
    """Set a fresh account up, run the check, and assert the documented policy allows it."""
    account = Account(endpoint)
    SETUPS[check_id](account, good)
    called = set()

    def remember(model, **_):
        prefix = model.service_model.signing_name
        called.add(ACTION_NAMES.get(f"{prefix}:{model.name}", f"{prefix}:{model.name}"))

    account.session.events.register("before-call", remember)
    result = run_check(BY_ID[check_id], Probe(account.session, [REGION], endpoint))
    assert called
    missing = {action for action in called if f'"{action}"' not in DOCS}
    assert not missing, f"docs/aws.md policy lacks {missing}"
    return result


def test_every_check_is_set_up_both_ways_or_recorded():
    assert set(SETUPS) | RECORDED_ONLY == set(BY_ID)
    assert len(SETUPS) >= 20
    for check in CHECKS:
        assert check.controls_2013 and check.controls_2022


@pytest.mark.parametrize("check_id", sorted(SETUPS))
def test_a_compliant_setup_passes_and_a_non_compliant_one_fails(aws_endpoint, check_id):
    good, bad = verdict(aws_endpoint, check_id, True), verdict(aws_endpoint, check_id, False)
    assert (good.verdict, bad.verdict) == (Verdict.PASS, Verdict.FAIL), (good, bad)


def test_an_unchanged_account_gives_the_same_bytes(aws_endpoint):
    account = Account(aws_endpoint)
    SETUPS["s3-versioning"](account, True)
    check, probe = BY_ID["s3-versioning"], Probe(account.session, [REGION], aws_endpoint)
    first = canonical_json(check, account.id, [REGION], run_check(check, probe))
    second = canonical_json(check, account.id, [REGION], run_check(check, probe))
    assert first == second
    assert b"RequestId" not in first and b"Date" not in first


def test_nothing_to_check_is_not_applicable(aws_endpoint):
    account = Account(aws_endpoint)
    result = run_check(BY_ID["rds-storage-encrypted"],
                       Probe(account.session, [REGION], aws_endpoint))
    assert result.verdict is Verdict.NOT_APPLICABLE


def test_an_unreachable_region_is_an_error_not_a_pass(aws_endpoint):
    account = Account(aws_endpoint)
    probe = Probe(account.session, [REGION], "http://127.0.0.1:9")  # nothing listens there
    result = run_check(BY_ID["guardduty-enabled"], probe)
    assert result.verdict is Verdict.ERROR
    assert "EndpointConnectionError" in result.reason


def test_the_docs_list_every_check():
    for check in CHECKS:
        assert f"`{check.id}`" in DOCS
