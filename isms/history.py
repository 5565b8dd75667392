"""One formatter for audit events as people read them: names, labels, dates, lists, links.

Every history view and /audit render events through `describe_events`. Feature packages
teach it their objects with `register_object_link(app, object_type, url_for_id)` and their
field names with `register_field_labels(app, {...})`; `isms` itself knows no feature.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask import current_app, g, has_request_context
from sqlalchemy import bindparam, select

from isms.auth.models import User
from isms.db import db

USER_KEYS = frozenset({
    "owner_id", "user_id", "reviewer_id", "proposed_by_id", "decided_by_id", "accepted_by_id",
    "requested_by_id", "answered_by_id", "auditor_id", "done_by_id", "approver_id"})
# key -> the object type its value (or each value of a list) links to
LINKED_KEYS = {
    "evidence_item_id": "evidence", "evidence_items": "evidence", "item_id": "evidence",
    "control_id": "control", "control": "control", "from": "control", "controls": "control",
    "risk_refs": "risk", "risks": "risk", "finding": "finding", "review": "management_review",
    "soa_version": "soa_version",
}
# Free text and digests: shown as written, never turned into labels.
VERBATIM = re.compile(r"(sha256|hash|file_name|title|description|notes|comment|reason|answer|"
                      r"text|name|summary|part|justification|attendees|result|message|email)")
CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*(,[a-z][a-z0-9]*(_[a-z0-9]+)*)*$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
REF_SPLIT = re.compile(r"[\s,;]+")
TEXT_SHOWN = 300
BUILTIN_LABELS = {"inclusion_reasons": "Reasons", "implementation_status": "Status",
                  "aws_part": "AWS part", "sha256": "SHA-256", "ip": "IP",
                  "evidence_items": "Evidence", "evidence_item_id": "Evidence"}
ACTOR_KINDS = {"system": "System", "cli": "Command line"}


@dataclass(frozen=True)
class Shown:
    text: str
    url: str | None = None


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: tuple[Shown, ...]
    after: tuple[Shown, ...]
    changed: bool  # the event has a before value for this field


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    at: datetime
    actor: str
    actor_name: str
    actor_url: str | None
    action: str
    action_label: str
    object_type: str
    object_id: str
    object_label: str
    object_url: str | None
    changes: tuple[FieldChange, ...]


def register_object_link(app, object_type: str, url_for_id) -> None:
    """Teach history how to link an object type: `url_for_id(object_id) -> url or None`."""
    app.extensions.setdefault("isms.object_links", {})[object_type] = url_for_id


def register_field_labels(app, labels: dict) -> None:
    """Give fields of audit events the names people know them by."""
    app.extensions.setdefault("isms.field_labels", {}).update(labels)


def label(value) -> str:
    """A stored code such as `half_yearly` as people read it (`Half-yearly`)."""
    text = str(getattr(value, "value", value) or "")
    if text == "aws":
        return "AWS"
    if text == "none":  # a code meaning "not set" (a review cadence), never Python's None
        return "Not set"
    return text.replace("half_yearly", "half-yearly").replace("_", " ").capitalize()


def field_label(key: str) -> str:
    labels = current_app.extensions.get("isms.field_labels", {})
    if key in labels:
        return labels[key]
    if key in BUILTIN_LABELS:
        return BUILTIN_LABELS[key]
    return label(key[:-3] if key.endswith("_id") else key)


def object_url(object_type: str, object_id) -> str | None:
    """The page of an object, when its package registered one (None otherwise)."""
    builder = current_app.extensions.get("isms.object_links", {}).get(object_type)
    if builder is None or object_id in (None, ""):
        return None
    # A history names the same few objects and people again and again: one build per request.
    built = g.setdefault("isms_object_urls", {}) if has_request_context() else {}
    key = (object_type, str(object_id))
    if key not in built:
        try:
            built[key] = builder(key[1])
        except Exception:  # a link is a courtesy: an unroutable id just shows as text
            built[key] = None
    return built[key]


def actor_display(actor: str, names: dict[str, str]) -> tuple[str, str | None]:
    """A person's name (and page) for a user id; `system:digest` as `System (digest)`;
    an API token's use `12/token:ci` as `Ann (token ci)`."""
    user, _, via = actor.partition("/")
    if via and user.isdigit():
        name, url = actor_display(user, names)
        return f"{name} ({via.replace(':', ' ', 1)})", url
    if actor.isdigit():
        return names.get(actor, f"Deleted user {actor}"), object_url("user", actor)
    kind, _, detail = actor.partition(":")
    if kind in ACTOR_KINDS:
        return f"{ACTOR_KINDS[kind]} ({detail})" if detail else ACTOR_KINDS[kind], None
    return label(actor), None


