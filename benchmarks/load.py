"""A small bounded load generator: logged-in HTTP clients, a thread pool, latency percentiles.

gunicorn's sync workers close the connection after each response, so every request opens its
own loopback connection, as a browser talking to such a server would.
"""

import http.client
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import psutil

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CHUNK = 1024 * 1024
MIB = 1024 * 1024


class ScenarioError(RuntimeError):
    """A request in a scenario did not get the answer it should."""


class Client:
    """One browser: its own cookies, one request at a time."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, body=None, headers=None,
                length: int | None = None, keep: int = 4 * MIB) -> tuple[int, dict, bytes]:
        """Send a request (body: bytes or an iterable of chunks); return status, headers, body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        try:
            all_headers = dict(headers or {})
            if self.cookies:
                all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if body is not None and not isinstance(body, bytes):
                all_headers["Content-Length"] = str(length)
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            for raw in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(raw).items():
                    self.cookies[name] = morsel.value
            data, size = [], 0
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size <= keep:  # pages are kept for checks; large downloads only counted
                    data.append(chunk)
            return response.status, dict(response.headers), b"".join(data)
        finally:
            conn.close()

    def csrf(self, path: str) -> str:
        """Return the CSRF token of the form at `path`."""
        status, _, body = self.request("GET", path)
        match = CSRF.search(body.decode("utf-8", "replace"))
        if status != 200 or match is None:
            raise ScenarioError(f"GET {path} gave {status} without a CSRF token")
        return match.group(1)

    def post_form(self, path: str, fields: dict) -> tuple[int, dict, bytes]:
        return self.request("POST", path, body=urlencode(fields).encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})

    def login(self, email: str, password: str) -> "Client":
        """Sign in through the real login form; raise unless it redirects."""
        token = self.csrf("/login")
        status, _, _ = self.post_form("/login", {"csrf_token": token, "email": email,
                                                 "password": password})
        if status != 302:
            raise ScenarioError(f"login as {email} gave {status}")
        return self


@dataclass
class Timing:
    latencies: list[float]
    wall: float

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p95(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.wall


def drive(clients: list[Client], requests: int, call) -> Timing:
    """Run `call(client)` `requests` times over the clients, one thread each; time each call."""
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = [requests]

    def worker(client):
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            started = time.perf_counter()
            call(client)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        for future in [pool.submit(worker, c) for c in clients]:
            future.result()
    return Timing(latencies, time.perf_counter() - started)


def expect(client: Client, method: str, path: str, status: int = 200, **kwargs) -> bytes:
    """Make a request and raise a ScenarioError unless it answers with `status`."""
    got, _, body = client.request(method, path, **kwargs)
    if got != status:
        raise ScenarioError(f"{method} {path} gave {got}, expected {status}")
    return body


class RssSampler:
    """Poll the RSS of a gunicorn master's workers; keep each worker's peak since a reset."""

    def __init__(self, master_pid: int, interval: float = 0.02):
        self.master = psutil.Process(master_pid)
        self.interval = interval
        self.start: dict[int, int] = {}
        self.peaks: dict[int, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sizes(self) -> dict[int, int]:
        """Return each worker's RSS now, in bytes."""
        found = {}
        for worker in self.master.children():
            try:
                found[worker.pid] = worker.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return found

    def current(self) -> int:
        """Return the largest worker RSS now."""
        return max(self.sizes().values(), default=0)

    def reset(self) -> None:
        """Start a new window: peaks and growth are measured from now."""
        with self._lock:
            self.start = self.sizes()
            self.peaks = dict(self.start)

    @property
    def peak(self) -> int:
        """Return the largest RSS any worker reached in this window."""
        return max(self.peaks.values(), default=0)

    @property
    def growth(self) -> int:
        """Return the most any one worker grew in this window."""
        return max((p - self.start.get(pid, p) for pid, p in self.peaks.items()), default=0)

    def _run(self):
        while not self._stop.wait(self.interval):
            try:
                sizes = self.sizes()
            except psutil.NoSuchProcess:
                return
            with self._lock:
                for pid, size in sizes.items():
                    self.peaks[pid] = max(self.peaks.get(pid, 0), size)

    def stop(self):
        self._stop.set()
        self._thread.join()
