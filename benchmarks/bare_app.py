"""The bare baselines, served by gunicorn like the real app: `gunicorn benchmarks.bare_app:app`.

Each route does the least a page or a download of its kind can do, so the real app's figures
are read as ratios against it on the same machine, in the same run:

- /table: select the 114 control rows (with catalog title and owner) and render a Jinja table;
- /workbook: openpyxl write-only of the SoA export's sheets and values, without styles;
- /upload: stream the request body to disk in 1 MiB chunks while hashing it;
- /login: verify the lead's stored password hash;
- /package: zip the same evidence files as the package, streamed.

Data that is not read from the database comes from files the runner writes (BENCH_* vars).
"""

import hashlib
import io
import json
import os
import tempfile
import zipfile
from datetime import date, datetime

from flask import Flask, Response, render_template_string, request
from openpyxl import Workbook
from sqlalchemy import create_engine, text
from werkzeug.security import check_password_hash

CHUNK = 1024 * 1024
TABLE = """<!doctype html><title>Controls</title><table>
<tr><th>ID</th><th>Control</th><th>Applicable</th><th>Status</th><th>Responsibility</th>
<th>Owner</th></tr>
{% for r in rows %}<tr><td>{{ r.control_id }}</td><td>{{ r.title }}</td>
<td>{{ r.applicability or "" }}</td><td>{{ r.implementation_status or "" }}</td>
<td>{{ r.responsibility }}</td><td>{{ r.owner or "" }}</td></tr>{% endfor %}
</table>"""
ROWS = text("""SELECT c.control_id, c.title, s.applicability, s.implementation_status,
                      s.responsibility, u.name AS owner
               FROM control_states s
               JOIN catalog_controls c ON c.edition = s.edition AND c.control_id = s.control_id
               LEFT JOIN users u ON u.id = s.owner_id
               WHERE s.edition = :edition ORDER BY c.position""")


def write_bare_workbook(out, sheets: dict[str, list[list]]) -> None:
    """Write the sheets' values with openpyxl's write-only mode and nothing else."""
    workbook = Workbook(write_only=True)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(out)


def load_sheets(path: str) -> dict[str, list[list]]:
    """Read the cells the runner saved, turning ISO dates back into dates."""
    with open(path) as handle:
        sheets = json.load(handle)
    return {title: [[_revive(v) for v in row] for row in rows] for title, rows in sheets.items()}


def _revive(value):
    if isinstance(value, dict) and "date" in value:
        return date.fromisoformat(value["date"])
    if isinstance(value, dict) and "datetime" in value:
        return datetime.fromisoformat(value["datetime"])
    return value


def create_app() -> Flask:
    """Build the baseline app from the BENCH_* environment."""
    app = Flask(__name__)
    engine = create_engine(os.environ["BENCH_DATABASE_URL"])
    state: dict = {}

    def data(name: str, loader):
        if name not in state:
            state[name] = loader(os.environ[name])
        return state[name]

    @app.get("/table")
    def table():
        with engine.connect() as conn:
            rows = conn.execute(ROWS, {"edition": "2013"}).all()
        return render_template_string(TABLE, rows=rows)

    @app.get("/workbook")
    def workbook():
        buffer = io.BytesIO()
        write_bare_workbook(buffer, data("BENCH_SOA_CELLS", load_sheets))
        return Response(buffer.getvalue(), mimetype="application/vnd.openxmlformats-"
                                                    "officedocument.spreadsheetml.sheet")

    @app.post("/upload")
    def upload():
        digest, size = hashlib.sha256(), 0
        with tempfile.NamedTemporaryFile(dir=os.environ["BENCH_UPLOAD_DIR"]) as out:
            while chunk := request.stream.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        return {"sha256": digest.hexdigest(), "size": size}

    @app.post("/login")
    def login():
        stored = data("BENCH_PASSWORD_HASH_FILE", _read_text)
        ok = check_password_hash(stored, request.form.get("password", ""))
        return ("signed in" if ok else "no"), 200 if ok else 403

    @app.get("/package")
    def package():
        files = data("BENCH_PACKAGE_FILES", _read_json)
        return Response(_zip_stream(files), mimetype="application/zip")

    return app


def _read_text(path: str) -> str:
    with open(path) as handle:
        return handle.read().strip()


def _read_json(path: str):
    with open(path) as handle:
        return json.load(handle)


class _Sink(io.RawIOBase):
    def __init__(self):
        self.chunks, self.position = [], 0

    def writable(self):
        return True

    def write(self, data):
        self.chunks.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self):
        return self.position

    def drain(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def _zip_stream(files):
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", allowZip64=True) as archive:
        for name, path in files:
            with open(path, "rb") as source, archive.open(name, "w", force_zip64=True) as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
            yield sink.drain()
    yield sink.drain()


app = create_app() if "BENCH_DATABASE_URL" in os.environ else None
