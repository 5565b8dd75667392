"""Build the benchmark's dataset: the Cloudar demo, bulk evidence, and a long audit chain.

The demo (`isms init` and `isms demo`) gives the organisation on 2013, its 114 control states,
users and reviews. Evidence and audit events are then added with bulk inserts, in the shapes
the app itself writes: every version's blob exists in storage under its SHA-256, every item
points at its newest version, and the audit events are hashed and chained with the app's own
`event_hash`, so `isms audit verify` still passes afterwards.
"""

import hashlib
import os
import secrets
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from controls.models import ControlState
from evidence.models import EvidenceItem, EvidenceLink, EvidenceVersion
from isms import create_app
from isms.audit import AuditEvent, AuditHead, event_hash
from isms.auth.models import User
from isms.db import db

EDITION = "2013"
LEAD_EMAIL, LEAD_PASSWORD = "lead@cloudar.example", "isms-demo-lead"
UNIQUE_BLOBS = 1000  # the first items get a blob each (the package reads these); later ones share
SHARED_BLOBS = 64
BATCH = 5000


def isms_cli(env: dict, *args: str) -> None:
    """Run an `isms` command against the benchmark's database."""
    isms = os.path.join(os.path.dirname(sys.executable), "isms")
    subprocess.run([isms, *args], env=env, check=True, stdout=subprocess.DEVNULL)


def api_token(env: dict) -> str:
    """Create a read token for the lead with `isms token create`; return its secret.

    Each call names its token apart, so a kept dataset (profile_page.py --db-dir) is reused."""
    isms = os.path.join(os.path.dirname(sys.executable), "isms")
    name = f"benchmark-{secrets.token_hex(4)}"
    done = subprocess.run([isms, "token", "create", LEAD_EMAIL, "--name", name,
                           "--scope", "read", "--expires-days", "30"], env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


def create_base(env: dict, audit_events: int) -> None:
    """Initialise the demo and grow the audit chain to `audit_events` events."""
    isms_cli(env, "init", "--edition", EDITION, "--name", "Cloudar")
    isms_cli(env, "demo")
    with app_context(env):
        add_audit_events(audit_events)


class app_context:
    """An app context on the benchmark's database (the server's environment, in-process)."""

    def __init__(self, env: dict):
        self.env = env

    def __enter__(self):
        self.saved = {k: os.environ.get(k) for k in self.env if k.startswith("ISMS_")}
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("ISMS_")})
        self.app = create_app()
        self.context = self.app.app_context()
        self.context.push()
        return self.app

    def __exit__(self, *exc):
        db.session.remove()
        db.engine.dispose()
        self.context.pop()
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _blob(index: int) -> bytes:
    """Return a small, distinct text file for blob `index`."""
    line = f"Evidence file {index}: configuration export, reviewed and signed off.\n"
    return (line * (2048 // len(line) + 1)).encode()[:2048]


def _store_blob(evidence_dir: str, data: bytes) -> str:
    key = hashlib.sha256(data).hexdigest()
    path = os.path.join(evidence_dir, key[:2], key)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(data)
    return key


def grow_evidence(target: int) -> int:
    """Add evidence items (with versions and control links) until there are `target`."""
    from flask import current_app

    session = db.session
    have = session.scalar(select(func.count(EvidenceItem.id)))
    if have >= target:
        return have
    evidence_dir = current_app.config["ISMS_EVIDENCE_DIR"]
    controls = session.scalars(select(ControlState.control_id)
                               .where(ControlState.edition == EDITION)
                               .order_by(ControlState.id)).all()
    owners = session.scalars(select(ControlState.owner_id).where(
        ControlState.owner_id.is_not(None)).distinct()).all()
    shared = [_store_blob(evidence_dir, _blob(-i - 1)) for i in range(SHARED_BLOBS)]
    next_item = (session.scalar(select(func.max(EvidenceItem.id))) or 0) + 1
    next_version = (session.scalar(select(func.max(EvidenceVersion.id))) or 0) + 1
    today = datetime.now(UTC).date()
    for start in range(have, target, BATCH):
        items, versions, links = [], [], []
        for n in range(start, min(target, start + BATCH)):
            item_id = next_item + n - have
            items.append(_item_row(item_id, n, owners))
            for number in range(1, 2 + (n % 10 == 0)):  # every tenth item has two versions
                blob = n * 2 + number
                key = (_store_blob(evidence_dir, _blob(blob)) if n < UNIQUE_BLOBS
                       else shared[blob % SHARED_BLOBS])
                versions.append(_version_row(next_version, item_id, number, key, n, today))
                next_version += 1
            for k in range(1 + n % 2):  # one or two controls each, spread over all 114
                links.append({"item_id": item_id, "edition": EDITION,
                              "control_id": controls[(n * 7 + k * 31) % len(controls)]})
        session.execute(insert(EvidenceItem), items)
        session.execute(insert(EvidenceVersion), versions)
        session.execute(insert(EvidenceLink), links)
    newest = (select(func.max(EvidenceVersion.id))
              .where(EvidenceVersion.item_id == EvidenceItem.id).scalar_subquery())
    session.execute(update(EvidenceItem).where(EvidenceItem.latest_version_id.is_(None))
                    .values(latest_version_id=newest)
                    .execution_options(synchronize_session=False))
    _reset_sequences(session)
    session.commit()
    return target


def _item_row(item_id: int, n: int, owners: list[int]) -> dict:
    topic = ("access review", "backup report", "policy", "CloudTrail export")[n % 4]
    return {"id": item_id, "title": f"Evidence {n:06d}: {topic}",
            "kind": "file", "description": "Generated for the benchmark.",
            "owner_id": owners[n % len(owners)], "tags": ("aws", "policy", "review")[n % 3],
            "created_at": datetime.now(UTC), "created_by_id": owners[0],
            "delete_reason": ""}


def _version_row(version_id, item_id, number, key, n, today: date) -> dict:
    collected = today - timedelta(days=30 + n % 300)
    valid = None if n % 5 == 0 else today + timedelta(days=(n % 400) - 60)
    return {"id": version_id, "item_id": item_id, "number": number, "file_name":
            f"evidence-{n}-v{number}.txt", "media_type": "text/plain", "size": 2048,
            "sha256": key, "storage_key": key, "storage_backend": "local",
            "collected_on": collected, "valid_until": max(valid, collected) if valid else None,
            "uploaded_by_id": None, "uploaded_at": datetime.now(UTC), "comment": ""}


def refresh_statistics() -> None:
    """VACUUM ANALYZE and CHECKPOINT on PostgreSQL, as a running database would have done
    long before such growth is measured.

    Right after a bulk load the planner has no statistics and the visibility map is empty,
    which makes it choose plans (and heap fetches) no running database would see. The load's
    dirty pages are written out at once: left to the next timed checkpoint, they were being
    written during the measurement (in one run a checkpoint spread over the two minutes of
    the 10,000-item scale, and the list's p95 with 8 clients doubled).
    """
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        try:
            conn.execute(text("CHECKPOINT"))
        except DBAPIError as error:  # a role without pg_checkpoint: the run goes on
            print(f"CHECKPOINT refused ({error.orig}); the bulk load's pages are written "
                  "whenever PostgreSQL's own checkpoint comes", file=sys.stderr)


def _reset_sequences(session) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the new rows."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("evidence_items", "evidence_versions", "evidence_links"):
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                             f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


def add_audit_events(total: int) -> None:
    """Extend the chain to `total` events, hashed and linked exactly as record_event does."""
    session = db.session
    head = session.get(AuditHead, 1)
    seq, prev = head.seq, head.hash
    controls = session.scalars(select(ControlState.control_id)
                               .where(ControlState.edition == EDITION)).all()
    users = session.scalars(select(User.id)).all()
    moment = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / max(total - seq, 1)
    rows = []
    while seq < total:
        seq += 1
        fields = {"seq": seq, "at": moment + step * seq, "actor": str(users[seq % len(users)]),
                  "action": ("control.update", "evidence.view", "auth.login")[seq % 3],
                  "object_type": "control",
                  "object_id": f"{EDITION}:{controls[seq % len(controls)]}",
                  "before": {"notes": f"note {seq - 1}"}, "after": {"notes": f"note {seq}"},
                  "ip": "127.0.0.1", "prev_hash": prev}
        prev = event_hash(fields)
        rows.append(fields | {"hash": prev})
        if len(rows) == BATCH:
            session.execute(insert(AuditEvent), rows)
            rows = []
    if rows:
        session.execute(insert(AuditEvent), rows)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))
    session.commit()


