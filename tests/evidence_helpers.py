"""Small builders shared by the evidence tests."""

import io
import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update

from evidence.models import EvidenceItem, EvidenceLink, EvidenceVersion
from evidence.storage import get_storage
from isms.auth.models import User
from isms.db import db, utcnow

# The organisation's date (the tests run it in Brussels), not the machine's UTC date.
TODAY = datetime.now(ZoneInfo("Europe/Brussels")).date()


def upload_form(**overrides) -> dict:
    """A valid new-evidence form with a small file."""
    data = {
        "kind": "file", "title": "Access control policy", "description": "Approved in May.",
        "controls": "A.9.1.1", "tags": "policy, Access", "collected_on": TODAY.isoformat(),
        "valid_until": (TODAY + timedelta(days=365)).isoformat(), "comment": "first",
        "file": (io.BytesIO(b"policy text v1\n"), "access-policy.txt"),
    }
    data.update(overrides)
    if isinstance(data.get("file"), tuple) and isinstance(data["file"][0], bytes):
        data["file"] = (io.BytesIO(data["file"][0]), data["file"][1])
    return data


def insert_bulk_items(count: int) -> range:
    """Insert `count` live statement items, each with one version valid for up to 90 days, in
    three statements, and return their ids (inside an app context; the caller links them
    and commits)."""
    owner = db.session.scalars(select(User.id)).first()
    start = (db.session.scalar(select(EvidenceItem.id).order_by(
        EvidenceItem.id.desc()).limit(1)) or 0) + 1
    ids = range(start, start + count)
    now = utcnow()
    db.session.execute(insert(EvidenceItem), [
        {"id": i, "title": f"Bulk {i}", "kind": "statement", "owner_id": owner,
         "description": "", "tags": "", "delete_reason": "", "created_at": now}
        for i in ids])
    db.session.execute(insert(EvidenceVersion), [
        {"id": i, "item_id": i, "number": 1, "text_content": f"s{i}", "media_type":
         "text/plain", "size": 3, "sha256": f"{i:064x}", "collected_on": TODAY,
         "valid_until": TODAY + timedelta(days=i % 90), "uploaded_at": now, "comment": ""}
        for i in ids])
    db.session.execute(update(EvidenceItem).where(EvidenceItem.id.in_(list(ids)))
                       .values(latest_version_id=EvidenceItem.id))
    return ids


def counts(app) -> tuple[int, int, int]:
    """Return how many items, versions and links exist."""
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m))
                     for m in (EvidenceItem, EvidenceVersion, EvidenceLink))


def stored_keys(app) -> set[str]:
    with app.app_context():
        return {key for key, _ in get_storage().list_keys()}


def spools(app) -> list[str]:
    folder = app.config["ISMS_UPLOAD_TMP"]
    return os.listdir(folder) if os.path.isdir(folder) else []


def only_item(app) -> EvidenceItem:
    with app.app_context():
        return db.session.scalars(select(EvidenceItem)).one()


def own(app, user, *control_ids) -> None:
    """Make the user the owner of these 2013 controls (default A.9.1.1, as upload_form links):
    an owner links evidence only to controls they own."""
    from controls.models import ControlState

    with app.app_context():
        for state in db.session.scalars(select(ControlState).where(
                ControlState.edition == "2013",
                ControlState.control_id.in_(control_ids or ("A.9.1.1",)))):
            state.owner_id = user.id
        db.session.commit()
