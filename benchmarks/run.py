"""Benchmark the tracker against bare baselines measured in the same run.

    python benchmarks/run.py [--quick] [--db sqlite|postgresql] [--json OUT] [--markdown OUT]

Builds the dataset in a database of its own (an SQLite file, or a new PostgreSQL database on
ISMS_BENCH_POSTGRES_URL's server, dropped afterwards), serves the real app and the baselines
with gunicorn (2 sync workers each) on loopback, drives both, prints a table and writes JSON.
Exits 1 if any scenario fails (a wrong status, a server that does not start); targets that
are missed are reported, not failed on: the machine may be busy.
"""

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks import report  # noqa: E402
from benchmarks.aws_org import (  # noqa: E402
    MANAGEMENT,
    ROLE_NAME,
    build_organization,
    start_moto,
)
from benchmarks.dataset import (  # noqa: E402
    LEAD_EMAIL,
    api_token,
    app_context,
    create_base,
    grow_evidence,
    isms_cli,
    lead_password_hash,
    refresh_statistics,
    write_import_workbook,
)
from benchmarks.load import ScenarioError  # noqa: E402
from benchmarks.scenarios import (  # noqa: E402
    AWS_CONNECTION,
    Bench,
    make_upload_file,
    run_api,
    run_aws,
    run_import,
    run_login,
    run_package,
    run_pages,
    run_soa,
    run_upload,
    write_package_files,
    write_workbook_cells,
)
from benchmarks.servers import Server  # noqa: E402

AUDIT_EVENTS = 100_000
PACKAGE_SCALE = 1000
# The SoA import and the AWS collection run once per run, on the fullest database of the
# pages (the collection adds evidence, so it runs after that scale's pages).
LAST_SCALE = 10000
AWS_MEMBERS, AWS_REGIONS = 3, "us-east-1"
AWS_THREADS = 2  # the in-process queue's threads (ISMS_QUEUE_THREADS' default)
PLANS = {
    "quick": {"scales": [0, 1000, LAST_SCALE], "pages": {1: 8, 8: 24}, "api": {1: 8, 8: 24},
              "soa": 1, "upload": 1, "package": 1, "login": 4, "import": 2, "aws": 1,
              "large_soa": None},
    "full": {"scales": [0, 1000, LAST_SCALE], "pages": {1: 60, 8: 160},
             "api": {1: 60, 8: 160}, "soa": 5, "upload": 5, "package": 3, "login": 20,
             "import": 10, "aws": 3, "large_soa": 100_000},
}
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (CI smoke test)")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--json", metavar="OUT", help="write the results as JSON")
    parser.add_argument("--markdown", metavar="OUT", help="write the tables as Markdown")
    args = parser.parse_args(argv)
    plan = PLANS["quick" if args.quick else "full"]
    started = time.perf_counter()
    work = tempfile.mkdtemp(prefix="isms-bench-")
    url, drop = make_database(args.db, work)
    env = server_env(url, work)
    results, servers, moto = [], [], None
    try:
        compile_bytecode()
        print(f"Building the dataset ({AUDIT_EVENTS:,} audit events) on {args.db}...", flush=True)
        create_base(env, AUDIT_EVENTS)
        with app_context(env), open(env["BENCH_PASSWORD_HASH_FILE"], "w") as out:
            out.write(lead_password_hash())
            env["BENCH_IMPORT_ROWS"] = str(write_import_workbook(env["BENCH_IMPORT_FILE"]))
        env["BENCH_API_TOKEN"] = api_token(env)
        make_upload_file(os.path.join(work, "upload.bin"))
        moto, env["ISMS_AWS_ENDPOINT_URL"] = start_moto()
        build_organization(env["ISMS_AWS_ENDPOINT_URL"], AWS_MEMBERS)
        isms_cli(env, "aws", "add-connection", AWS_CONNECTION, "--organization", "--account",
                 MANAGEMENT, "--regions", AWS_REGIONS, "--role-name", ROLE_NAME,
                 "--owner", LEAD_EMAIL)
        for scale in plan["scales"]:
            run_scale(env, work, scale, plan, results, servers, pages=True)
        if plan["large_soa"]:
            run_scale(env, work, plan["large_soa"], plan, results, servers, pages=False)
    except ScenarioError as error:
        print(f"A scenario failed: {error}", file=sys.stderr)
        return 1
    finally:
        if moto is not None:
            moto.terminate()
            moto.wait(timeout=30)
        drop()
        shutil.rmtree(work, ignore_errors=True)
    meta = report.machine(args.db, args.quick, time.perf_counter() - started)
    if not plan["large_soa"]:
        meta["skipped"] = "the 100,000-row SoA export runs in the full run only"
    checks = report.check_targets(results, servers)
    print(report.text_table(results, servers, checks))
    data = {"meta": meta, "servers": servers, "results": [r.as_dict() for r in results],
            "targets": checks}
    if args.json:
        with open(args.json, "w") as out:
            json.dump(data, out, indent=2)
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write(report.markdown(data))
    return 0


APP_SOURCES = ("isms", "restapi", "soa", "coverage", "controls", "management", "connectors",
               "evidence", "benchmarks", "wsgi.py")


