"""Profile one page of the app in-process on the benchmark's dataset.

    python benchmarks/profile_page.py PATH [--scale N] [--repeat N] [--db-dir DIR]

Builds (or reuses, with --db-dir) the same dataset as run.py, signs in as the lead through the
test client (or, for a PATH under /api/, sends a read token of the lead's, as a script would),
and prints cProfile's top functions by cumulative time for PATH.
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
    args = parser.parse_args()
    work = args.db_dir or tempfile.mkdtemp(prefix="isms-profile-")
    fresh = not os.path.exists(os.path.join(work, "bench.db"))
    env = {"ISMS_DATABASE_URL": "sqlite:///" + os.path.join(work, "bench.db"),
           "ISMS_INSTANCE_PATH": os.path.join(work, "instance"),
           "ISMS_SECRET_KEY": secrets.token_hex(32)} | os.environ
    env = {k: v for k, v in env.items() if k != "ISMS_TEST_DATABASE_URL"}
    if fresh:
        create_base(env, 100_000)
    api = args.path.startswith("/api/")
    headers = {"Authorization": f"Bearer {api_token(env)}"} if api else {}
    with app_context(env) as app:
        app.config["ISMS_API_RATE_LIMIT"] = 1_000_000
        grow_evidence(args.scale)
        client = app.test_client()
        if not api:
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            client.post("/login", data={"csrf_token": token, "email": LEAD_EMAIL,
                                        "password": LEAD_PASSWORD})
        client.get(args.path, headers=headers)  # warm the templates
        if args.sql:
            from sqlalchemy import event

            from isms.db import db

            started = []

            def start(*_):
                started.append(time.perf_counter())

            def show(_conn, _cursor, statement, *_):
                took = (time.perf_counter() - started.pop()) * 1000
                print(f"SQL {took:6.2f} ms", " ".join(statement.split())[:150])

            event.listen(db.engine, "before_cursor_execute", start)
            event.listen(db.engine, "after_cursor_execute", show)
            client.get(args.path, headers=headers)
            event.remove(db.engine, "before_cursor_execute", start)
            event.remove(db.engine, "after_cursor_execute", show)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(args.repeat):
            response = client.get(args.path, headers=headers)
            response.get_data()
        profiler.disable()
        print(f"{args.path}: {response.status_code}, "
              f"{(time.perf_counter() - started) / args.repeat * 1000:.1f} ms per request")
    if args.dump:
        profiler.dump_stats(args.dump)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    return 0


if __name__ == "__main__":
    sys.exit(main())
