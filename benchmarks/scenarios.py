"""The scenarios: each one times the real app and its bare baseline in the same run."""

import glob
import io
import json
import os
import statistics
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from zipfile import ZipFile

from openpyxl import load_workbook

from benchmarks.dataset import LEAD_EMAIL, LEAD_PASSWORD
from benchmarks.load import MIB, Client, ScenarioError, Timing, drive, expect

DETAIL_CONTROL = "A.12.4.1"
UPLOAD_MIB = 200
PAGES = (("control list", "/controls"), ("control detail", f"/controls/{DETAIL_CONTROL}"),
         ("evidence list", "/evidence"), ("dashboard", "/"), ("consistency checks", "/checks"),
         ("NIS2 framework", "/frameworks/nis2"))
# These pages are held to the control list measured in the same rounds; the others (the
# control list and detail) to the bare table.
PAGE_BASELINE = {"evidence list": "control list", "dashboard": "control list",
                 "consistency checks": "control list", "NIS2 framework": "control list"}
# The API's lists, each against a bare JSON route selecting the same first page of rows.
API_LISTS = (("API control list", "/api/v1/controls", "bare control JSON", "/api/controls"),
             ("API evidence list", "/api/v1/evidence", "bare evidence JSON", "/api/evidence"))
AWS_CONNECTION = "bench-org"


@dataclass
class Result:
    scenario: str
    scale: int
    clients: int
    requests: int
    p50_ms: float
    p95_ms: float
    rps: float
    baseline: str
    baseline_p50_ms: float
    baseline_p95_ms: float
    baseline_rps: float
    ratio: float  # p50 / baseline p50 (for uploads: baseline throughput / throughput)
    ratio_p95: float
    queries_per_request: float | None
    peak_rss_mib: float
    rss_growth_mib: float
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


class Bench:
    """What a scale's scenarios share: both servers, logged-in clients, the query logs."""

    def __init__(self, app_server, bare_server, query_dir: str, scale: int):
        self.app, self.bare, self.query_dir, self.scale = app_server, bare_server, query_dir, scale
        self.clients = [Client(app_server.port).login(LEAD_EMAIL, LEAD_PASSWORD)
                        for _ in range(8)]
        self.results: list[Result] = []

    def queries(self, path_prefix: str, expected: int = 1, method: str = "") -> float | None:
        """Return the mean statement count of the logged requests to this path."""
        deadline = time.perf_counter() + 3  # a worker logs a request just after closing it
        while True:
            counts = []
            for name in glob.glob(os.path.join(self.query_dir, "queries-*.log")):
                with open(name) as handle:
                    for line in handle:
                        verb, path, count = line.split()
                        if path == path_prefix and verb.startswith(method):
                            counts.append(int(count))
            if len(counts) >= expected or time.perf_counter() > deadline:
                # The median: a worker's first request also loads per-process caches.
                return statistics.median(counts) if counts else None
            time.sleep(0.05)

    def clear_queries(self) -> None:
        for name in glob.glob(os.path.join(self.query_dir, "queries-*.log")):
            os.unlink(name)

    def compare(self, scenarios, baseline, clients: int, requests: int, rounds: int,
                app_clients=None, **extra) -> list[Result]:
        """Time app scenarios and their bare baseline in alternating rounds.

        `scenarios` are (name, call, path, baseline name or None) and `baseline` is
        (name, call): each round runs a share of every one's requests in turn, so the
        baseline and the app meet the same load on a shared machine. The app's requests
        come from signed-in browsers unless `app_clients` are given.
        """
        app_clients = app_clients or self.clients[:clients]
        bare_clients = [Client(self.bare.port) for _ in range(clients)]
        entries = [(baseline[0], bare_clients, baseline[1])]
        entries += [(name, app_clients, call) for name, call, _path, _base in scenarios]
        for _key, users, call in entries:  # warm up: templates, caches, connections
            call(users[0])
        self.clear_queries()
        self.app.rss.reset()
        timings = interleave(entries, requests, rounds)
        results = []
        for name, _call, path, base_name in scenarios:
            base_name = base_name or baseline[0]
            results.append(self.record(name, clients, timings[name], base_name,
                                       timings[base_name], path, extra))
        return results

    def record(self, name, clients, timing, base_name, base, path, extra) -> Result:
        """Turn a scenario's timing and its baseline's into a result."""
        result = Result(
            name, self.scale, clients, len(timing.latencies), ms(timing.p50), ms(timing.p95),
            round(timing.rps, 2), base_name, ms(base.p50), ms(base.p95), round(base.rps, 2),
            round(timing.p50 / base.p50, 2), round(timing.p95 / base.p95, 2),
            self.queries(path, len(timing.latencies)), mib(self.app.rss.peak),
            mib(self.app.rss.growth), dict(extra))
        self.results.append(result)
        return result


