"""A whole AWS Organization (20 members, 2 regions) on a moto server: on the SQLite default with
no worker, and on PostgreSQL shared by three `isms worker` processes, one of them killed."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import boto3
import psycopg
import pytest
from sqlalchemy.engine import make_url

from connectors.aws.collectors.registry import CHECKS, checks_for
from tests.aws_helpers import REGION, Account
from tests.aws_setups import SETUPS
from tests.live_server import ISMS

pytestmark = pytest.mark.slow
MANAGEMENT = "123456789012"  # moto's account for plain credentials
REGIONS = f"{REGION},eu-west-1"
MEMBERS = 20
LEAD = "lead@example.com"


@pytest.fixture(scope="module")
def organization(aws_endpoint):
    """An organization of 20 member accounts, one OU holding the first five."""
    org = boto3.client("organizations", endpoint_url=aws_endpoint, region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    unit = org.create_organizational_unit(ParentId=root, Name="production")[
        "OrganizationalUnit"]["Id"]
    members = []
    for number in range(MEMBERS):
        status = org.create_account(AccountName=f"member-{number:02d}",
                                    Email=f"member{number}@example.com")["CreateAccountStatus"]
        members.append(status["AccountId"])
    for member in members[:5]:
        org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=unit)
    # One member keeps an unversioned bucket: its check fails for that account alone.
    SETUPS["s3-versioning"](Account(aws_endpoint, members[3]), False)
    return {"members": members, "unit": unit}


def _env(tmp_path: Path, endpoint: str, **settings) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISMS_")}
    env.update(ISMS_INSTANCE_PATH=str(tmp_path / "instance"), ISMS_SECRET_KEY="org-test",
               ISMS_PASSWORD_HASH="pbkdf2:sha256:1000", ISMS_AWS_ENDPOINT_URL=endpoint,
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION=REGION, **settings)
    return env


def _isms(env: dict, *args: str, stdin: str | None = None, timeout: int = 900):
    done = subprocess.run([ISMS, *args], env=env, input=stdin, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _prepare(env: dict, *extra: str) -> None:
    _isms(env, "init")
    _isms(env, "user", "create", LEAD, "--role", "lead", "--password-stdin",
          stdin="a long enough password\n")
    _isms(env, "aws", "add-connection", "org", "--organization", "--account", MANAGEMENT,
          "--regions", REGIONS, "--role-name", "OrganizationAccountAccessRole",
          "--owner", LEAD, *extra)


def _collect(env: dict) -> dict:
    return json.loads(_isms(env, "aws", "collect", "--json").strip().splitlines()[-1])


def _assert_whole_organization(report: dict, organization: dict) -> None:
    accounts = {a["account"]: a for a in report["accounts"]}
    assert report["connection"] == "org" and report["seconds"] >= 0
    assert set(accounts) == {MANAGEMENT, *organization["members"]}
    assert all(a["checks"] == len(CHECKS) and a["status"] in ("ok", "partial")
               for a in accounts.values())
    assert accounts[organization["members"][3]]["failed"] > accounts[
        organization["members"][4]]["failed"]


def test_an_organization_is_collected_on_the_sqlite_default_without_a_worker(
        tmp_path, aws_endpoint, organization):
    env = _env(tmp_path, aws_endpoint)
    _prepare(env)
    report = _collect(env)
    _assert_whole_organization(report, organization)
    assert len(report["accounts"]) == MEMBERS + 1


def test_include_and_exclude_pick_accounts_by_id_and_ou(tmp_path, aws_endpoint, organization):
    members = organization["members"]
    env = _env(tmp_path, aws_endpoint)
    _prepare(env, "--include", f"{organization['unit']},{members[10]}",
             "--exclude", members[0])
    report = _collect(env)
    assert sorted(a["account"] for a in report["accounts"]) == sorted(
        [*members[1:5], members[10]])


def _query(url: str, sql: str) -> list[tuple]:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(
        hide_password=False)
    with psycopg.connect(conninfo) as conn:
        return conn.execute(sql).fetchall()


def _workers(env: dict, count: int, log_dir: Path,
             concurrency: int = 2) -> list[subprocess.Popen]:
    workers = []
    for number in range(count):
        log = open(log_dir / f"worker-{number}.log", "w")  # noqa: SIM115 (closed with the process)
        workers.append(subprocess.Popen([ISMS, "worker", "--concurrency", str(concurrency)],
                                        env=env,
                                        stdout=log, stderr=subprocess.STDOUT))
    return workers


def _stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def _pg_env(tmp_path, aws_endpoint, scratch_postgres_url, **settings) -> dict:
    return _env(tmp_path, aws_endpoint, ISMS_DATABASE_URL=scratch_postgres_url,
                ISMS_QUEUE="postgres", ISMS_WORKER_HEARTBEAT="1", **settings)


def test_three_workers_on_postgresql_run_each_account_and_region_job_exactly_once(
        tmp_path, aws_endpoint, organization, scratch_postgres_url):
    env = _pg_env(tmp_path, aws_endpoint, scratch_postgres_url, ISMS_WORKER_STALLED_AFTER="30")
    _prepare(env)
    workers = _workers(env, 3, tmp_path)
    try:
        report = _collect(env)
    finally:
        _stop(workers)
    _assert_whole_organization(report, organization)
    slices = _query(scratch_postgres_url, "SELECT attempts, status, checks_done, is_primary "
                                          "FROM aws_run_slices")
    assert len(slices) == (MEMBERS + 1) * 2
    assert {(attempts, status) for attempts, status, _, _ in slices} == {(1, "done")}
    assert all(done == len(checks_for(primary)) for _, _, done, primary in slices)
    jobs = _query(scratch_postgres_url, "SELECT status::text, attempts "
                                        "FROM procrastinate.procrastinate_jobs")
    assert len(jobs) == len(slices) and {j[0] for j in jobs} == {"succeeded"}


def test_a_worker_killed_mid_job_has_its_job_retried_and_the_run_completes(
        tmp_path, aws_endpoint, organization, scratch_postgres_url):
    members = organization["members"]
    env = _pg_env(tmp_path, aws_endpoint, scratch_postgres_url,
                  ISMS_WORKER_STALLED_AFTER="8", ISMS_TEST_PAUSE_AT="aws.collect_slice")
    _prepare(env, "--include", ",".join(members[:3]))
    # One job at a time per worker: the killed one holds exactly the paused job.
    workers = _workers(env, 3, tmp_path, concurrency=1)
    collect = subprocess.Popen([ISMS, "aws", "collect", "--json"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        marker = tmp_path / "instance" / "paused"
        deadline = time.monotonic() + 300
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.2)
        victim = int(marker.read_text())
        assert victim in [w.pid for w in workers]
        os.kill(victim, signal.SIGKILL)
        marker.unlink()
        out, err = collect.communicate(timeout=600)
    finally:
        _stop(workers)
    assert collect.returncode == 0, out + err
    report = json.loads(out.strip().splitlines()[-1])
    assert sorted(a["account"] for a in report["accounts"]) == sorted(members[:3])
    assert all(a["checks"] == len(CHECKS) for a in report["accounts"])
    attempts = sorted(a for (a,) in _query(scratch_postgres_url,
                                           "SELECT attempts FROM aws_run_slices"))
    assert attempts == [1] * 5 + [2]  # the killed one ran again, on another worker
    assert _query(scratch_postgres_url, "SELECT status FROM aws_runs") == [("ok",)]
