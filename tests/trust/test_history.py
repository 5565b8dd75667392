import re

import pytest
from sqlalchemy import select

from isms.audit import AuditEvent
from isms.db import db
from tests.trust.helpers import DEMO_LEAD, sign_in

REPRS = ("{'", "None", "[]")


@pytest.fixture
def demo(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["transition", "--to", "2022"]).exit_code == 0
    return app


def _history(html: str) -> str:
    """The history parts of a page (lists and tables of events)."""
    parts = re.findall(r'<ol class="history">.*?</ol>', html, flags=re.S)
    return "\n".join(parts) or html


def test_no_history_view_shows_a_python_repr(demo, client):
    sign_in(client, *DEMO_LEAD)
    with demo.app_context():
        objects = db.session.execute(select(AuditEvent.object_type, AuditEvent.object_id)
                                     .distinct()).all()
    pages = {"/controls/A.7.2.2", "/controls/A.5.15", "/controls/A.9.1.1", "/risks/R-001",
             "/isms/4.3", "/isms/6.1.3"}
    pages |= {f"/evidence/{oid}" for kind, oid in objects if kind == "evidence"}
    pages |= {f"/findings/{oid}" for kind, oid in objects if kind == "finding"}
    pages |= {f"/internal-audits/{oid}" for kind, oid in objects if kind == "internal_audit"}
    shown = 0
    for url in sorted(pages):
        response = client.get(url)
        assert response.status_code == 200, url
        part = _history(response.get_data(as_text=True))
        for bad in REPRS:
            assert bad not in part, (url, bad, part[max(0, part.find(bad) - 200):][:400])
        shown += 1
    page, pages_seen = 1, 0
    while True:
        html = client.get(f"/audit?page={page}").get_data(as_text=True)
        table = html.split("<tbody>")[1].split("</tbody>")[0]
        for bad in REPRS:
            assert bad not in table, (page, bad)
        pages_seen += 1
        if 'rel="next"' not in html:
            break
        page += 1
    assert shown > 10 and pages_seen > 1


def test_history_shows_names_labels_real_case_ids_and_links(demo, client):
    sign_in(client, *DEMO_LEAD)
    html = _history(client.get("/controls/A.5.15").get_data(as_text=True))
    assert "A.9.1.1" in html and "a.9.1.1" not in html  # the 2013 source, in its real case
    assert 'href="/controls/A.9.1.1"' in html
    html = _history(client.get("/controls/A.7.2.2").get_data(as_text=True))
    assert "Follow ups:" in html and "Elise Janssens" in html  # owner id -> name
    audit = client.get("/audit").get_data(as_text=True)
    assert "Sofie Peeters" in audit or "Command line" in audit
    assert re.search(r'<td>(<a [^>]*>)?[A-Z][a-z]+ [A-Z][a-z]+', audit)  # people, not numbers


def test_the_audit_log_filters_by_person_and_opens_an_event(demo, client):
    sign_in(client, *DEMO_LEAD)
    with demo.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "organisation.transition")).one()
    page = client.get("/audit?actor=cli:*").get_data(as_text=True)
    assert "Command line" in page and "System (demo)" not in page
    assert '<option value="cli:*" selected>' in page
    detail = client.get(f"/audit/{event.seq}").get_data(as_text=True)
    assert event.hash in detail and event.prev_hash in detail
    assert "&#34;edition&#34;: &#34;2022&#34;" in detail or '"edition": "2022"' in detail
    assert client.get("/audit/999999").status_code == 404


def test_the_csv_keeps_actor_ids_and_hashes_beside_the_names(demo, client):
    sign_in(client, *DEMO_LEAD)
    with demo.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    rows = client.get("/audit.csv").get_data(as_text=True).splitlines()
    assert rows[0].startswith("seq,at,actor,actor_name,action")
    assert len(rows) > len(events)  # a header, and multi-line JSON never splits a row here
    assert events[-1].hash in rows[-1] and events[-1].prev_hash in rows[-1]
    assert any(",system:demo,System (demo)," in row for row in rows)