def interleave(entries, requests: int, rounds: int) -> dict[str, Timing]:
    """Run each entry's requests in `rounds` turns, one entry after another."""
    latencies = {key: [] for key, _, _ in entries}
    walls = dict.fromkeys(latencies, 0.0)
    share = max(1, requests // rounds)
    for _ in range(rounds):
        for key, users, call in entries:
            timing = drive(users, share, call)
            latencies[key] += timing.latencies
            walls[key] += timing.wall
    return {key: Timing(latencies[key], walls[key]) for key in latencies}


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def mib(size: int) -> float:
    return round(size / MIB, 1)


def run_pages(bench: Bench, requests: dict[int, int]) -> None:
    """Control list, control detail, evidence list and dashboard at 1 and 8 clients."""
    pages = [(name, lambda c, p=path: expect(c, "GET", p), path, PAGE_BASELINE.get(name))
             for name, path in PAGES]
    for clients, count in requests.items():
        bench.compare(pages, ("bare table", lambda c: expect(c, "GET", "/table")), clients,
                      count, rounds=4)


def write_workbook_cells(bench: Bench, path: str) -> None:
    """Save the values of the app's SoA export, for the bare workbook to write."""
    body = expect(bench.clients[0], "GET", "/soa/export.xlsx", keep=1 << 40)
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    sheets = {ws.title: [[_plain(v) for v in row] for row in ws.iter_rows(values_only=True)]
              for ws in workbook.worksheets}
    with open(path, "w") as out:
        json.dump(sheets, out)


def _plain(value):
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    return value


def run_soa(bench: Bench, requests: int) -> None:
    """The SoA workbook against openpyxl writing the same values without styles."""
    bench.compare([("SoA export xlsx", lambda c: expect(c, "GET", "/soa/export.xlsx"),
                    "/soa/export.xlsx", None)],
                  ("bare workbook", lambda c: expect(c, "GET", "/workbook")), 1, requests,
                  rounds=requests)


def write_package_files(bench: Bench, evidence_dir: str, path: str) -> int:
    """Save the evidence files the app's package holds, for the bare zip to pack."""
    body = expect(bench.clients[0], "GET", "/audit-package.zip", keep=1 << 40)
    files, archive = [], ZipFile(io.BytesIO(body))
    for name in archive.namelist():
        if name.startswith("files/"):
            key = name.split("/")[2].split("-")[0]
            blob = os.path.join(evidence_dir, key[:2], key)
            if not os.path.exists(blob):  # a statement or link: text, not a stored file
                blob = os.path.join(os.path.dirname(path), "package-text", key)
                os.makedirs(os.path.dirname(blob), exist_ok=True)
                with open(blob, "wb") as out:
                    out.write(archive.read(name))
            files.append([name, blob])
    with open(path, "w") as out:
        json.dump(files, out)
    return len(files)


def run_package(bench: Bench, requests: int, files: int, versions: int) -> None:
    """The offline evidence package against zipping the same files in a bare route."""
    bench.compare([("evidence package", lambda c: expect(c, "GET", "/audit-package.zip"),
                    "/audit-package.zip", None)],
                  ("bare zip", lambda c: expect(c, "GET", "/package")), 1, requests,
                  rounds=requests, files=files, versions=versions)


def run_login(bench: Bench, requests: int) -> None:
    """Signing in (the POST only) against verifying the same hash in a bare route."""
    form = {"email": LEAD_EMAIL, "password": LEAD_PASSWORD}
    bare_body = f"email={LEAD_EMAIL}&password={LEAD_PASSWORD}".encode()
    posts: list[float] = []

    def sign_in(_client):
        client = Client(bench.app.port)  # a fresh browser each time
        token = client.csrf("/login")
        started = time.perf_counter()
        status, _, _ = client.post_form("/login", form | {"csrf_token": token})
        posts.append(time.perf_counter() - started)
        if status != 302:
            raise ScenarioError(f"login gave {status}")

    [result] = bench.compare(
        [("login", sign_in, "/login", None)],
        ("bare login", lambda c: expect(c, "POST", "/login", body=bare_body, headers={
            "Content-Type": "application/x-www-form-urlencoded"})), 1, requests, rounds=4)
    # Only the POST is the scenario: replace the timings with the POSTs' own.
    timed = Timing(posts[1:], sum(posts[1:]))  # the first was the warm-up
    result.p50_ms, result.p95_ms, result.rps = ms(timed.p50), ms(timed.p95), round(timed.rps, 2)
    result.ratio = round(result.p50_ms / result.baseline_p50_ms, 2)
    result.ratio_p95 = round(result.p95_ms / result.baseline_p95_ms, 2)
    result.queries_per_request = bench.queries("/login", result.requests, method="POST")


def upload_body(path: str, token: str) -> tuple[bytes, bytes, int, str]:
    """Return the multipart head and tail around a file of UPLOAD_MIB, its length and type."""
    boundary = "bench-boundary-7d1f"
    today = (date.today() - timedelta(days=1)).isoformat()
    fields = {"csrf_token": token, "kind": "file", "title": "Benchmark upload",
              "controls": DETAIL_CONTROL, "collected_on": today, "valid_until": "",
              "comment": "", "description": "", "tags": ""}
    head = "".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n"
                   f"{v}\r\n" for k, v in fields.items())
    head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
             f"filename=\"bench.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n")
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head.encode()) + os.path.getsize(path) + len(tail)
    return head.encode(), tail, length, f"multipart/form-data; boundary={boundary}"


