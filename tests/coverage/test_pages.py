"""/frameworks/nis2: the tree, each requirement's page, scope, and the attribution."""

import re

import pytest
from sqlalchemy import select

from isms.audit import AuditEvent
from isms.auth.models import Role
from isms.db import db
from tests.coverage.helpers import PATCH_CONTROLS, add_evidence, decide

ATTRIBUTION = ("Contains the ISO/IEC 27001:2022 mapping from ENISA, &#34;Technical Implementation "
               "Guidance on Commission Implementing Regulation (EU) 2024/2690 \u2013 Mapping table"
               "&#34;, version 1.0 (June 2025)")
ANNEX_B = "coverage is computed <strong>through the Annex B mapping</strong>"


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


@pytest.mark.edition("2022")
@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_the_tree_with_counts_bars_and_the_attribution(client, login_as, role):
    login_as(role)
    html = page(client, "/frameworks/nis2")
    assert "NIS2 coverage" in html and "computed on ISO/IEC 27001:2022" in html
    assert len(re.findall(r'<section class="card framework-section">', html)) == 13
    assert '<strong>314</strong> gap' in html and '<strong>22</strong> unmapped' in html
    assert len(re.findall(r'<svg class="coverage-bar"', html)) == 14  # all, then each section
    assert 'class="bar-bad"' in html and "style=" not in html and "<script>" not in html
    assert "Policy on the security of network and information systems" in html
    assert html.index(ATTRIBUTION) > html.index("framework-section")  # at the foot
    assert "Source: Commission Implementing Regulation (EU) 2024/2690" in html
    assert ANNEX_B not in html
    assert 'aria-current="page"' in html and ">Frameworks</a>" in html


@pytest.mark.edition("2022")
def test_the_filter_keeps_the_requirements_with_one_verdict(client, login_as):
    login_as(Role.LEAD)
    for control_id in PATCH_CONTROLS:
        decide(client, control_id)
    add_evidence(client, PATCH_CONTROLS)
    html = page(client, "/frameworks/nis2?verdict=covered")
    linked = re.findall(r'href="/frameworks/nis2/([^"]+)">', html)
    assert [r for r in linked if "." in r and r.count(".") >= 2] == [
        "6.6.1.a", "6.6.1.b", "6.6.1.c", "6.6.1.d", "6.6.2"]
    assert len(re.findall(r'<section class="card framework-section">', html)) == 1
    assert "5 covered" in html and 'aria-current="true"' in html
    unmapped = page(client, "/frameworks/nis2?verdict=unmapped")
    assert unmapped.count('class="badge verdict-unmapped"') == 22
    assert page(client, "/frameworks/nis2?verdict=nonsense").count("framework-section") == 13


@pytest.mark.edition("2022")
def test_a_requirement_lists_its_controls_with_state_and_evidence_links(app, client, login_as):
    login_as(Role.LEAD)
    decide(client, "A.8.31")
    decide(client, "A.8.32", implementation_status="partial")
    add_evidence(client, ["A.8.31"], title="Patch compliance report")
    html = page(client, "/frameworks/nis2/6.6.2")
    assert "Security patch management" in html and "verdict-partial" in html
    assert 'href="/controls/A.8.31"' in html and 'href="/controls/A.8.32"' in html
    assert re.search(r'<a href="/evidence/\d+">Patch compliance report</a>', html)
    assert "Applicable" in html and "Implemented" in html and "Partial" in html
    assert "no evidence" in html  # A.8.32's evidence status
    assert html.count("never") == 2  # neither control reviewed yet
    assert ATTRIBUTION in html
    clause = page(client, "/frameworks/nis2/1.1.1.a")
    assert 'href="/isms/5.2"' in clause and "Not started" in clause
    parent = page(client, "/frameworks/nis2/6.6")
    assert 'href="/frameworks/nis2/6.6.1"' in parent and "5 requirements" in parent
    page(client, "/frameworks/nis2/6.99", 404)
    page(client, "/frameworks/soc2", 404)


def test_on_2013_every_page_says_it_goes_through_annex_b(client, login_as):
    login_as(Role.LEAD)
    for url in ("/frameworks", "/frameworks/nis2", "/frameworks/nis2/6.6.2",
                "/frameworks/nis2/6", "/frameworks/nis2/7.3", "/frameworks/nis2/7.3/edit"):
        html = page(client, url)
        assert ANNEX_B in html, url
    html = page(client, "/frameworks/nis2/6.6.2")
    assert 'href="/controls/A.12.1.4"' in html and 'href="/controls/A.14.2.4"' in html
    assert "2013 via Annex B" in page(client, "/frameworks/nis2")
    assert "No 2013 counterpart" in page(client, "/frameworks/nis2/6.3.1")


