"""A worker's jobs share the parsed service models and reuse an account's assumed role."""

from datetime import UTC, datetime, timedelta

from connectors.aws.collectors import session as sessions
from connectors.aws.collectors.session import Target, open_probe, open_session
from tests.aws_helpers import Account


def _target(endpoint: str, account_id: str) -> Target:
    return Target(account_id, ("us-east-1", "eu-west-1"),
                  role_arn=f"arn:aws:iam::{account_id}:role/isms-read",
                  endpoint_url=endpoint)


def test_jobs_share_one_loader_and_reuse_the_role_until_near_its_expiry(aws_endpoint):
    sessions.forget_credentials()
    target = _target(aws_endpoint, Account(aws_endpoint).id)
    first, second = open_session(target), open_session(target)
    assert first.base is not second.base  # credentials are resolved afresh for each job
    assert first.base.get_component("data_loader") is second.base.get_component("data_loader")
    assert first.credentials["AccessKeyId"] == second.credentials["AccessKeyId"]

    chain = next(iter(sessions._ASSUMED))
    sessions._ASSUMED[chain] = {**sessions._ASSUMED[chain],
                                "Expiration": datetime.now(UTC) + timedelta(minutes=5)}
    third = open_session(target)
    assert third.credentials["AccessKeyId"] != first.credentials["AccessKeyId"]
    probe = open_probe(target)  # the renewed keys still reach the configured account
    assert probe.client("sts").get_caller_identity()["Account"] == target.account_id


def test_another_account_never_gets_the_cached_role_of_the_first(aws_endpoint):
    sessions.forget_credentials()
    one, two = Account(aws_endpoint).id, Account(aws_endpoint).id
    for account_id in (one, two, one):
        probe = open_probe(_target(aws_endpoint, account_id))
        assert probe.client("sts").get_caller_identity()["Account"] == account_id


def test_a_narrowed_probe_shares_the_clients_already_made(aws_endpoint):
    probe = open_probe(_target(aws_endpoint, Account(aws_endpoint).id))
    client = probe.client("ec2", "eu-west-1")
    here = probe.in_regions(["eu-west-1"])
    assert here.regions == ["eu-west-1"] and here.client("ec2") is client
