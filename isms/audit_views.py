"""The audit log for the lead and the admin: filter, page through, export as CSV."""

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import click
from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask.cli import AppGroup
from sqlalchemy import select

from isms.audit import AuditEvent, verify_chain
from isms.auth.guard import allow
from isms.auth.models import Role, User
from isms.db import db
from isms.exports import safe_text
from isms.history import describe_events, summary_text
from isms.org import local_now

bp = Blueprint("audit", __name__)
PER_PAGE = 50
audit_cli = AppGroup("audit", help="The audit log.")


def _filtered(args=None):
    args = request.args if args is None else args
    query = select(AuditEvent).order_by(AuditEvent.seq.desc())
    for name in ("actor", "action", "object_type", "object_id"):
        value = (args.get(name) or "").strip()[:128]
        if value:
            column = getattr(AuditEvent, name)
            query = query.where(column.like(value.replace("*", "%")) if "*" in value
                                else column == value)
    for name, bound in (("from", time.min), ("until", time.max)):
        try:
            day = datetime.fromisoformat(args.get(name, "")).date()
        except ValueError:
            continue
        moment = datetime.combine(day, bound, tzinfo=local_now().tzinfo)
        query = query.where(AuditEvent.at >= moment if name == "from" else
                            AuditEvent.at < moment + timedelta(microseconds=1))
    return query


def list_events(args, page: int, per_page: int):
    """Return (one page of events matching the log page's filters, newest first, total)."""
    result = db.paginate(_filtered(args), page=page, per_page=per_page, error_out=False)
    return [EventRow(e.seq, e.at, e.actor, e.action, e.object_type, e.object_id, e.before,
                     e.after, e.ip, e.prev_hash, e.hash) for e in result.items], result.total


@dataclass(frozen=True)
class EventRow:
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict | None
    after: dict | None
    ip: str | None
    prev_hash: str
    hash: str


@bp.route("/audit")
@allow(Role.LEAD, Role.ADMIN)
def index():
    """Page through the audit log, newest first, with filters."""
    page = db.paginate(_filtered(), page=request.args.get("page", 1, type=int),
                       per_page=PER_PAGE, error_out=False)
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("audit/index.html", page=page, filters=filters,
                           entries=describe_events(page.items), people=_people(),
                           object_types=_object_types())


@bp.route("/audit/<int:seq>")
@allow(Role.LEAD, Role.ADMIN)
def event(seq: int):
    """One event for auditors: as people read it, and raw, with its hashes."""
    found = db.session.get(AuditEvent, seq) or abort(404)
    raw = {k: getattr(found, k) for k in ("before", "after")}
    return render_template("audit/event.html", event=found, entry=describe_events([found])[0],
                           raw={k: json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False)
                                for k, v in raw.items()})


def _people() -> list[tuple[str, str]]:
    """Everyone who may appear as an actor, by name, plus the processes."""
    users = db.session.scalars(select(User).order_by(User.name, User.email))
    return [(str(u.id), u.display_name) for u in users] + [
        ("system:*", "System jobs"), ("cli:*", "Command line"), ("anonymous", "Anonymous")]


def _object_types() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.object_type).distinct()
                                   .order_by(AuditEvent.object_type)))


@bp.route("/audit.csv")
@allow(Role.LEAD, Role.ADMIN)
def export_csv():
    """Stream the filtered log as CSV, oldest first, with each event's hashes."""
    query = _filtered().order_by(None).order_by(AuditEvent.seq).execution_options(
        yield_per=1000)

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["seq", "at", "actor", "actor_name", "action", "object_type",
                         "object_id", "changes", "before", "after", "ip", "prev_hash", "hash"])
        batch = []
        for event in db.session.scalars(query):
            batch.append(event)
            if len(batch) == 500:
                yield from _write(writer, buffer, batch)
                batch = []
        yield from _write(writer, buffer, batch)

    return Response(stream_with_context(rows()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit-log.csv"})


def _write(writer, buffer, events):
    """Write a batch of events (names looked up once per batch) and yield the text."""
    for event, entry in zip(events, describe_events(events), strict=True):
        writer.writerow([event.seq, event.at.isoformat(), safe_text(event.actor),
                         safe_text(entry.actor_name), event.action, event.object_type,
                         safe_text(event.object_id), safe_text(summary_text(entry)),
                         _json(event.before), _json(event.after), event.ip or "",
                         event.prev_hash, event.hash])
    yield buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()


def _json(value) -> str:
    return safe_text("" if value is None else json.dumps(value, sort_keys=True,
                                                         ensure_ascii=False))


@audit_cli.command("verify")
def verify_command():
    """Recompute the hash chain and check it against its anchors; exit 1 on a break."""
    report = verify_chain()
    if not report.is_intact:
        click.echo(f"BROKEN at event {report.first_broken_seq}: {report.reason} "
                   f"({report.count} events checked before it)", err=True)
        raise SystemExit(1)
    click.echo(f"OK: {report.count} events, chain intact.")


def init_app(app) -> None:
    """Register the audit pages and `isms audit`."""
    app.register_blueprint(bp)
    app.cli.add_command(audit_cli)