@pytest.mark.edition("2022")
def test_an_auditor_sees_only_requirements_whose_controls_are_in_scope(client, login_as):
    login_as(Role.AUDITOR, scope="A.8.31, A.8.32")
    html = page(client, "/frameworks/nis2")
    # The five points of 6.6, and 7.1, which maps to clauses only (clauses are not scoped).
    assert '<strong>6</strong> gap' in html and '<strong>22</strong> unmapped' in html
    assert len(re.findall(r'<section class="card framework-section">', html)) == 3  # 6, 7, 9
    page(client, "/frameworks/nis2/6.6.2")
    page(client, "/frameworks/nis2/7.1")
    page(client, "/frameworks/nis2/7.3")
    page(client, "/frameworks/nis2/6.10.2.a", 404)
    page(client, "/frameworks/nis2/1", 404)
    assert "28 requirements" in page(client, "/frameworks")


@pytest.mark.edition("2022")
def test_the_lead_records_how_an_unmapped_requirement_is_met(app, client, login_as,
                                                             make_user):
    owner = make_user(Role.OWNER)
    lead = login_as(Role.LEAD)
    assert "Record how it is met" in page(client, "/frameworks/nis2/9.2.a")
    response = client.post("/frameworks/nis2/9.2.a/edit", data={
        "status": "in_progress", "owner_id": str(owner.id), "notes": "KMS keys rotate yearly."})
    assert response.status_code == 302
    add_evidence(client, ["A.8.24"], title="Key management procedure")
    found = page(client, "/frameworks/nis2/9.2.a?find=Key+management")
    item_id = re.search(r"#(\d+)</span>", found).group(1)
    assert client.post("/frameworks/nis2/9.2.a/evidence",
                       data={"item_id": item_id}).status_code == 302
    html = page(client, "/frameworks/nis2/9.2.a")
    assert "KMS keys rotate yearly." in html and "In progress" in html
    assert f'<a href="/evidence/{item_id}">Key management procedure</a>' in html
    assert '<ol class="history">' in html and "· Update" in html  # the history
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "requirement").order_by(AuditEvent.seq)).all()
        assert [(e.action, e.actor, e.object_id) for e in events] == [
            ("requirement.update", str(lead.id), "nis2:9.2.a"),
            ("requirement.link_evidence", str(lead.id), "nis2:9.2.a")]
        assert events[0].after == {"status": "in_progress", "owner_id": owner.id,
                                   "notes": "KMS keys rotate yearly."}
    tree = page(client, "/frameworks/nis2?verdict=unmapped")
    assert "In progress" in tree
    assert client.post(f"/frameworks/nis2/9.2.a/evidence/{item_id}/remove").status_code == 302
    assert "No evidence linked yet." in page(client, "/frameworks/nis2/9.2.a")


@pytest.mark.edition("2022")
def test_bad_input_and_the_wrong_person_are_refused(client, login, make_user):
    owner, other = make_user(Role.OWNER), make_user(Role.OWNER)
    lead = make_user(Role.LEAD)
    login(lead)
    refused = client.post("/frameworks/nis2/9.3/edit", data={"status": "finished",
                                                             "owner_id": "", "notes": ""})
    assert refused.status_code == 422 and "Not a valid choice" in refused.get_data(as_text=True)
    assert client.post("/frameworks/nis2/9.3/edit", data={
        "status": "done", "owner_id": "999999", "notes": ""}).status_code == 422
    assert client.post("/frameworks/nis2/9.3/edit", data={
        "status": "not_started", "owner_id": str(owner.id), "notes": "x" * 4001}).status_code == 422
    assert client.get("/frameworks/nis2/6.6.2/edit").status_code == 404  # mapped: no record
    assert client.get("/frameworks/nis2/9.2/edit").status_code == 404  # not a leaf
    bad_link = client.post("/frameworks/nis2/9.3/evidence", data={"item_id": "12345"},
                           follow_redirects=True)
    assert "does not exist" in bad_link.get_data(as_text=True)
    assert client.post("/frameworks/nis2/9.3/edit", data={
        "status": "in_progress", "owner_id": str(owner.id), "notes": ""}).status_code == 302
    client.post("/logout")
    login(other)
    assert client.get("/frameworks/nis2/9.3/edit").status_code == 403
    client.post("/logout")
    login(owner)  # the owner the lead chose may update it, but not hand it on
    assert client.post("/frameworks/nis2/9.3/edit", data={
        "status": "done", "owner_id": str(other.id), "notes": "Done."}).status_code == 302
    assert "Done." in page(client, "/frameworks/nis2/9.3")
    assert owner_name_of(client) == owner.email  # the display name falls back to the email


def owner_name_of(client) -> str:
    html = client.get("/frameworks/nis2/9.3").get_data(as_text=True)
    return re.search(r"<dt>Owner</dt><dd>([^<]+)</dd>", html).group(1)


@pytest.mark.edition("2022")
def test_auditors_cannot_record_anything(client, login_as):
    login_as(Role.AUDITOR)
    assert client.post("/frameworks/nis2/9.3/edit", data={"status": "done"}).status_code == 403
    assert client.get("/frameworks/nis2/9.3/edit").status_code == 403
    assert "Record how it is met" not in page(client, "/frameworks/nis2/9.3")
