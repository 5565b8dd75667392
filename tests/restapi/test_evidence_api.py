"""Evidence over the API: create, upload versions hashed as on the page, link, read, scope."""

import hashlib
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from evidence.models import EvidenceVersion
from isms.api import local_today
from isms.audit import AuditEvent
from isms.auth.models import Role
from isms.db import db
from tests.evidence.test_evidence_store import _bulk_evidence


def _create(api, token, **fields):
    data = {"title": "Backup report", "kind": "statement", "text": "Backups ran.",
            "controls": "A.12.3.1", **fields}
    return api.post(token, "/api/v1/evidence", data=data, content_type="multipart/form-data")


def test_a_pipeline_creates_evidence_then_uploads_a_version_whose_hash_matches(app, make_token,
                                                                               api):
    token = make_token(Role.OWNER, name="ci")
    created = _create(api, token, kind="file", file=(io.BytesIO(b"%PDF-1.7 first"),
                                                     "report.pdf"))
    assert created.status_code == 201, created.json
    item = created.json
    assert item["controls"] == ["A.12.3.1"] and item["latest"]["number"] == 1
    assert created.headers["Location"].endswith(f"/api/v1/evidence/{item['id']}")
    body = b"%PDF-1.7 " + bytes(range(256)) * 4000
    upload = api.post(token, f"/api/v1/evidence/{item['id']}/versions",
                      data={"file": (io.BytesIO(body), "report.pdf"), "valid_until": "2999-01-01"},
                      content_type="multipart/form-data")
    assert upload.status_code == 201, upload.json
    latest = upload.json["latest"]
    assert latest["number"] == 2 and latest["sha256"] == hashlib.sha256(body).hexdigest()
    assert latest["size"] == len(body)
    control = api.get(token, "/api/v1/controls/A.12.3.1").json
    assert control["evidence_status"] == "current"
    with app.app_context():
        actors = set(db.session.scalars(select(AuditEvent.actor).where(
            AuditEvent.action.in_(["evidence.create", "evidence.version_add",
                                   "evidence.link"]))))
        stored = db.session.scalars(select(EvidenceVersion.sha256).where(
            EvidenceVersion.number == 2)).one()
    assert actors == {f"{token.id}/token:ci"}
    assert stored == hashlib.sha256(body).hexdigest()


def test_refused_input_names_the_fields_and_keeps_nothing(app, make_token, api):
    token = make_token(Role.LEAD)
    missing = api.post(token, "/api/v1/evidence", data={"kind": "paper"},
                       content_type="multipart/form-data")
    assert missing.status_code == 422
    assert set(missing.json["errors"]) == {"title", "kind"}
    unknown = _create(api, token, controls="A.99.1")
    assert unknown.status_code == 422 and "controls" in unknown.json["errors"]
    no_file = _create(api, token, kind="file")
    assert no_file.status_code == 422 and "file" in no_file.json["errors"]
    future = _create(api, token, collected_on="2999-01-01")
    assert future.status_code == 422 and "collected_on" in future.json["errors"]
    as_json = api.post(token, "/api/v1/evidence", json={"title": "x", "kind": "statement"})
    assert as_json.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(EvidenceVersion)).all() == []


def test_links_and_statements_and_more_control_links(make_token, api):
    token = make_token(Role.LEAD)
    item = _create(api, token, kind="link", url="https://ci.example/run/1", text="").json
    assert item["latest"]["url"] == "https://ci.example/run/1"
    version = api.post(token, f"/api/v1/evidence/{item['id']}/versions",
                       data={"url": "https://ci.example/run/2"},
                       content_type="multipart/form-data")
    assert version.status_code == 201 and version.json["latest"]["number"] == 2
    linked = api.post(token, f"/api/v1/evidence/{item['id']}/links",
                      json={"controls": "A.9.1.1, A.9.1.2", "with_counterparts": True})
    assert linked.status_code == 200, linked.json
    assert linked.json["added"] >= 2
    assert {"A.9.1.1", "A.9.1.2", "A.12.3.1"} <= set(linked.json["evidence"]["controls"])


def test_each_listed_item_reads_as_its_detail_does(app, make_token, api):
    token = make_token(Role.LEAD)
    made = [_create(api, token, kind="file", collected_on="2000-01-01", valid_until="2001-01-01",
                    file=(io.BytesIO(b"old"), "old.pdf")).json,
            _create(api, token, kind="link", url="https://ci.example/run/7", text="").json,
            _create(api, token, tags="backup, nightly", valid_until="2999-01-01").json,
            _create(api, token, kind="file", file=(io.BytesIO(b"gone"), "gone.pdf")).json]
    with app.app_context():
        version = db.session.scalars(select(EvidenceVersion).where(
            EvidenceVersion.item_id == made[3]["id"])).one()
        version.purged_at = version.uploaded_at
        db.session.commit()
    listed = api.get(token, "/api/v1/evidence?per_page=3").json
    listed += api.get(token, "/api/v1/evidence?per_page=3&page=2").json
    assert [i["id"] for i in listed] == [m["id"] for m in reversed(made)]
    for entry in listed:
        detail = api.get(token, f"/api/v1/evidence/{entry['id']}").json
        assert entry == {k: v for k, v in detail.items() if k != "versions"}
    by_id = {i["id"]: i for i in listed}
    assert by_id[made[0]["id"]]["status"] == "expired"
    assert by_id[made[1]["id"]]["latest"]["url"] == "https://ci.example/run/7"
    assert by_id[made[2]["id"]]["tags"] == ["backup", "nightly"]
    purged = by_id[made[3]["id"]]
    assert purged["status"] == "none" and purged["latest"]["is_purged"] is True