class _Formatter:
    def __init__(self, names: dict[str, str]):
        self.names = names

    def value(self, key: str, value) -> tuple[Shown, ...]:
        """Turn one stored value into what a person reads; empty for nothing."""
        if value is None or value == "" or value == [] or value == {}:
            return ()
        if isinstance(value, list):
            return tuple(s for item in value for s in self.value(key, item))
        if isinstance(value, dict):
            parts = [f"{field_label(k)}: {self.text(k, v)}"
                     for k, v in value.items() if v not in (None, "", [])]
            return (Shown("; ".join(parts)),)
        if isinstance(value, bool):
            return (Shown("Yes" if value else "No"),)
        if key in USER_KEYS and str(value).isdigit():
            name, url = actor_display(str(value), self.names)
            return (Shown(name, url),)
        if key in LINKED_KEYS:
            refs = REF_SPLIT.split(str(value)) if isinstance(value, str) else [value]
            return tuple(Shown(str(ref), object_url(LINKED_KEYS[key], ref))
                         for ref in refs if ref != "")
        return (Shown(self.scalar(key, value)),)

    def scalar(self, key: str, value) -> str:
        text = str(value)
        if ISO_MOMENT.match(text):
            try:
                return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M UTC")
            except ValueError:
                return text
        if not VERBATIM.search(key) and CODE.match(text):
            return ", ".join(label(part) for part in text.split(","))
        return text if len(text) <= TEXT_SHOWN else text[:TEXT_SHOWN - 1] + "…"

    def text(self, key: str, value) -> str:
        return ", ".join(s.text for s in self.value(key, value)) or "-"

    def changes(self, before: dict | None, after: dict | None) -> tuple[FieldChange, ...]:
        before, after = before or {}, after or {}
        keys = list(after) + [k for k in before if k not in after]
        return tuple(FieldChange(field_label(k), self.value(k, before.get(k)),
                                 self.value(k, after.get(k)), k in before and k in after)
                     for k in keys)


def _user_ids(events) -> set[int]:
    ids = set()
    for event in events:
        user = event.actor.partition("/")[0]  # "12/token:ci" acts for user 12
        if user.isdigit():
            ids.add(int(user))
        for values in (event.before or {}, event.after or {}):
            for key, value in values.items():
                if key in USER_KEYS and str(value).isdigit():
                    ids.add(int(value))
                elif isinstance(value, list):
                    ids.update(int(v[k]) for v in value if isinstance(v, dict)
                               for k in USER_KEYS if str(v.get(k, "")).isdigit())
    return ids


def user_names(ids) -> dict[str, str]:
    """Display names by user id (as text), in one query."""
    ids = list(ids)
    if not ids:
        return {}
    return {str(user_id): name or email
            for user_id, name, email in db.session.execute(_names_statement(), {"ids": ids})}


@cache
def _names_statement():
    users = User.__table__.c
    return (select(users.id, users.name, users.email)
            .where(users.id.in_(bindparam("ids", expanding=True))))


def describe_events(events) -> list[HistoryEntry]:
    """Render audit events for people (one query for the names, whatever the count)."""
    events = list(events)
    formatter = _Formatter(user_names(_user_ids(events)))
    entries = []
    for event in events:
        name, actor_url = actor_display(event.actor, formatter.names)
        object_label = (formatter.names.get(event.object_id, event.object_id)
                        if event.object_type == "user" else event.object_id.split(":")[-1])
        entries.append(HistoryEntry(
            event.seq, event.at, event.actor, name, actor_url, event.action,
            label(event.action.rsplit(".", 1)[-1]), event.object_type, event.object_id,
            object_label, object_url(event.object_type, event.object_id),
            formatter.changes(event.before, event.after)))
    return entries


def summary_text(entry: HistoryEntry) -> str:
    """One line of an entry's changes, for CSV exports and e-mails."""
    parts = []
    for change in entry.changes:
        after = ", ".join(s.text for s in change.after) or "-"
        if change.changed:
            before = ", ".join(s.text for s in change.before) or "-"
            parts.append(f"{change.label}: {before} -> {after}")
        else:
            parts.append(f"{change.label}: {after}")
    return "; ".join(parts)
