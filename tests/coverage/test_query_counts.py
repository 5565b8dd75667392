"""The coverage pages read a fixed number of queries, whatever the amount of evidence."""


import pytest
from sqlalchemy import insert, select

from coverage.models import RequirementEvidence, RequirementRecord
from evidence.models import EvidenceLink
from isms.auth.models import Role
from isms.db import db, utcnow
from management.models import ClauseEvidence, ClauseState
from tests.coverage.helpers import PATCH_CONTROLS, decide
from tests.evidence_helpers import insert_bulk_items

# Pages whose queries never depend on evidence, and pages that list linked items by id.
PAGES = ["/frameworks", "/frameworks/nis2", "/frameworks/nis2?verdict=gap",
         "/frameworks/nis2/6", "/frameworks/nis2/6.6.2", "/frameworks/nis2/5.1.1"]
LINKED_PAGES = ["/frameworks/nis2/1.1.1.a", "/frameworks/nis2/9.2.a"]


def _bulk_evidence(app, count: int) -> None:
    """Insert items with a version each, linked to mapped controls, a clause and a record."""
    with app.app_context():
        ids, now = insert_bulk_items(count), utcnow()
        controls = ("A.8.31", "A.8.32", "A.5.1", "A.5.19")
        db.session.execute(insert(EvidenceLink), [
            {"item_id": i, "edition": "2022", "control_id": controls[i % 4], "created_at": now}
            for i in ids])
        clause = db.session.scalar(select(ClauseState.id).filter_by(clause_id="5.2"))
        record = db.session.scalar(select(RequirementRecord.id).filter_by(
            requirement_id="9.2.a"))
        db.session.execute(insert(ClauseEvidence), [
            {"state_id": clause, "evidence_item_id": i, "created_at": now} for i in ids[:500]])
        db.session.execute(insert(RequirementEvidence), [
            {"record_id": record, "evidence_item_id": i, "created_at": now} for i in ids[:500]])
        db.session.commit()


def _measure(client, count_queries, urls) -> dict[str, int]:
    found = {}
    for url in urls:
        with count_queries() as statements:
            assert client.get(url).status_code == 200, url
        found[url] = len(statements)
    return found


@pytest.mark.edition("2022")
def test_the_coverage_pages_keep_a_flat_query_count_from_0_to_10000_items(app, client,
                                                                          login_as,
                                                                          count_queries):
    login_as(Role.LEAD)
    for control_id in PATCH_CONTROLS:
        decide(client, control_id)
    client.post("/isms/5.2/edit", data={"status": "done", "owner_id": "", "notes": ""})
    client.post("/frameworks/nis2/9.2.a/edit", data={"status": "done", "owner_id": "",
                                                     "notes": "Keys in KMS."})
    client.get("/frameworks/nis2")  # warm the catalog caches
    empty = _measure(client, count_queries, PAGES)
    _bulk_evidence(app, 1)
    one = _measure(client, count_queries, PAGES + LINKED_PAGES)
    _bulk_evidence(app, 9_999)
    assert _measure(client, count_queries, PAGES) == empty
    assert _measure(client, count_queries, PAGES + LINKED_PAGES) == one
    html = client.get("/frameworks/nis2/6.6.2").get_data(as_text=True)
    assert "Bulk 10000" in html and "2490 more" in html