def make_upload_file(path: str) -> None:
    block = os.urandom(MIB)
    with open(path, "wb") as out:
        for index in range(UPLOAD_MIB):
            out.write(index.to_bytes(8, "big") + block[8:])


def _chunks(head: bytes, path: str, tail: bytes):
    yield head
    with open(path, "rb") as source:
        while chunk := source.read(MIB):
            yield chunk
    yield tail


def run_upload(bench: Bench, requests: int, path: str) -> None:
    """A 200 MiB evidence file (spooled, hashed, stored) against streaming it to disk."""
    token = bench.clients[0].csrf("/evidence/new")
    head, tail, length, kind = upload_body(path, token)

    def post(client, target, status):
        expect(client, "POST", target, status, body=_chunks(head, path, tail), length=length,
               headers={"Content-Type": kind})

    [result] = bench.compare(
        [("evidence upload 200 MiB", lambda c: post(c, "/evidence/new", 302), "/evidence/new",
          None)],
        ("bare upload", lambda c: post(c, "/upload", 200)), 1, requests, rounds=requests)
    result.extra = {"mib_per_s": round(length / MIB / (result.p50_ms / 1000), 1),
                    "baseline_mib_per_s": round(length / MIB / (result.baseline_p50_ms / 1000),
                                                1)}


def run_api(bench: Bench, requests: dict[int, int], token: str) -> None:
    """The API's control and evidence lists (first page, a bearer token) against bare JSON."""
    auth = {"Authorization": f"Bearer {token}"}
    for clients, count in requests.items():
        callers = [Client(bench.app.port) for _ in range(clients)]  # no cookies: a script
        for name, path, base_name, base_path in API_LISTS:
            bench.compare([(name, lambda c, p=path: expect(c, "GET", p, headers=auth), path,
                            None)],
                          (base_name, lambda c, p=base_path: expect(c, "GET", p)), clients,
                          count, rounds=4, app_clients=callers)


