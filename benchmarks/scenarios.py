"""The scenarios: each one times the real app and its bare baseline in the same run."""

import glob
import io
import json
import os
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
         ("evidence list", "/evidence"), ("dashboard", "/"))
# Evidence list and dashboard are held to the control list; the other pages to the bare table.
PAGE_BASELINE = {"evidence list": "control list", "dashboard": "control list"}


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

    def queries(self, path_prefix: str) -> float | None:
        """Return the mean statement count of the logged requests under `path_prefix`."""
        counts = []
        for name in glob.glob(os.path.join(self.query_dir, "queries-*.log")):
            with open(name) as handle:
                for line in handle:
                    _method, path, count = line.split()
                    if path.startswith(path_prefix) or path == path_prefix:
                        counts.append(int(count))
        return round(sum(counts) / len(counts), 1) if counts else None

    def clear_queries(self) -> None:
        for name in glob.glob(os.path.join(self.query_dir, "queries-*.log")):
            os.unlink(name)

    def measure(self, name, clients, requests, call, base_name, base_timing: Timing,
                query_path: str, warmup: int = 1, **extra) -> Result:
        """Time `call` on the app, with its query count and memory, against a baseline."""
        for _ in range(warmup):
            call(clients[0])
        self.clear_queries()
        self.app.rss.reset()
        timing = drive(clients, requests, call)
        result = Result(
            name, self.scale, len(clients), requests, ms(timing.p50), ms(timing.p95),
            round(timing.rps, 2), base_name, ms(base_timing.p50), ms(base_timing.p95),
            round(base_timing.rps, 2), round(timing.p50 / base_timing.p50, 2),
            round(timing.p95 / base_timing.p95, 2), self.queries(query_path),
            mib(self.app.rss.peak), mib(self.app.rss.growth), extra)
        self.results.append(result)
        return result

    def bare_timing(self, clients: int, requests: int, call, warmup: int = 1) -> Timing:
        bare = [Client(self.bare.port) for _ in range(clients)]
        for _ in range(warmup):
            call(bare[0])
        return drive(bare, requests, call)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def mib(size: int) -> float:
    return round(size / MIB, 1)


def run_pages(bench: Bench, requests: dict[int, int]) -> None:
    """Control list, control detail, evidence list and dashboard at 1 and 8 clients."""
    for clients, count in requests.items():
        table = bench.bare_timing(clients, count, lambda c: expect(c, "GET", "/table"))
        measured = {}
        for name, path in PAGES:
            base_name = PAGE_BASELINE.get(name, "bare table")
            base = measured.get(base_name, table)
            result = bench.measure(name, bench.clients[:clients], count,
                                   lambda c, p=path: expect(c, "GET", p), base_name, base,
                                   path, warmup=2)
            measured[name] = Measured(result.p50_ms / 1000, result.p95_ms / 1000, result.rps)


@dataclass
class Measured:
    """A page's figures, standing in as another page's baseline."""

    p50: float
    p95: float
    rps: float


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
    base = bench.bare_timing(1, requests, lambda c: expect(c, "GET", "/workbook"))
    bench.measure("SoA export xlsx", bench.clients[:1], requests,
                  lambda c: expect(c, "GET", "/soa/export.xlsx"), "bare workbook", base,
                  "/soa/export.xlsx")


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
    base = bench.bare_timing(1, requests, lambda c: expect(c, "GET", "/package"))
    bench.measure("evidence package", bench.clients[:1], requests,
                  lambda c: expect(c, "GET", "/audit-package.zip"), "bare zip", base,
                  "/audit-package.zip", files=files, versions=versions)


def run_login(bench: Bench, requests: int) -> None:
    """Signing in (the POST only) against verifying the same hash in a bare route."""
    form = {"email": LEAD_EMAIL, "password": LEAD_PASSWORD}
    base = bench.bare_timing(1, requests, lambda c: expect(c, "POST", "/login", body=(
        f"email={LEAD_EMAIL}&password={LEAD_PASSWORD}").encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded"}))

    def sign_in(_client):
        client = Client(bench.app.port)
        token = client.csrf("/login")
        started = time.perf_counter()
        status, _, _ = client.post_form("/login", form | {"csrf_token": token})
        sign_in.times.append(time.perf_counter() - started)
        if status != 302:
            raise ScenarioError(f"login gave {status}")

    sign_in.times = []
    result = bench.measure("login", [Client(bench.app.port)], requests, sign_in, "bare login",
                           base, "/login")
    # Only the POST is the scenario: replace the timings with the POSTs' own.
    posts = Timing(sign_in.times[-requests:], sum(sign_in.times[-requests:]))
    result.p50_ms, result.p95_ms, result.rps = ms(posts.p50), ms(posts.p95), round(posts.rps, 2)
    result.ratio = round(posts.p50 / base.p50, 2)
    result.ratio_p95 = round(posts.p95 / base.p95, 2)
    result.queries_per_request = _post_queries(bench)


def _post_queries(bench: Bench) -> float | None:
    counts = []
    for name in glob.glob(os.path.join(bench.query_dir, "queries-*.log")):
        with open(name) as handle:
            counts += [int(line.split()[2]) for line in handle if line.startswith("POST ")]
    return round(sum(counts) / len(counts), 1) if counts else None


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

    base = bench.bare_timing(1, requests, lambda c: post(c, "/upload", 200))
    result = bench.measure("evidence upload 200 MiB", bench.clients[:1], requests,
                           lambda c: post(c, "/evidence/new", 302), "bare upload", base,
                           "/evidence/new")
    result.extra = {"mib_per_s": round(length / MIB / (result.p50_ms / 1000), 1),
                    "baseline_mib_per_s": round(length / MIB / base.p50, 1)}
