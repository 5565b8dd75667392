"""What every OSCAL document shares: metadata, stable UUIDs, property values, the namespace."""

import uuid
from datetime import UTC, datetime

from isms.api import get_organisation

OSCAL_VERSION = "1.1.2"
# Properties OSCAL does not define live in a namespace of our own.
NAMESPACE = "https://isms.example.org/ns/oscal"
_SEED = uuid.UUID("8f3c2a1e-27a0-4c1d-9e01-270012022001")


def stable_uuid(*parts) -> str:
    """The same UUID for the same thing in every export (components, controls, checks)."""
    return str(uuid.uuid5(_SEED, "/".join(str(p) for p in parts)))


def document_uuid() -> str:
    """A new UUID for each export: OSCAL wants a new one per revision of a document."""
    return str(uuid.uuid4())


def one_line(text: str | None) -> str:
    """A property value: one line, no surrounding spaces (OSCAL's string pattern)."""
    return " ".join((text or "").split())


def prop(name: str, value, ns: bool = True) -> dict | None:
    """A property, or None for an empty value (OSCAL forbids empty strings)."""
    value = one_line(str(value) if value is not None else "")
    if not value:
        return None
    found = {"name": name, "value": value}
    if ns:
        found["ns"] = NAMESPACE
    return found


def props(*entries) -> list[dict]:
    return [p for p in entries if p is not None]


def metadata(title: str, now: datetime | None = None, **extra) -> dict:
    """The metadata block: title, last modified, version, OSCAL version."""
    now = now or datetime.now(UTC)
    org = get_organisation()
    found = {"title": title, "last-modified": now.isoformat(timespec="seconds"),
             "version": now.strftime("%Y-%m-%d"), "oscal-version": OSCAL_VERSION}
    found["remarks"] = f"Exported by isms for {org.name}." if org and org.name else \
        "Exported by isms."
    found.update(extra)
    return found


def prose(text: str | None, fallback: str) -> str:
    """A description: the text as written, or a plain fallback (OSCAL wants one)."""
    return (text or "").strip() or fallback
