"""A real AWS API on loopback (moto server) with a fresh account per use, via AssumeRole."""

import json
import os
import random

import boto3

REGION = "us-east-1"


def start_moto():
    """Start moto in server mode on a free loopback port; return (server, endpoint)."""
    from moto.server import ThreadedMotoServer

    from tests.conftest import free_port

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto keeps its accounts in process-wide state: start each server empty, whatever ran
    # before it in this process (in parallel runs a worker's files come in any order).
    import requests

    requests.post(endpoint + "/moto-api/reset", timeout=30).raise_for_status()
    return server, endpoint


def new_account_id() -> str:
    return str(random.randint(10**11, 10**12 - 1))


def account_session(endpoint: str, account_id: str) -> boto3.Session:
    """A session in another moto account: moto maps AssumeRole credentials to its account."""
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=REGION)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/setup",
                            RoleSessionName="test-setup")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=REGION)


class Account:
    """Clients on one fresh moto account."""

    def __init__(self, endpoint: str, account_id: str | None = None):
        self.endpoint = endpoint
        self.id = account_id or new_account_id()
        self.session = account_session(endpoint, self.id)

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.endpoint, region_name=REGION)


def ssl_only_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