def multipart(fields: dict, file_field: str, file_name: str, data: bytes,
              kind: str) -> tuple[bytes, str]:
    """Return a multipart/form-data body with the fields and one file, and its content type."""
    boundary = "bench-import-3f9a"
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
             .encode() for k, v in fields.items()]
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; "
                 f"filename=\"{file_name}\"\r\nContent-Type: {kind}\r\n\r\n".encode()
                 + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def run_import(bench: Bench, requests: int, path: str, rows: int) -> None:
    """Upload a 200-row SoA workbook and get its preview (nothing is applied) against a bare
    route that receives it, reads every cell with openpyxl and compares with the decisions.

    Each preview leaves the decisions as they were, so every request does the same work.
    """
    with open(path, "rb") as source:
        data = source.read()
    token = bench.clients[0].csrf("/soa/import")
    app_body, app_kind = multipart({"csrf_token": token, "mapping": ""}, "file",
                                   "soa-200-rows.xlsx", data, XLSX)
    bare_body, bare_kind = multipart({}, "file", "soa-200-rows.xlsx", data, XLSX)
    bench.compare(
        [("SoA import preview 200 rows",
          lambda c: expect(c, "POST", "/soa/import", body=app_body,
                           headers={"Content-Type": app_kind}), "/soa/import", None)],
        ("bare workbook read", lambda c: expect(c, "POST", "/import", body=bare_body,
                                                headers={"Content-Type": bare_kind})),
        1, requests, rounds=requests, rows=rows, bytes=len(data))


def _timed_process(args: list[str], env: dict) -> tuple[float, int, str]:
    """Run a command; return its wall time, its peak RSS and its output (raise on failure)."""
    import subprocess
    import threading

    import psutil

    started = time.perf_counter()
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    peak, done = [0], threading.Event()

    def sample():
        watched = psutil.Process(process.pid)
        while not done.wait(0.02):
            try:
                peak[0] = max(peak[0], watched.memory_info().rss)
            except psutil.Error:
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate(timeout=1800)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode:
        raise ScenarioError(f"{' '.join(args[:3])} exited with {process.returncode}: "
                            f"{(out + err)[-2000:]}")
    return wall, peak[0], out


def run_aws(bench: Bench, requests: int, env: dict, endpoint: str, management: str,
            regions: str, role_name: str, threads: int) -> None:
    """`isms aws collect --json` over the moto organization against the same boto3 calls in a
    bare loop (`benchmarks/aws_org.py`), each a process of its own, in alternating rounds."""
    import sys

    bindir = os.path.dirname(sys.executable)
    app_args = [os.path.join(bindir, "isms"), "aws", "collect", "--connection",
                AWS_CONNECTION, "--json"]
    bare_args = [sys.executable, "-m", "benchmarks.aws_org", endpoint, management, regions,
                 role_name, str(threads)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    bare_env = env | {"PYTHONPATH": root}
    # The jobs run on the in-process queue, the SQLite default, on PostgreSQL too (there the
    # default queue would wait for `isms worker` processes; benchmarks/aws_scale.py runs those).
    env = env | {"ISMS_QUEUE": "threads"}
    walls, peaks, report = {"app": [], "bare": []}, [], {}
    for index in range(requests + 1):  # the first of each is the warm-up
        wall, peak, out = _timed_process(app_args, env)
        report = json.loads(out.strip().splitlines()[-1])
        failed = [a for a in report["accounts"] if a["status"] != "ok"]
        if failed:
            raise ScenarioError(f"the AWS collection did not read every account: {failed}")
        bare_wall, _, _ = _timed_process(bare_args, bare_env)
        if index:
            walls["app"].append(wall)
            walls["bare"].append(bare_wall)
            peaks.append(peak)
    app, bare = (Timing(walls[k], sum(walls[k])) for k in ("app", "bare"))
    bench.results.append(Result(
        "AWS collection", bench.scale, 1, len(app.latencies), ms(app.p50), ms(app.p95),
        round(app.rps, 2), "bare boto3 loop", ms(bare.p50), ms(bare.p95), round(bare.rps, 2),
        round(app.p50 / bare.p50, 2), round(app.p95 / bare.p95, 2), None,
        mib(max(peaks)), 0.0,
        {"accounts": len(report["accounts"]), "regions": regions,
         "checks": sum(a["checks"] for a in report["accounts"]),
         "run_seconds": report["seconds"]}))
