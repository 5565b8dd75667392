"""Every text a user typed comes back escaped; uploads are only ever attachments."""

import io
import re
from datetime import timedelta

from markupsafe import escape
from sqlalchemy import select

from isms.auth.models import Role
from isms.db import db
from tests.evidence_helpers import TODAY, upload_form

SCRIPT, IMG = "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'


def payload(field: str) -> str:
    return f"{field}{SCRIPT}{IMG}"


def _ok(response):
    html = response.get_data(as_text=True)
    assert response.status_code == 302, re.findall(r'field-errors".*?</ul>|flash-error".*?</p>',
                                                   html, re.S)


def _fill_everything(app, client, make_user, login):
    """Put the payloads into every text field of a control, evidence, a review and a request."""
    from controls.models import EvidenceRequest
    from evidence.models import EvidenceItem

    lead = make_user(Role.LEAD, name=payload("lead-name"))
    auditor = make_user(Role.AUDITOR, name=payload("auditor-name"))
    login(lead)
    _ok(client.post("/controls/A.9.1.1/edit", data={
        "applicability": "applicable", "reasons": ["risk"], "implementation_status": "partial",
        "responsibility": "shared", "company_part": payload("company-part"),
        "aws_part": payload("aws-part"), "owner_id": str(lead.id),
        "review_cadence": "quarterly", "notes": payload("control-notes")}))
    _ok(client.post("/controls/A.5.1.2/edit", data={
        "applicability": "excluded", "justification": payload("justification"),
        "implementation_status": "", "responsibility": "company",
        "review_cadence": "none", "notes": ""}))
    _ok(client.post("/evidence/new", content_type="multipart/form-data", data=upload_form(
        title=payload("file-title"), description=payload("file-description"),
        comment=payload("file-comment"), controls="A.9.1.1",
        file=(io.BytesIO(b"evidence"), "report<b>bold.txt"))))
    _ok(client.post("/evidence/new", content_type="multipart/form-data", data=upload_form(
        kind="statement", file=None, title=payload("statement-title"),
        text=payload("statement-text"), controls="A.9.1.1")))
    _ok(client.post("/evidence/new", content_type="multipart/form-data", data=upload_form(
        kind="link", file=None, title=payload("link-title"),
        url="https://example.com/?q=\"><img%20src=x>", controls="A.9.1.1")))
    _ok(client.post("/controls/A.9.1.1/reviews/new", data={
        "reviewed_on": TODAY.isoformat(), "outcome": "effective",
        "notes": payload("review-notes"), "follow_ups-0-title": payload("follow-up"),
        "follow_ups-0-owner_id": str(lead.id),
        "follow_ups-0-due_on": (TODAY + timedelta(days=7)).isoformat()}))
    client.post("/logout")
    login(auditor)
    _ok(client.post("/controls/A.9.1.1/requests", data={
        "description": payload("request-description"),
        "due_on": (TODAY + timedelta(days=7)).isoformat()}))
    client.post("/logout")
    login(lead)
    with app.app_context():
        request_id = db.session.scalars(select(EvidenceRequest.id)).one()
        item_ids = db.session.scalars(select(EvidenceItem.id).order_by(EvidenceItem.id)).all()
    _ok(client.post(f"/requests/{request_id}/answer", data={
        "more": str(item_ids[0]), "answer": payload("request-answer")}))
    return lead, auditor, item_ids


# Where each field shows up; every page is also checked for raw markup.
SHOWN_ON = {
    "/controls/A.9.1.1": ["company-part", "aws-part", "control-notes", "review-notes",
                          "follow-up", "file-title", "statement-title", "link-title",
                          "lead-name"],
    "/controls/A.5.1.2": ["justification"],
    "/requests": ["request-description", "request-answer", "auditor-name"],
    "/my": ["follow-up"],
    "/evidence": ["file-title", "statement-title", "link-title"],
    "/users": ["lead-name", "auditor-name"],
}


def test_every_user_text_is_escaped_where_it_is_shown(app, client, make_user, login):
    _, auditor, item_ids = _fill_everything(app, client, make_user, login)
    pages = {**SHOWN_ON, "/": [], "/controls": [], "/audit": [], "/soa": []}
    pages[f"/evidence/{item_ids[0]}"] = ["file-title", "file-description", "file-comment"]
    pages[f"/evidence/{item_ids[1]}"] = ["statement-title", "statement-text"]
    pages[f"/evidence/{item_ids[2]}"] = ["link-title"]
    for url, fields in pages.items():
        html = client.get(url).get_data(as_text=True)
        assert SCRIPT not in html and '"><img' not in html and "<b>bold" not in html, url
        for field in fields:
            assert str(escape(payload(field))) in html, (url, field)
    client.post("/logout")
    login(auditor)
    for url in ("/requests", "/controls/A.9.1.1", f"/evidence/{item_ids[0]}"):
        html = client.get(url).get_data(as_text=True)
        assert SCRIPT not in html and '"><img' not in html, url
        assert str(escape(payload("request-description" if url == "/requests"
                                  else "file-title"))) in html, url


def test_uploads_are_served_only_as_attachments(client, login_as):
    login_as(Role.LEAD)
    _ok(client.post("/evidence/new", content_type="multipart/form-data", data=upload_form(
        file=(io.BytesIO(b"<html><script>alert(1)</script></html>"), "page.html"))))
    html = client.get("/evidence").get_data(as_text=True)
    item_id = re.search(r'href="/evidence/(\d+)"', html).group(1)
    response = client.get(f"/evidence/{item_id}/versions/1/download")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype != "text/html"
