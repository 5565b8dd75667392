"""Start and stop gunicorn (2 sync workers) on a free loopback port, timing the first answer."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time

from benchmarks.load import RssSampler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKERS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn master serving `module` with the given environment."""

    def __init__(self, module: str, env: dict, ready_path: str, log_path: str):
        self.port = free_port()
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        self.log = open(log_path, "ab")  # noqa: SIM115 (closed in stop)
        starts = log_path + ".workers"
        if os.path.exists(starts):
            os.remove(starts)
        started = time.perf_counter()
        self.process = subprocess.Popen(
            # --preload, as docs/deploy.md runs it: the master imports the app once and each
            # worker starts from a fork of it.
            [gunicorn, "--workers", str(WORKERS), "--worker-class", "sync", "--preload",
             "--config", "python:benchmarks.gunicorn_hooks",
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "600", "--chdir", ROOT, module],
            env=dict(env, BENCH_WORKER_STARTS=starts), stdout=self.log,
            stderr=subprocess.STDOUT)
        # The target is the worker's: from the moment gunicorn forks it (noted by the post_fork
        # hook) to its first answer. The master's own start (importing gunicorn and the app,
        # binding the socket) comes before it and is reported apart.
        self.since_launch_s = self._wait(ready_path, started)
        answered = time.time()
        with open(starts) as lines:
            first_fork = min(float(line.split()[1]) for line in lines if line.strip())
        self.first_response_s = answered - first_fork
        self.rss = RssSampler(self.process.pid)
        # CPU seconds the busiest worker spent to get there: unlike the wall clock, this
        # does not depend on what else the shared machine is doing.
        self.first_response_cpu_s = max(
            (sum(w.cpu_times()[:2]) for w in self.rss.master.children()), default=0.0)

    def _wait(self, path: str, started: float) -> float:
        deadline = started + 60
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see "
                                   f"{self.log.name}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", path)
                status = conn.getresponse().status
                conn.close()
                if status < 500:
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.01)
        raise RuntimeError(f"gunicorn did not answer {path} within 60 s")

    def stop(self) -> None:
        self.rss.stop()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
