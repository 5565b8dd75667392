"""Evidence through the web, on local storage and on S3 (moto on loopback)."""

import hashlib
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from evidence.models import EvidenceLink, EvidenceVersion
from isms.audit import AuditEvent
from isms.auth.models import Role
from isms.db import db
from tests.evidence_helpers import (
    TODAY,
    counts,
    only_item,
    own,
    spools,
    stored_keys,
    upload_form,
)

pytestmark = pytest.mark.usefixtures("storage_kind")


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-errors">(.*?)</ul>', html, re.S)
    return found.group(1) if found else ""


def test_an_upload_is_hashed_stored_linked_and_audited(app, client, login_as):
    owner = login_as(Role.OWNER)
    own(app, owner)
    response = client.post("/evidence/new", data=upload_form(with_counterparts="y"),
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    item = only_item(app)
    with app.app_context():
        version = db.session.scalars(select(EvidenceVersion)).one()
        links = db.session.execute(select(EvidenceLink.edition, EvidenceLink.control_id)).all()
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "evidence").order_by(AuditEvent.seq)).all()
    assert item.owner_id == owner.id and item.tags == "access,policy"
    assert version.sha256 == hashlib.sha256(b"policy text v1\n").hexdigest()
    assert version.size == 15 and version.file_name == "access-policy.txt"
    assert version.media_type == "text/plain" and version.number == 1
    assert stored_keys(app) == {version.sha256}
    assert sorted(links) == [("2013", "A.9.1.1"), ("2022", "A.5.15")]
    assert actions == ["evidence.create", "evidence.version_add", "evidence.link",
                       "evidence.link"]
    assert spools(app) == []