def lead_password_hash() -> str:
    """Return the stored hash of the lead's password (the login baseline verifies it)."""
    return db.session.scalar(select(User.password_hash).where(User.email == LEAD_EMAIL))


IMPORT_ROWS = 200
IMPORT_HEADER = ["Control", "Control title", "Applicable", "Reason for selection",
                 "Justification", "Implementation status", "Owner", "Evidence / notes"]
IMPORT_STATUS = ("Implemented", "Partial", "Planned", "Not started")
IMPORT_REASONS = ("Risk", "Legal, Risk", "Contractual", "Business, Risk")


def write_import_workbook(path: str) -> int:
    """Write a 200-row SoA workbook as a consultant keeps one; return its row count.

    Title rows, then every clause and objective of 2013 as a heading row above its controls
    (114 control rows with decisions in the importer's words, owners by name or email, a few
    blanks and one unknown owner), then a legend and a revision history below the table.
    """
    from openpyxl import Workbook

    from isms.catalog import get_edition

    people = [(u.name or u.email, u.email) for u in db.session.scalars(
        select(User).where(User.is_enabled).order_by(User.id))]
    rows = [["Cloudar NV: Statement of Applicability"],
            ["ISO/IEC 27001:2013 Annex A, version 4.2, classification: internal"], [],
            IMPORT_HEADER]
    group = objective = None
    for n, item in enumerate(get_edition(EDITION).items):
        if item.group_id != group:
            group = item.group_id
            rows.append([item.group_id, item.group_title])
        if item.objective_id and item.objective_id != objective:
            objective = item.objective_id
            rows.append([item.objective_id, item.objective_title])
        applicable = n % 9 != 4
        name, email = people[n % len(people)]
        owner = "Dirk Onbekend" if n % 10 == 7 else (email if n % 3 == 1 else name)
        rows.append([
            item.control_id, item.title, "Yes" if applicable else "No",
            IMPORT_REASONS[n % 4] if applicable else "",
            "" if n % 11 == 3 else (f"Needed for {item.title.lower()} (ref {n})" if applicable
                                     else f"No {item.title.lower()} here (ref {n})"),
            IMPORT_STATUS[n % 4] if applicable else "", owner, f"EV-{n:03d} on the wiki"])
    rows += [[], [None, "Legend"]]
    rows += [[None, word, f"{word}: as agreed in the ISMS committee."] for word in IMPORT_STATUS]
    rows += [[], [None, "Revision", "Date", "Author", "Change"]]
    revision = 0
    while len(rows) < IMPORT_ROWS:
        revision += 1
        rows.append([None, f"{revision // 10}.{revision % 10}",
                     (date(2020, 1, 15) + timedelta(days=45 * revision)).isoformat(),
                     people[revision % len(people)][0], f"Yearly review {revision}"])
    book = Workbook()
    sheet = book.active
    sheet.title = "SoA"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return len(rows)
