"""The daily digest tells the lead which requirements dropped from covered since the last one."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from coverage.api import coverage_drops
from coverage.models import CoverageSnapshot
from isms.auth.models import Role
from isms.db import db
from tests.coverage.helpers import PATCH_CONTROLS, PATCH_POINTS, add_evidence, decide

YESTERDAY, TODAY = date.today() - timedelta(days=1), date.today()


def _digest(runner, day: date, at: str = "08:00") -> None:
    result = runner.invoke(args=["jobs", "run", "digest", "--now", f"{day}T{at}"])
    assert result.exit_code == 0, result.output


@pytest.mark.edition("2022")
def test_the_lead_hears_of_requirements_that_dropped_since_the_last_digest(app, client, runner,
                                                                         login_as, make_user,
                                                                         smtp):
    owner = make_user(Role.OWNER)
    lead = login_as(Role.LEAD)
    for control_id in PATCH_CONTROLS:
        decide(client, control_id, owner_id=str(owner.id))
    add_evidence(client, PATCH_CONTROLS)
    _digest(runner, YESTERDAY)  # the first digest only remembers the verdicts
    assert not any("no longer covered" in m.get_body(("plain",)).get_content()
                   for m in smtp.messages)
    with app.app_context():
        assert coverage_drops() == []
    decide(client, "A.8.32", implementation_status="partial", owner_id=str(owner.id))
    with app.app_context():
        drops = coverage_drops("nis2")
    assert [(d.requirement_id, d.before, d.after) for d in drops] == [
        (p, "covered", "partial") for p in PATCH_POINTS]
    _digest(runner, TODAY)
    to_lead = [m for m in smtp.messages if m["To"] == lead.email]
    assert len(to_lead) == 1
    text = to_lead[0].get_body(("plain",)).get_content()
    html = to_lead[0].get_body(("html",)).get_content()
    assert "NIS2 requirements no longer covered:" in text
    assert "- 6.6.2 Security patch management: was covered, now partial" in text
    assert "http://127.0.0.1:5000/frameworks/nis2" in text
    assert 'href="http://127.0.0.1:5000/frameworks/nis2"' in html and "6.6.1.a" in html
    assert all("no longer covered" not in m.get_body(("plain",)).get_content()
               for m in smtp.messages if m["To"] == owner.email)
    with app.app_context():
        assert coverage_drops() == []  # the digest saw them
        taken = db.session.scalars(select(CoverageSnapshot.taken_on).order_by(
            CoverageSnapshot.taken_on)).all()
    assert taken == [YESTERDAY, TODAY]


@pytest.mark.edition("2022")
def test_running_the_digest_twice_a_day_compares_with_the_day_before(app, client, runner,
                                                                     login_as):
    from controls.digest import collect_digests

    lead = login_as(Role.LEAD)
    for control_id in PATCH_CONTROLS:
        decide(client, control_id)
    add_evidence(client, PATCH_CONTROLS)
    with app.app_context():
        collect_digests("2022", YESTERDAY)
        db.session.commit()
    decide(client, "A.8.31", applicability="excluded", justification="No servers.")
    with app.app_context():
        first = collect_digests("2022", TODAY)[lead.id].sections
        db.session.commit()
        again = collect_digests("2022", TODAY)[lead.id].sections
        db.session.commit()
        # Three days on, yesterday's snapshot is gone; only the last day's is kept beside.
        collect_digests("2022", TODAY + timedelta(days=3))
        db.session.commit()
        kept = db.session.scalars(select(CoverageSnapshot.taken_on).order_by(
            CoverageSnapshot.taken_on)).all()
    assert first == again and len(first[0].lines) == 5
    assert first[0].lines[0] == "6.6.1.a Security patch management: was covered, now gap"
    assert kept == [TODAY, TODAY + timedelta(days=3)]