def test_downloads_are_streamed_attachments_that_are_never_rendered(app, client, login_as):
    login_as(Role.LEAD)
    client.post("/evidence/new", data=upload_form(
        file=(io.BytesIO(b"<script>alert(1)</script>"), "page.html")),
        content_type="multipart/form-data")
    item = only_item(app)
    response = client.get(f"/evidence/{item.id}/versions/1/download")
    assert response.status_code == 200
    assert response.data == b"<script>alert(1)</script>"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_new_versions_keep_the_old_ones_and_identical_content_is_stored_once(app, client,
                                                                            login_as):
    login_as(Role.LEAD)
    client.post("/evidence/new", data=upload_form(), content_type="multipart/form-data")
    item = only_item(app)
    response = client.post(f"/evidence/{item.id}/versions/new", data={
        "file": (io.BytesIO(b"policy text v2\n"), "access-policy.txt"),
        "collected_on": TODAY.isoformat(), "valid_until": "", "comment": "annual update"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    client.post("/evidence/new", data=upload_form(title="Copy"), content_type="multipart/form-data")
    with app.app_context():
        versions = db.session.scalars(select(EvidenceVersion).order_by(EvidenceVersion.id)).all()
    assert [(v.item_id, v.number) for v in versions] == [(item.id, 1), (item.id, 2),
                                                         (versions[2].item_id, 1)]
    assert versions[0].sha256 == versions[2].sha256 != versions[1].sha256
    assert stored_keys(app) == {versions[0].sha256, versions[1].sha256}
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert "v2" in page and "v1" in page and versions[0].sha256[:16] in page
    assert client.get(f"/evidence/{item.id}/versions/1/download").data == b"policy text v1\n"


def test_links_and_statements_are_versions_too(app, client, login_as):
    login_as(Role.LEAD)
    client.post("/evidence/new", data=upload_form(
        kind="link", file=None, url="https://wiki.example.com/isms/access"),
        content_type="multipart/form-data")
    client.post("/evidence/new", data=upload_form(
        kind="statement", title="CTO statement", file=None, text="We review access monthly."),
        content_type="multipart/form-data")
    with app.app_context():
        versions = db.session.scalars(select(EvidenceVersion).order_by(EvidenceVersion.id)).all()
    assert versions[0].text_content == "https://wiki.example.com/isms/access"
    assert versions[0].sha256 == hashlib.sha256(
        b"https://wiki.example.com/isms/access").hexdigest()
    assert versions[1].media_type == "text/plain" and versions[1].storage_key is None
    assert stored_keys(app) == set()


@pytest.mark.parametrize("overrides,field,message", [
    ({"file": (b"", "empty.txt")}, "file", "The file is empty."),
    ({"file": (b"x", "../../etc/passwd")}, "file", "path separators"),
    # On the wire a backslash in a quoted file name is escaped as two.
    ({"file": (b"x", "a\\\\b.txt")}, "file", "path separators"),
    ({"file": (b"x", "bad\x07name.txt")}, "file", "control characters"),
    ({"controls": "A.9.1.1, A.99.9, banana"}, "controls", "Unknown control ids: A.99.9, banana"),
    ({"kind": "link", "file": None, "url": "ftp://files.example.com/x"}, "url",
     "http:// or https://"),
    ({"kind": "link", "file": None, "url": "javascript:alert(1)"}, "url", "http:// or https://"),
    ({"valid_until": (TODAY - timedelta(days=1)).isoformat()}, "valid_until",
     "before the collection date"),
    ({"collected_on": (TODAY + timedelta(days=2)).isoformat(), "valid_until": ""},
     "collected_on", "in the future"),
    ({"kind": "statement", "file": None, "text": "   "}, "text", "Write the statement."),
    ({"title": ""}, "title", "This field is required."),
])
def test_bad_input_is_refused_with_a_reason_and_nothing_is_stored(app, client, login_as,
                                                                  overrides, field, message):
    login_as(Role.LEAD)
    response = client.post("/evidence/new", data=upload_form(**overrides),
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in _field_error(html, field), html[-3000:]
    assert counts(app) == (0, 0, 0)
    assert stored_keys(app) == set()
    assert spools(app) == []


def test_linking_and_unlinking_controls(app, client, login_as):
    login_as(Role.LEAD)
    client.post("/evidence/new", data=upload_form(controls=""), content_type="multipart/form-data")
    item = only_item(app)
    client.post(f"/evidence/{item.id}/links", data={"controls": "9.4.2, a.5.15",
                                                    "with_counterparts": "y"})
    with app.app_context():
        links = set(db.session.execute(select(EvidenceLink.edition, EvidenceLink.control_id)))
    # A.9.4.2 maps to A.8.5; A.5.15 merges A.9.1.1 and A.9.1.2.
    assert links == {("2013", "A.9.4.2"), ("2022", "A.8.5"), ("2022", "A.5.15"),
                     ("2013", "A.9.1.1"), ("2013", "A.9.1.2")}
    bad = client.post(f"/evidence/{item.id}/links", data={"controls": "A.77"},
                      follow_redirects=True)
    assert "Unknown control ids: A.77." in bad.get_data(as_text=True)
    client.post(f"/evidence/{item.id}/links/2022/A.8.5/delete")
    with app.app_context():
        assert ("2022", "A.8.5") not in set(db.session.execute(
            select(EvidenceLink.edition, EvidenceLink.control_id)))
        assert db.session.scalar(select(AuditEvent.action).order_by(
            AuditEvent.seq.desc()).limit(1)) == "evidence.unlink"
    assert client.post(f"/evidence/{item.id}/links/2022/A.8.5/delete").status_code == 404


def test_deleting_needs_a_reason_and_keeps_the_versions(app, client, login_as):
    login_as(Role.LEAD)
    client.post("/evidence/new", data=upload_form(), content_type="multipart/form-data")
    item = only_item(app)
    refused = client.post(f"/evidence/{item.id}/delete", data={"reason": " "},
                          follow_redirects=True)
    assert "Give a reason" in refused.get_data(as_text=True)
    assert "current" in client.get("/controls/A.9.1.1").get_data(as_text=True)
    client.post(f"/evidence/{item.id}/delete", data={"reason": "Superseded by the wiki"})
    assert counts(app) == (1, 1, 1)
    deleted = only_item(app)
    assert deleted.delete_reason == "Superseded by the wiki" and deleted.deleted_at
    assert "Superseded by the wiki" in client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert "No evidence linked yet." in client.get("/controls/A.9.1.1").get_data(as_text=True)
    assert client.get(f"/evidence/{item.id}/versions/1/download").status_code == 200
    assert client.post(f"/evidence/{item.id}/versions/new", data={}).status_code == 409


def test_an_owner_changes_only_their_own_evidence(app, client, make_user, login):
    other = login(make_user(Role.OWNER))
    own(app, other)
    client.post("/evidence/new", data=upload_form(), content_type="multipart/form-data")
    item = only_item(app)
    client.post("/logout")
    login(make_user(Role.OWNER))
    assert client.get(f"/evidence/{item.id}").status_code == 200
    assert client.get(f"/evidence/{item.id}/versions/new").status_code == 403
    assert client.post(f"/evidence/{item.id}/links", data={"controls": "A.5.1.1"}
                       ).status_code == 403
    assert client.post(f"/evidence/{item.id}/delete", data={"reason": "x"}).status_code == 403
    assert only_item(app).owner_id == other.id and counts(app) == (1, 1, 1)
