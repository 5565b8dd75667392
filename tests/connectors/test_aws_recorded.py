"""Checks whose states moto cannot set up (root MFA, root keys, old keys): recorded responses.

The replay below answers the same IAM calls the collectors make with responses recorded from
the AWS API; these checks are listed as such in docs/aws.md.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.aws.collectors import iam
from connectors.aws.collectors.base import Verdict

RECORDED = json.loads((Path(__file__).parents[1] / "data" / "aws" / "recorded.json").read_text())
NOW = datetime(2026, 11, 25, tzinfo=UTC)


class Replay:
    """An IAM endpoint that answers from recorded responses (no network, no boto3 client)."""

    def __init__(self, summary: str = "", keys: str = ""):
        self.summary, self.keys = summary, keys

    def client(self, service: str, region=None):
        assert service == "iam"
        return self

    def get_account_summary(self):
        return RECORDED["GetAccountSummary"][self.summary]

    def get_paginator(self, operation: str):
        assert operation == "list_users"
        return self

    def paginate(self):
        return [RECORDED["ListUsers"]]

    def list_access_keys(self, UserName: str):
        response = json.loads(json.dumps(RECORDED["ListAccessKeys"][self.keys]))
        for key in response["AccessKeyMetadata"]:
            key["CreateDate"] = datetime.fromisoformat(key["CreateDate"])
        return response


@pytest.mark.parametrize("check,state,expected", [
    (iam.root_mfa, "root_with_mfa_no_keys", Verdict.PASS),
    (iam.root_mfa, "root_without_mfa_with_keys", Verdict.FAIL),
    (iam.root_no_access_keys, "root_with_mfa_no_keys", Verdict.PASS),
    (iam.root_no_access_keys, "root_without_mfa_with_keys", Verdict.FAIL),
])
def test_root_checks_judge_recorded_account_summaries(check, state, expected):
    assert check(Replay(summary=state)).verdict is expected


def test_access_keys_older_than_90_days_fail_and_key_ids_are_not_kept():
    fresh = iam.access_keys_rotated(Replay(keys="fresh"), now=NOW)
    stale = iam.access_keys_rotated(Replay(keys="stale"), now=NOW)
    assert (fresh.verdict, stale.verdict) == (Verdict.PASS, Verdict.FAIL)
    assert stale.data == {"users": {"ci-deploy": {"active_keys": 1, "older_than_90_days": 1}}}
    assert "AKIA" not in json.dumps(stale.data)
