"""The bare baselines, served by gunicorn like the real app: `gunicorn benchmarks.bare_app:app`.

Each route does the least a page or a download of its kind can do, so the real app's figures
are read as ratios against it on the same machine, in the same run:

- /table: select the 114 control rows (with catalog title and owner) and render a Jinja table;
- /workbook: openpyxl write-only of the SoA export's sheets and values, without styles;
- /upload: stream the request body to a file in 1 MiB chunks while hashing it, keep the file
  and sync it to disk (as the app keeps evidence, synced before its version is recorded: a
  file deleted at once, or left to the page cache, never has to reach the disk);
- /login: verify the lead's stored password hash;
- /package: zip the same evidence files as the package, streamed;
- /api/controls, /api/evidence: the first page (50 rows) of the API's control and evidence
  lists as JSON, selected with SQLAlchemy Core (same rows, same order, the columns the tables
  hold; no computed status, no schema, no token);
- /import: receive a workbook upload, read every cell with openpyxl's read-only mode, compare
  the rows whose first cell is a control id with the stored decisions, show a plain table.

Data that is not read from the database comes from files the runner writes (BENCH_* vars).
"""

import hashlib
import io
import json
import os
import tempfile
import zipfile
from datetime import date, datetime

from flask import Flask, Response, jsonify, render_template_string, request
from openpyxl import Workbook, load_workbook
from sqlalchemy import bindparam, create_engine, text
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
API_PAGE = 50
API_CONTROLS = text("""SELECT s.edition, c.control_id, c.title, c.group_id, s.applicability,
                              s.inclusion_reasons, s.justification, s.implementation_status,
                              s.responsibility, s.company_part, s.aws_part, s.owner_id,
                              COALESCE(u.name, u.email) AS owner_name, s.review_cadence,
                              s.first_review_on, s.risk_refs, s.notes, s.updated_at
                       FROM control_states s
                       JOIN catalog_controls c ON c.edition = s.edition
                            AND c.control_id = s.control_id
                       LEFT JOIN users u ON u.id = s.owner_id
                       WHERE s.edition = :edition ORDER BY c.position LIMIT :limit""")
API_EVIDENCE = text("""SELECT i.id, i.title, i.kind, i.owner_id,
                              COALESCE(u.name, u.email) AS owner_name, i.tags, i.description,
                              i.created_at, v.number, v.sha256, v.size, v.file_name,
                              v.media_type, v.collected_on, v.valid_until, v.uploaded_at
                       FROM evidence_items i
                       JOIN evidence_versions v ON v.id = i.latest_version_id
                       JOIN users u ON u.id = i.owner_id
                       WHERE i.deleted_at IS NULL ORDER BY i.id DESC LIMIT :limit""")
API_EVIDENCE_TOTAL = text("""SELECT COUNT(*) FROM evidence_items i
                             JOIN evidence_versions v ON v.id = i.latest_version_id
                             WHERE i.deleted_at IS NULL""")
API_LINKS = text("""SELECT item_id, control_id FROM evidence_links WHERE item_id IN :ids
                    ORDER BY edition, control_id""").bindparams(bindparam("ids", expanding=True))
DECISIONS = text("""SELECT control_id, applicability, implementation_status, justification
                    FROM control_states WHERE edition = :edition""")
IMPORT_TABLE = """<!doctype html><title>Import</title>
<p>{{ matched }} controls, {{ changed }} would change.</p><table>
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
</table>"""


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

    @app.get("/api/controls")
    def api_controls():
        with engine.connect() as conn:
            rows = conn.execute(API_CONTROLS, {"edition": "2013", "limit": API_PAGE}).all()
        return jsonify([{**row._asdict(), "reasons": [r for r in row.inclusion_reasons.split(",")
                                                      if r]} for row in rows])

    @app.get("/api/evidence")
    def api_evidence():
        with engine.connect() as conn:
            rows = conn.execute(API_EVIDENCE, {"limit": API_PAGE}).all()
            total = conn.execute(API_EVIDENCE_TOTAL).scalar()
            links: dict[int, list[str]] = {}
            if rows:
                for item_id, control_id in conn.execute(API_LINKS,
                                                        {"ids": [r.id for r in rows]}):
                    links.setdefault(item_id, []).append(control_id)
        body = [{**row._asdict(), "tags": [t for t in row.tags.split() if t],
                 "controls": links.get(row.id, [])} for row in rows]
        return jsonify(body), 200, {"X-Total-Count": str(total)}

    @app.post("/import")
    def import_workbook():
        upload = request.files["file"]
        with tempfile.NamedTemporaryFile(dir=os.environ["BENCH_UPLOAD_DIR"],
                                         suffix=".xlsx") as saved:
            upload.save(saved)
            saved.flush()
            book = load_workbook(saved.name, read_only=True)
            sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)]
                      for ws in book.worksheets}
            book.close()
        with engine.connect() as conn:
            stored = {r.control_id: r for r in conn.execute(DECISIONS, {"edition": "2013"})}
        matched = changed = 0
        for rows in sheets.values():
            for row in rows:
                decision = stored.get(str(row[0]).strip()) if row else None
                if decision is not None:
                    matched += 1
                    changed += (row[4] or "") != decision.justification
        first = next(iter(sheets.values()), [])[:25]
        return render_template_string(IMPORT_TABLE, matched=matched, changed=changed,
                                      rows=[["" if v is None else v for v in r] for r in first])

    @app.post("/upload")
    def upload():
        digest, size = hashlib.sha256(), 0
        with tempfile.NamedTemporaryFile(dir=os.environ["BENCH_UPLOAD_DIR"],
                                         delete=False) as out:
            while chunk := request.stream.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
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
