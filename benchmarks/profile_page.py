"""Profile one page of the app in-process on the benchmark's dataset.

    python benchmarks/profile_page.py PATH [--scale N] [--repeat N] [--db-dir DIR]
        [--database-url postgresql+psycopg://...] [--sql]

Builds (or reuses, with --db-dir) the same dataset as run.py, signs in as the lead through the
test client (or, for a PATH under /api/, sends a read token of the lead's, as a script would),
and prints cProfile's top functions by cumulative time for PATH. Each request pushes its own
app context, as under gunicorn, so nothing cached in `g` or the session outlives a request.
"""

import argparse
import cProfile
import os
import pstats
import re
import secrets
import sys
import tempfile
import time

from flask import Flask

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.dataset import (  # noqa: E402
    LEAD_EMAIL,
    LEAD_PASSWORD,
    api_token,
    app_context,
    create_base,
    grow_evidence,
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--scale", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db-dir", help="keep the dataset here and reuse it next time")
    parser.add_argument("--dump", help="also write the raw profile to this file")
    parser.add_argument("--sql", action="store_true", help="print each statement's first line")
    parser.add_argument("--database-url", help="profile on this database (e.g. PostgreSQL) "
                        "instead of SQLite under --db-dir; it is filled the first time")
    args = parser.parse_args()
    work = args.db_dir or tempfile.mkdtemp(prefix="isms-profile-")
    marker = os.path.join(work, "filled")
    fresh = not os.path.exists(marker)
    url = args.database_url or "sqlite:///" + os.path.join(work, "bench.db")
    env = {"ISMS_DATABASE_URL": url,
           "ISMS_INSTANCE_PATH": os.path.join(work, "instance"),
           "ISMS_SECRET_KEY": secrets.token_hex(32)} | os.environ
    env = {k: v for k, v in env.items() if k != "ISMS_TEST_DATABASE_URL"}
    if fresh:
        create_base(env, 100_000)
        open(marker, "w").close()
    api = args.path.startswith("/api/")
    headers = {"Authorization": f"Bearer {api_token(env)}"} if api else {}
    with app_context(env) as app:
        app.config["ISMS_API_RATE_LIMIT"] = 1_000_000
        grow_evidence(args.scale)
        from isms.db import db

        engine = db.engine
        db.session.commit()
        # Each request then pushes its own app context, as under gunicorn: nothing in `g`
        # or in the session's identity map is carried over from one request to the next.
        isolated = Flask("isolated").app_context()
        isolated.push()
        try:
            response, took, profiler = _profile(app, args, api, headers, engine)
        finally:
            isolated.pop()
        print(f"{args.path}: {response.status_code}, {took * 1000:.1f} ms per request")
    if args.dump:
        profiler.dump_stats(args.dump)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    return 0


def _profile(app, args, api: bool, headers: dict, engine):
    """Sign in (pages) or not (API), warm up, show the statements if asked, then profile
    `args.repeat` requests; return the last response, the time per request and the profile."""
    client = app.test_client()
    if not api:
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        client.post("/login", data={"csrf_token": token, "email": LEAD_EMAIL,
                                    "password": LEAD_PASSWORD})
    client.get(args.path, headers=headers)  # warm the templates
    if args.sql:
        from sqlalchemy import event

        started = []

        def start(*_):
            started.append(time.perf_counter())

        def show(_conn, _cursor, statement, *_):
            took = (time.perf_counter() - started.pop()) * 1000
            print(f"SQL {took:6.2f} ms", " ".join(statement.split())[:150])

        event.listen(engine, "before_cursor_execute", start)
        event.listen(engine, "after_cursor_execute", show)
        client.get(args.path, headers=headers)
        event.remove(engine, "before_cursor_execute", start)
        event.remove(engine, "after_cursor_execute", show)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.repeat):
        response = client.get(args.path, headers=headers)
        response.get_data()
    profiler.disable()
    return response, (time.perf_counter() - started) / args.repeat, profiler


if __name__ == "__main__":
    sys.exit(main())