def test_owners_change_only_their_evidence_and_auditors_see_their_scope(make_token, api):
    lead, owner = make_token(Role.LEAD), make_token(Role.OWNER)
    item = _create(api, lead, controls="A.12.3.1").json
    refused = api.post(owner, f"/api/v1/evidence/{item['id']}/links",
                       json={"controls": "A.9.1.1"})
    assert refused.status_code == 403
    auditor = make_token(Role.AUDITOR, scope="A.9")
    assert api.get(auditor, f"/api/v1/evidence/{item['id']}").status_code == 404
    assert api.get(auditor, "/api/v1/evidence").json == []
    api.post(lead, f"/api/v1/evidence/{item['id']}/links", json={"controls": "A.9.1.1"})
    assert api.get(auditor, f"/api/v1/evidence/{item['id']}").status_code == 200
    assert [i["id"] for i in api.get(auditor, "/api/v1/evidence").json] == [item["id"]]
    assert api.post(auditor, f"/api/v1/evidence/{item['id']}/links",
                    json={"controls": "A.9.1.2"}).status_code == 403


@pytest.mark.slow
def test_list_endpoints_keep_a_flat_query_count_from_0_to_10000_items(app, make_token, api,
                                                                      count_queries):
    # One claim of uses covers every request here, so the counts are the lists' own.
    app.config["ISMS_API_RATE_LIMIT"] = 1_000_000
    token = make_token(Role.LEAD)
    urls = ["/api/v1/evidence", "/api/v1/evidence?status=expiring&kind=statement&per_page=200",
            "/api/v1/evidence?control=A.5.1.1", "/api/v1/controls?per_page=200",
            "/api/v1/controls?evidence=current", "/api/v1/controls/A.5.1.1/reviews",
            "/api/v1/evidence/1"]

    def measure():
        found = {}
        for url in urls:
            with count_queries() as statements:
                response = api.get(token, url)
            assert response.status_code in (200, 404), url
            found[url] = len(statements)
        return found

    api.get(token, "/api/v1/controls")  # warm the catalog cache
    empty = measure()
    _bulk_evidence(app, 10_000)
    full = measure()
    assert {u: n for u, n in full.items() if u != "/api/v1/evidence/1"} == {
        u: n for u, n in empty.items() if u != "/api/v1/evidence/1"}
    assert api.get(token, "/api/v1/evidence").headers["X-Total-Count"] == "10000"


def test_every_filter_of_the_evidence_lists_picks_the_same_items_on_the_page_and_the_api(
        app, make_user, make_token, login, client, api):
    """Each filter, alone and combined, selects by its own rule; page and API agree."""
    lead, owner = make_user(Role.LEAD), make_user(Role.OWNER)
    lead_token, owner_token = make_token(user=lead), make_token(user=owner)
    with app.app_context():
        today = local_today()

    def day(offset):
        return (today + timedelta(days=offset)).isoformat()

    made = {}
    for token, title, kind, control, valid_until, tags in (
            (lead_token, "Firewall rules", "statement", "A.13.1.1", day(200), "network"),
            (owner_token, "Backup log", "link", "A.12.3.1", day(3), "backup, weekly"),
            (lead_token, "Old pentest", "statement", "A.12.6.1", day(-1), ""),
            (owner_token, "Open-ended policy", "statement", "A.5.1.1", "", "policy")):
        fields = {"title": title, "kind": kind, "controls": control, "tags": tags,
                  "collected_on": day(-400),
                  **({"valid_until": valid_until} if valid_until else {}),
                  **({"url": "https://example.com/log"} if kind == "link" else {"text": "x"})}
        created = api.post(token, "/api/v1/evidence", data=fields,
                           content_type="multipart/form-data")
        assert created.status_code == 201, created.json
        made[title] = created.json["id"]
    expected = {
        "": set(made),
        "status=current": {"Firewall rules", "Open-ended policy"},
        "status=expiring": {"Backup log"},
        "status=expired": {"Old pentest"},
        "kind=link": {"Backup log"},
        "control=A.12.6.1": {"Old pentest"},
        f"owner={owner.id}": {"Backup log", "Open-ended policy"},
        "q=FIREWALL": {"Firewall rules"},
        "q=weekly": {"Backup log"},
        "kind=statement&status=current&owner=" + str(lead.id): {"Firewall rules"},
    }
    login(lead)
    for query, titles in expected.items():
        listed = api.get(lead_token, f"/api/v1/evidence?per_page=200&{query}")
        assert listed.status_code == 200, (query, listed.json)
        assert {item["title"] for item in listed.json} == titles, query
        assert listed.headers["X-Total-Count"] == str(len(titles)), query
        page = client.get(f"/evidence?{query}").get_data(as_text=True)
        assert {title for title in made if title in page} == titles, query
    # An owner id no row can have is ignored on the page, like any unknown value (the API
    # refuses it with its reason)
    page = client.get("/evidence?owner=99999999999999999999")
    assert page.status_code == 200
    assert {title for title in made if title in page.get_data(as_text=True)} == set(made)
    assert api.get(lead_token, "/api/v1/evidence?owner=99999999999999999999").status_code == 422
    auditor = make_token(Role.AUDITOR, scope="A.12", name="auditor")
    assert {item["title"] for item in api.get(auditor, "/api/v1/evidence").json} == {
        "Backup log", "Old pentest"}
