"""Validity, purge, verify and sweep, on local storage and on S3."""

import io
import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select
from werkzeug.test import EnvironBuilder

from evidence.maintenance import sweep
from evidence.models import EvidenceItem, EvidenceLink, EvidencePurge, EvidenceVersion
from evidence.status import status_by_control, version_status
from evidence.storage import get_storage
from isms.auth.models import Role, User
from isms.db import db, utcnow
from isms.uploads import SPOOL_PREFIX
from tests.evidence_helpers import TODAY, insert_bulk_items, spools, stored_keys, upload_form


def _upload(client, **overrides):
    response = client.post("/evidence/new", data=upload_form(**overrides),
                           content_type="multipart/form-data")
    assert response.status_code == 302, re.findall(
        r'class="field-errors"[^>]*>(.*?)</ul>', response.get_data(as_text=True), re.S)
    return int(response.headers["Location"].rsplit("/", 1)[1])


class _RecordingInput(io.BytesIO):
    """A request body that remembers how much each read asked for."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size=-1):
        self.asked.append(size)
        return super().read(size)


def test_an_upload_reads_the_request_body_in_blocks_of_one_mib(app, client, login_as):
    # Servers such as gunicorn copy their read-ahead on every small read; 64 KiB reads made
    # a 200 MiB upload several times slower than the bare upload in benchmarks/.
    login_as(Role.LEAD)
    form = upload_form(file=(os.urandom(3 * 1024 * 1024), "big.bin"))
    builder = EnvironBuilder(method="POST", data={**form, "csrf_token": client.csrf_token()})
    environ = builder.get_environ()
    data = environ["wsgi.input"].read()
    body = _RecordingInput(data)
    response = client.post("/evidence/new", input_stream=body, csrf=False,
                           content_type=environ["CONTENT_TYPE"], content_length=len(data))
    assert response.status_code == 302
    assert max(body.asked) == 1024 * 1024 and len(body.asked) <= 6
    item_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        version = db.session.scalars(select(EvidenceVersion).filter_by(item_id=item_id)).one()
        assert version.size == 3 * 1024 * 1024


def test_version_status_is_current_expiring_or_expired(app):
    with app.app_context():
        assert version_status(None, TODAY).value == "current"
        assert version_status(TODAY + timedelta(days=31), TODAY).value == "current"
        assert version_status(TODAY + timedelta(days=30), TODAY).value == "expiring"
        assert version_status(TODAY, TODAY).value == "expiring"
        assert version_status(TODAY - timedelta(days=1), TODAY).value == "expired"


def test_a_controls_status_is_the_best_of_its_live_items(app, client, login_as, count_queries):
    login_as(Role.LEAD)
    expired = _upload(client, controls="A.9.1.1 A.9.1.2", valid_until=(
        TODAY - timedelta(days=3)).isoformat(), collected_on=(
        TODAY - timedelta(days=300)).isoformat())
    _upload(client, controls="A.9.1.2", title="Newer", valid_until=(
        TODAY + timedelta(days=10)).isoformat(), file=(b"other", "b.txt"))
    _upload(client, controls="A.9.2.1", title="Open", valid_until="", file=(b"c", "c.txt"))
    with app.app_context(), count_queries() as statements:
        found = status_by_control("2013", ["A.9.1.1", "A.9.1.2", "A.9.2.1", "A.9.2.2"])
    assert found == {"A.9.1.1": "expired", "A.9.1.2": "expiring", "A.9.2.1": "current",
                     "A.9.2.2": "none"}
    assert sum("FROM evidence_links" in s for s in statements) == 1  # one grouped query
    # A new version of the expired item makes it current for both its controls.
    client.post(f"/evidence/{expired}/versions/new", data={
        "file": (io.BytesIO(b"renewed"), "a.txt"), "collected_on": TODAY.isoformat(),
        "valid_until": ""}, content_type="multipart/form-data")
    with app.app_context():
        assert status_by_control("2013", ["A.9.1.1", "A.9.1.2"]) == {
            "A.9.1.1": "current", "A.9.1.2": "current"}


def test_the_control_list_flags_applicable_controls_without_evidence(client, login_as):
    login_as(Role.LEAD)
    decision = {"applicability": "applicable", "reasons": ["risk"], "responsibility": "company",
                "implementation_status": "planned", "review_cadence": "none"}
    for control_id in ("A.9.1.1", "A.9.1.2"):
        client.post(f"/controls/{control_id}/edit", data=decision)
    _upload(client, controls="A.9.1.1")
    missing = client.get("/controls?evidence=none").get_data(as_text=True)
    assert "A.9.1.2" in missing and 'href="/controls/A.9.1.1"' not in missing
    assert 'href="/controls/A.5.1.1"' not in missing  # undecided: not flagged
    current = client.get("/controls?evidence=current").get_data(as_text=True)
    assert 'href="/controls/A.9.1.1"' in current
    dashboard = client.get("/").get_data(as_text=True)
    assert "Evidence (applicable): Current 1; Expiring soon 0; Expired 0; Missing 1" in dashboard


@pytest.mark.usefixtures("storage_kind")
def test_a_purge_needs_a_second_person_and_keeps_a_tombstone(app, client, make_user, login):
    lead, second = make_user(Role.LEAD), make_user(Role.ADMIN)
    login(lead)
    item_id = _upload(client, file=(b"AKIA-LEAKED-KEY", "keys.txt"))
    copy_id = _upload(client, title="Same bytes", file=(b"AKIA-LEAKED-KEY", "copy.txt"))
    with app.app_context():
        sha = db.session.scalars(select(EvidenceVersion.sha256)).first()
    assert client.post(f"/evidence/{item_id}/versions/1/purge", data={"reason": " "},
                       follow_redirects=True).status_code == 200
    client.post(f"/evidence/{item_id}/versions/1/purge", data={"reason": "Leaked access key"})
    with app.app_context():
        purge = db.session.scalars(select(EvidencePurge)).one()
    refused = client.post(f"/evidence/purges/{purge.id}/approve", follow_redirects=True)
    assert "A second person" in refused.get_data(as_text=True)
    assert sha in stored_keys(app)
    client.post("/logout")
    login(second)
    client.post(f"/evidence/purges/{purge.id}/approve")
    assert sha not in stored_keys(app)
    with app.app_context():
        purge = db.session.get(EvidencePurge, purge.id)
        versions = db.session.scalars(select(EvidenceVersion)).all()
    assert purge.status.value == "approved" and purge.decided_by_id == second.id
    assert (purge.sha256, purge.size, purge.reason) == (sha, 15, "Leaked access key")
    assert all(v.is_purged and v.sha256 == sha for v in versions)  # both copies
    assert client.get(f"/evidence/{copy_id}/versions/1/download").status_code == 410
    assert "purged" in client.get(f"/evidence/{item_id}").get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["evidence", "verify"])
    assert result.exit_code == 0 and "0 versions" in result.output


@pytest.mark.usefixtures("storage_kind")
def test_verify_names_missing_and_altered_blobs(app, client, login_as):
    login_as(Role.LEAD)
    first = _upload(client, file=(b"first file", "first.txt"))
    second = _upload(client, title="Second", file=(b"second file", "second.txt"))
    _upload(client, kind="link", title="Link", file=None, url="https://example.com/x")
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["evidence", "verify"])
    assert ok.exit_code == 0 and "OK: 3 versions" in ok.output
    with app.app_context():
        versions = {v.item_id: v for v in db.session.scalars(select(EvidenceVersion))}
        storage = get_storage()
        storage.delete(versions[first].sha256)
        storage.put_stream(versions[second].sha256, io.BytesIO(b"tampered"))
    broken = runner.invoke(args=["evidence", "verify"])
    assert broken.exit_code == 1
    assert f"evidence {first} version 1 (first.txt): blob is missing" in broken.output
    assert f"evidence {second} version 1 (second.txt): content does not match" in broken.output


@pytest.mark.usefixtures("storage_kind")
def test_sweep_removes_stale_spools_and_unreferenced_blobs_only(app, client, login_as):
    login_as(Role.LEAD)
    _upload(client)
    with app.app_context():
        kept = db.session.scalars(select(EvidenceVersion.sha256)).one()
        get_storage().put_stream("f" * 64, io.BytesIO(b"orphan from a crash"))
    folder = app.config["ISMS_UPLOAD_TMP"]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "upload-crashed.part"), "wb") as handle:
        handle.write(b"half an upload")
    with app.app_context():
        assert sweep(timedelta(hours=1)).blobs_removed == 0  # too young to touch
    result = app.test_cli_runner().invoke(args=["evidence", "sweep", "--older-than", "0"])
    assert "Removed 1 upload spools and 1 unreferenced blobs." in result.output
    assert stored_keys(app) == {kept} and spools(app) == []


def test_versions_cannot_be_changed_once_written(app, client, login_as):
    login_as(Role.LEAD)
    _upload(client)
    with app.app_context():
        version = db.session.scalars(select(EvidenceVersion)).one()
        version.valid_until = TODAY + timedelta(days=999)
        with pytest.raises(ValueError, match="immutable"):
            db.session.flush()
        db.session.rollback()


def _bulk_evidence(app, count: int) -> None:
    """Insert `count` items, each with one version and two links, in four statements."""
    with app.app_context():
        ids, now = insert_bulk_items(count), utcnow()
        db.session.execute(insert(EvidenceLink), [
            {"item_id": i, "edition": "2013", "control_id": cid, "created_at": now}
            for i in ids for cid in ("A.5.1.1", f"A.9.{1 + i % 4}.1")])
        db.session.commit()


@pytest.mark.slow
def test_evidence_pages_keep_a_flat_query_count_from_0_to_10000_items(app, client, login_as,
                                                                      count_queries):
    login_as(Role.LEAD)
    urls = ["/evidence", "/evidence?status=expiring&kind=statement", "/controls/A.5.1.1",
            "/controls?per_page=200", "/"]

    def measure():
        found = {}
        for url in urls:
            with count_queries() as statements:
                assert client.get(url).status_code == 200
            found[url] = len(statements)
        return found

    client.get("/controls")  # warm the catalog cache
    empty = measure()
    _bulk_evidence(app, 10_000)
    assert measure() == empty
    page = client.get("/evidence").get_data(as_text=True)
    assert "10000 items" in page and "Page 1 of 200" in page


def test_a_controls_evidence_panel_pages_its_live_items_newest_first(app, make_user):
    """The panel's page and count leave deleted items out, wherever they fall in id order."""
    from evidence.api import list_for_control
    from evidence.models import EvidenceKind
    from evidence.services import Content, create_item, delete_item

    owner = make_user(Role.OWNER)
    with app.app_context():
        actor = db.session.get(User, owner.id)
        ids = [create_item(title=f"Log export {n}", kind=EvidenceKind.FILE, owner_id=owner.id,
                           content=Content(stream=io.BytesIO(b"log %d" % n),
                                           file_name=f"log-{n}.txt"),
                           collected_on=TODAY, valid_until=None, today=TODAY,
                           actor_id=owner.id, refs=[("2013", "A.12.4.1")],
                           audit_actor=str(owner.id)).id for n in range(25)]
        db.session.flush()
        gone = {ids[-1], ids[-4], ids[3]}  # the newest, one on the page, one beyond it
        for item_id in gone:
            delete_item(db.session.get(EvidenceItem, item_id), "Wrong log", actor)
        db.session.commit()
        summaries, total = list_for_control("2013", "A.12.4.1", limit=20)
    live = sorted(set(ids) - gone, reverse=True)
    assert total == 22
    assert [s.id for s in summaries] == live[:20]
    assert summaries[0].title == f"Log export {ids.index(live[0])}"
    assert summaries[0].owner_name and summaries[0].version == 1


def test_a_spooled_upload_reaches_the_disk_before_it_is_moved_into_the_store(
        app, client, login_as, monkeypatch):
    """The store keeps an upload by renaming its spool; the spool is synced first, as the copy
    path syncs its copy, so a crash never leaves a committed version with a lost file."""
    login_as(Role.LEAD)
    calls = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        calls.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def replace(source, target, **kwargs):
        calls.append(("replace", os.fspath(source)))
        return real_replace(source, target, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    _upload(client, file=(b"%PDF-1.7 durable", "durable.pdf"))
    moved = [path for name, path in calls if name == "replace"]
    assert len(moved) == 1 and os.path.basename(moved[0]).startswith(SPOOL_PREFIX), calls
    assert ("fsync", moved[0]) in calls, calls
    assert calls.index(("fsync", moved[0])) < calls.index(("replace", moved[0]))