def compile_bytecode() -> None:
    """Write the app's bytecode before starting servers, as a deployment does
    (`python -m compileall`, docs/deploy.md). Where PYTHONDONTWRITEBYTECODE is set, as on these
    machines, each worker would otherwise compile every module from source at start (about
    0.1 s of its first response)."""
    import compileall

    for source in APP_SOURCES:
        path = os.path.join(ROOT, source)
        if os.path.isdir(path):
            compileall.compile_dir(path, quiet=1)
        else:
            compileall.compile_file(path, quiet=1)


def run_scale(env, work, scale, plan, results, servers, pages: bool) -> None:
    """Grow the evidence to `scale`, start both servers fresh, run this scale's scenarios."""
    print(f"Scale {scale:,} evidence items...", flush=True)
    with app_context(env):
        grow_evidence(scale)
        refresh_statistics()
        versions = _count_versions()
    app = Server("benchmarks.counted_wsgi:app", env, "/login", os.path.join(work, "app.log"))
    bare = None
    try:
        bench = Bench(app, None, env["BENCH_QUERY_LOG_DIR"], scale)
        idle = app.rss.current()
        write_workbook_cells(bench, env["BENCH_SOA_CELLS"])
        files = (write_package_files(bench, env["ISMS_EVIDENCE_DIR"], env["BENCH_PACKAGE_FILES"])
                 if scale == PACKAGE_SCALE else 0)
        bare = bench.bare = Server("benchmarks.bare_app:app", env, "/table",
                                   os.path.join(work, "bare.log"))
        done = len(bench.results)
        if pages:
            run_pages(bench, plan["pages"])
            run_api(bench, plan["api"], env["BENCH_API_TOKEN"])
        run_soa(bench, plan["soa"] if pages else 1)  # the 100,000-row export: once (plus warm-up)
        if scale == 0:
            run_login(bench, plan["login"])
            run_upload(bench, plan["upload"], os.path.join(work, "upload.bin"))
        if scale == PACKAGE_SCALE:
            run_package(bench, plan["package"], files, versions)
        if pages and scale == LAST_SCALE:
            run_import(bench, plan["import"], env["BENCH_IMPORT_FILE"],
                       int(env["BENCH_IMPORT_ROWS"]))
            run_aws(bench, plan["aws"], env, env["ISMS_AWS_ENDPOINT_URL"], MANAGEMENT,
                    AWS_REGIONS, ROLE_NAME, AWS_THREADS)
        for result in bench.results[done:]:
            print("  " + report.line(result), flush=True)
        results.extend(bench.results)
        servers.append({"scale": scale, "evidence_versions": versions,
                        "first_response_s": round(app.first_response_s, 3),
                        "since_launch_s": round(app.since_launch_s, 3),
                        "first_response_cpu_s": round(app.first_response_cpu_s, 3),
                        "idle_rss_mib": round(idle / 2**20, 1),
                        # The AWS collection's peak is its own CLI process's, not a worker's.
                        "peak_rss_mib": max(r.peak_rss_mib for r in bench.results
                                            if r.scenario != "AWS collection")})
    finally:
        app.stop()
        if bare is not None:
            bare.stop()


def _count_versions() -> int:
    from evidence.models import EvidenceVersion
    from isms.db import db

    return db.session.scalar(select(func.count(EvidenceVersion.id)))


def server_env(url: str, work: str) -> dict:
    """The environment both servers and the dataset builder share."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ISMS_", "BENCH_"))}
    instance = os.path.join(work, "instance")
    for folder in ("instance", "queries", "bare-upload"):
        os.makedirs(os.path.join(work, folder), exist_ok=True)
    return env | {
        "ISMS_DATABASE_URL": url, "ISMS_INSTANCE_PATH": instance,
        "ISMS_EVIDENCE_DIR": os.path.join(instance, "evidence"),
        "ISMS_SECRET_KEY": secrets.token_hex(32), "ISMS_MAX_UPLOAD_MB": "300",
        # Raised so that signing in over and over never trips a lockout.
        "ISMS_LOGIN_MAX_FAILURES": "1000000", "ISMS_LOGIN_MAX_FAILURES_PER_IP": "1000000",
        # Raised so that the API scenarios never meet the token's rate limit.
        "ISMS_API_RATE_LIMIT": "1000000",
        # moto accepts any credentials: throwaway values for the emulated organization.
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": AWS_REGIONS.split(",")[0],
        "BENCH_DATABASE_URL": url, "BENCH_QUERY_LOG_DIR": os.path.join(work, "queries"),
        "BENCH_UPLOAD_DIR": os.path.join(work, "bare-upload"),
        "BENCH_SOA_CELLS": os.path.join(work, "soa-cells.json"),
        "BENCH_PACKAGE_FILES": os.path.join(work, "package-files.json"),
        "BENCH_PASSWORD_HASH_FILE": os.path.join(work, "password-hash"),
        "BENCH_IMPORT_FILE": os.path.join(work, "soa-200-rows.xlsx"),
    }


def make_database(kind: str, work: str):
    """Return a URL for a database of the run's own and a function that removes it."""
    if kind == "sqlite":
        return "sqlite:///" + os.path.join(work, "bench.db"), lambda: None
    server = make_url(os.environ.get("ISMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    name = f"isms_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


if __name__ == "__main__":
    print(f"Started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    sys.exit(main())
