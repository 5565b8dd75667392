"""Benchmark: collect an AWS Organization on moto with 1 and with 4 `isms worker` processes.

    python benchmarks/aws_scale.py [--accounts 100] [--regions us-east-1,eu-west-1]
                                   [--workers 1,4] [--json OUT]

A moto server (its own process) holds an organization of N member accounts; for each worker
count, a new PostgreSQL database (on ISMS_BENCH_POSTGRES_URL's server, default the local one)
is initialised, the organization added as a connection, the workers started, and
`isms aws collect --json` timed from start to the run's close (the clock starts once every
worker has registered with the queue). Prints wall time per worker count, the speed-up over
the first, and the CPU seconds moto and the workers spent meanwhile, and writes JSON with the
load averages before and after. The machines here are shared: compare the figures of one run
with each other, not with another day's.
"""

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LEAD = "bench.lead@example.com"
MANAGEMENT = "123456789012"  # moto's account for plain credentials


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_moto() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    import requests

    for _ in range(100):
        try:
            requests.get(endpoint + "/moto-api/", timeout=1)
            return process, endpoint
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit("moto server did not start")


def _organization(endpoint: str, accounts: int) -> list[str]:
    import boto3

    org = boto3.client("organizations", endpoint_url=endpoint, region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    return [org.create_account(AccountName=f"bench-{n:03d}", Email=f"bench{n}@example.com")[
        "CreateAccountStatus"]["AccountId"] for n in range(accounts)]


# What the checks read, touched once per account and region before anything is timed: moto
# builds an account's regional state (default VPC, subnets, security groups ...) on first use,
# which would otherwise be charged to whichever worker count is measured first.
WARM_READS = (("ec2", "describe_vpcs"), ("ec2", "describe_security_groups"),
              ("rds", "describe_db_instances"), ("kms", "list_keys"),
              ("config", "describe_configuration_recorders"), ("guardduty", "list_detectors"),
              ("backup", "list_backup_plans"), ("cloudtrail", "describe_trails"))


def _warm(endpoint: str, accounts: list[str], regions: list[str]) -> None:
    import boto3
    from botocore.exceptions import ClientError

    sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1")
    for account in [MANAGEMENT, *accounts]:
        keys = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                               RoleSessionName="warm-up")["Credentials"]
        session = boto3.Session(aws_access_key_id=keys["AccessKeyId"],
                                aws_secret_access_key=keys["SecretAccessKey"],
                                aws_session_token=keys["SessionToken"])
        for region in regions:
            for service, operation in WARM_READS:
                with contextlib.suppress(ClientError):
                    getattr(session.client(service, region_name=region,
                                           endpoint_url=endpoint), operation)()


def _database(server_url: str):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = make_url(server_url)
    name = f"isms_bench_aws_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


def _isms(env, *args, stdin=None) -> str:
    done = subprocess.run([str(BIN / "isms"), *args], env=env, input=stdin, text=True,
                          capture_output=True, timeout=7200)
    if done.returncode:
        raise SystemExit(f"isms {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_for_workers(url: str, workers: int) -> None:
    """Wait until every worker has registered with the queue, so start-up is not timed."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import ProgrammingError

    engine = create_engine(url)
    try:
        for _ in range(600):
            try:
                with engine.connect() as conn:
                    count = conn.scalar(text(
                        "SELECT count(*) FROM procrastinate.procrastinate_workers"))
                    if count >= workers:
                        return
            except ProgrammingError:
                pass  # the first worker has not made the queue's tables yet
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise SystemExit("the workers did not start")


def measure(endpoint: str, regions: str, workers: int, pg_server: str,
            moto_pid: int) -> dict:
    """Collect the whole organization once with this many workers; return the figures."""
    url, drop = _database(pg_server)
    instance = tempfile.mkdtemp(prefix="isms-bench-aws-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISMS_")}
    # moto accepts any credentials; these are throwaway values, not secrets.
    env.update({"ISMS_DATABASE_URL": url, "ISMS_INSTANCE_PATH": instance,
                "ISMS_SECRET_KEY": "bench-only", "ISMS_QUEUE": "postgres",
                "ISMS_AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"})
    processes = []
    try:
        _isms(env, "init")
        _isms(env, "user", "create", LEAD, "--role", "lead", "--password-stdin",
              stdin="bench lead password\n")
        _isms(env, "aws", "add-connection", "org", "--organization", "--account", MANAGEMENT,
              "--regions", regions, "--owner", LEAD)
        processes = [subprocess.Popen([str(BIN / "isms"), "worker", "--concurrency", "1"],
                                      env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL) for _ in range(workers)]
        _wait_for_workers(url, workers)
        moto_cpu = _cpu_seconds(moto_pid)
        worker_cpu = sum(_cpu_seconds(p.pid) for p in processes)
        began = time.monotonic()
        report = json.loads(_isms(env, "aws", "collect", "--json").strip().splitlines()[-1])
        wall = time.monotonic() - began
        moto_cpu = _cpu_seconds(moto_pid) - moto_cpu
        worker_cpu = sum(_cpu_seconds(p.pid) for p in processes) - worker_cpu
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        drop()
    checks = sum(a["checks"] for a in report["accounts"])
    return {"workers": workers, "accounts": len(report["accounts"]), "checks": checks,
            "slices": len(report["accounts"]) * len(regions.split(",")),
            "seconds": round(wall, 1), "moto_cpu_seconds": round(moto_cpu, 1),
            "workers_cpu_seconds": round(worker_cpu, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--regions", default="us-east-1,eu-west-1")
    parser.add_argument("--workers", default="1,4")
    parser.add_argument("--json", dest="json_out")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    load_before = os.getloadavg()
    moto, endpoint = _start_moto()
    try:
        _warm(endpoint, _organization(endpoint, args.accounts), args.regions.split(","))
        pg = os.environ.get("ISMS_BENCH_POSTGRES_URL", DEFAULT_PG)
        rows = [measure(endpoint, args.regions, int(n), pg, moto.pid)
                for n in args.workers.split(",")]
    finally:
        moto.terminate()
    base = rows[0]["seconds"]
    print(f"{'workers':>8} {'accounts':>9} {'checks':>7} {'seconds':>8} {'speed-up':>9} "
          f"{'moto cpu':>9} {'workers cpu':>12}")
    for row in rows:
        row["speed_up"] = round(base / row["seconds"], 2) if row["seconds"] else None
        print(f"{row['workers']:>8} {row['accounts']:>9} {row['checks']:>7} "
              f"{row['seconds']:>8} {row['speed_up']:>9} {row['moto_cpu_seconds']:>9} "
              f"{row['workers_cpu_seconds']:>12}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({
            "regions": args.regions, "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()], "runs": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
