"""gunicorn settings for the benchmark's servers: note when each worker starts.

`post_fork` runs in the worker right after gunicorn forks it; the time goes to the file named
by BENCH_WORKER_STARTS, so the runner can time a worker's first answer from its own start.
"""

import os
import time


def post_fork(server, worker):
    path = os.environ.get("BENCH_WORKER_STARTS")
    if path:
        with open(path, "a") as out:
            out.write(f"{os.getpid()} {time.time()}\n")
