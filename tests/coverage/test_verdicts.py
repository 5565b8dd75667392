"""Each requirement's verdict, computed from decisions, evidence and clause status."""

from datetime import timedelta

import pytest

from coverage.services import compute_coverage, node_verdict
from isms.auth.models import Role
from isms.catalog import get_framework
from tests.coverage.helpers import (
    PATCH_CONTROLS,
    PATCH_POINTS,
    add_evidence,
    coverage_json,
    decide,
    verdicts,
)
from tests.coverage.test_framework_catalog import UNMAPPED
from tests.evidence_helpers import TODAY

KEYS = ["edition_used", "leaves", "covered", "partial", "gap", "unmapped", "sections",
        "requirements"]


@pytest.mark.edition("2022")
def test_with_no_decisions_every_mapped_leaf_is_a_gap(runner):
    report = coverage_json(runner)
    assert list(report) == KEYS
    assert report["edition_used"] == "2022"
    assert [report[k] for k in KEYS[1:6]] == [336, 0, 0, 314, 22]
    found = verdicts(report)
    assert len(found) == 336
    assert sorted(r for r, v in found.items() if v == "unmapped") == sorted(UNMAPPED)
    assert {v for r, v in found.items() if r not in UNMAPPED} == {"gap"}
    assert [s["id"] for s in report["sections"]] == [str(n) for n in range(1, 14)]
    assert all(list(s) == ["id", "covered", "partial", "gap", "unmapped"]
               for s in report["sections"])
    assert sum(s["gap"] for s in report["sections"]) == 314
    seven = next(s for s in report["sections"] if s["id"] == "7")
    assert (seven["gap"], seven["unmapped"]) == (1, 7)
    point = next(r for r in report["requirements"] if r["id"] == "6.10.2.a")
    assert point["controls"] == list(get_framework_ids(runner, "6.10.2.a"))
    assert next(r for r in report["requirements"] if r["id"] == "7.3")["controls"] == []


def get_framework_ids(runner, requirement_id):
    with runner.app.app_context():
        return get_framework("nis2").get(requirement_id).iso_ids


@pytest.mark.edition("2022")
def test_implementing_the_patch_controls_with_current_evidence_covers_6_6(client, runner,
                                                                        login_as):
    login_as(Role.LEAD)
    for control_id in PATCH_CONTROLS:
        decide(client, control_id)
    found = verdicts(coverage_json(runner))
    assert [found[p] for p in PATCH_POINTS] == ["partial"] * 5  # implemented, no evidence yet
    add_evidence(client, PATCH_CONTROLS, title="Patch compliance report")
    report = coverage_json(runner)
    found = verdicts(report)
    assert [found[p] for p in PATCH_POINTS] == ["covered"] * 5
    assert found["6.7.1"] == "gap" and report["covered"] == 5
    point = next(r for r in report["requirements"] if r["id"] == "6.6.2")
    assert point["controls"] == ["A.8.31", "A.8.32"]


@pytest.mark.edition("2022")
@pytest.mark.parametrize("change, expected", [
    ({}, "covered"),
    ({"implementation_status": "partial"}, "partial"),
    ({"implementation_status": "planned"}, "partial"),
    ({"implementation_status": "not_started"}, "gap"),
    ({"applicability": "excluded", "justification": "Nothing to patch."}, "gap"),
])
def test_each_decision_on_one_mapped_control_sets_the_verdict(client, runner, login_as, change,
                                                              expected):
    login_as(Role.LEAD)
    add_evidence(client, PATCH_CONTROLS)
    decide(client, "A.8.31")
    decide(client, "A.8.32", **change)
    assert verdicts(coverage_json(runner))["6.6.2"] == expected


@pytest.mark.edition("2022")
def test_expired_evidence_does_not_cover_and_expiring_evidence_still_does(client, runner,
                                                                          login_as):
    login_as(Role.LEAD)
    for control_id in PATCH_CONTROLS:
        decide(client, control_id)
    add_evidence(client, PATCH_CONTROLS, collected_on=(TODAY - timedelta(days=400)).isoformat(),
                 valid_until=(TODAY - timedelta(days=1)).isoformat())
    assert verdicts(coverage_json(runner))["6.6.2"] == "partial"
    add_evidence(client, PATCH_CONTROLS, title="Fresh report",
                 valid_until=(TODAY + timedelta(days=5)).isoformat())
    assert verdicts(coverage_json(runner))["6.6.2"] == "covered"


@pytest.mark.edition("2022")
def test_clauses_count_as_met_when_done_and_as_a_gap_when_not_started(client, runner,
                                                                       login_as):
    login_as(Role.LEAD)
    # 8.2.1 (security training) maps to clause 7.2 and control A.6.3.
    decide(client, "A.6.3")
    add_evidence(client, ["A.6.3"])
    assert verdicts(coverage_json(runner))["8.2.1"] == "gap"  # clause 7.2 not started
    client.post("/isms/7.2/edit", data={"status": "in_progress", "owner_id": "", "notes": ""})
    assert verdicts(coverage_json(runner))["8.2.1"] == "partial"
    client.post("/isms/7.2/edit", data={"status": "done", "owner_id": "", "notes": "HR file"})
    assert verdicts(coverage_json(runner))["8.2.1"] == "covered"


@pytest.mark.edition("2022")
def test_parents_roll_up_their_leaves(app, client, login_as):
    login_as(Role.LEAD)
    for control_id in PATCH_CONTROLS:
        decide(client, control_id)
    add_evidence(client, PATCH_CONTROLS)
    with app.test_request_context():
        coverage = compute_coverage(get_framework("nis2"), "2022")
    assert coverage.nodes["6.6.1"].verdict == coverage.nodes["6.6"].verdict == "covered"
    assert coverage.nodes["6.6"].leaves == 5
    assert coverage.nodes["6"].verdict == "partial"
    assert coverage.nodes["6"].counts == {"covered": 5, "gap": 65}
    assert coverage.nodes["7"].verdict == "gap"  # the unmapped leaves do not count
    assert coverage.nodes["7.2"].verdict == "unmapped"
    assert node_verdict({"unmapped": 3}) == "unmapped"
    assert node_verdict({"gap": 2, "unmapped": 1}) == "gap"


def test_on_2013_coverage_goes_through_annex_b(client, runner, login_as):
    login_as(Role.LEAD)
    report = coverage_json(runner)
    assert report["edition_used"] == "2013 via Annex B"
    point = next(r for r in report["requirements"] if r["id"] == "6.6.2")
    # A.8.31 stands for A.12.1.4 and A.14.2.6; A.8.32 for A.12.1.2, A.14.2.2-4.
    assert point["controls"] == ["A.12.1.4", "A.14.2.6", "A.12.1.2", "A.14.2.2", "A.14.2.3",
                                 "A.14.2.4"]
    for control_id in point["controls"]:
        decide(client, control_id)
    assert verdicts(coverage_json(runner))["6.6.2"] == "partial"
    add_evidence(client, point["controls"][:5])
    assert verdicts(coverage_json(runner))["6.6.2"] == "partial"  # A.14.2.4 has none yet
    add_evidence(client, ["A.14.2.4"])
    found = verdicts(coverage_json(runner))
    assert [found[p] for p in PATCH_POINTS] == ["covered"] * 5


def test_a_control_new_in_2022_is_undecided_on_2013(client, runner, login_as):
    login_as(Role.LEAD)
    report = coverage_json(runner)
    # 6.3.1 maps only to A.8.9 (configuration management), new in 2022.
    assert next(r for r in report["requirements"] if r["id"] == "6.3.1")["controls"] == []
    assert verdicts(report)["6.3.1"] == "gap"
    # 6.1.1 maps to A.5.21 (A.15.1.3 in 2013) and A.5.23 (new): never covered on 2013.
    decide(client, "A.15.1.3")
    add_evidence(client, ["A.15.1.3"])
    assert verdicts(coverage_json(runner))["6.1.1"] == "gap"


@pytest.mark.edition("2022")
def test_the_standings_coverage_reads_match_the_full_decisions_and_clause_records(
        app, client, login_as, make_user):
    """Coverage reads controls and clauses as columns; they must say what the full readers say."""
    from controls.api import list_control_standings, list_decisions
    from management.api import clause_standings

    login_as(Role.LEAD)
    owner = make_user(Role.OWNER, name="Olga")
    unnamed = make_user(Role.OWNER, email="no.name@example.com")
    decide(client, "A.8.31", owner_id=str(owner.id))
    decide(client, "A.8.32", implementation_status="partial", owner_id=str(unnamed.id))
    decide(client, "A.5.1", applicability="excluded", reasons=[], implementation_status="")
    add_evidence(client, ["A.8.31"])
    reviewed_on = TODAY - timedelta(days=3)
    assert client.post("/controls/A.8.31/reviews/new", data={
        "reviewed_on": reviewed_on.isoformat(), "outcome": "effective", "notes": "Checked.",
        "follow_ups-0-title": "", "follow_ups-0-owner_id": "",
        "follow_ups-0-due_on": ""}).status_code == 302
    assert client.post("/isms/5.2/edit", data={"status": "in_progress", "owner_id": str(owner.id),
                                               "notes": ""}).status_code == 302
    with app.test_request_context():
        standings = list_control_standings("2022")
        decisions = {d.control_id: d for d in list_decisions("2022")}
        clauses = clause_standings("2022")
    assert list(standings) == list(decisions)
    fields = ("title", "applicability", "implementation_status", "evidence", "owner_name",
              "last_reviewed_on")
    for control_id, decision in decisions.items():
        assert [getattr(standings[control_id], f) for f in fields] == [
            getattr(decision, f) for f in fields], control_id
    assert (standings["A.8.31"].owner_name, standings["A.8.31"].evidence,
            standings["A.8.31"].last_reviewed_on) == ("Olga", "current", reviewed_on)
    assert standings["A.8.32"].owner_name == "no.name@example.com"
    assert standings["A.5.1"].applicability == "excluded"
    assert (clauses["5.2"].status, clauses["5.2"].owner_name) == ("in_progress", "Olga")
    assert (clauses["5.3"].status, clauses["5.3"].owner_name) == ("not_started", None)
    html = client.get("/frameworks/nis2/1.1.1.a").get_data(as_text=True)
    assert "Owner: Olga" in html and "In progress" in html
    html = client.get("/frameworks/nis2/6.6.2").get_data(as_text=True)
    assert html.count("Owner: Olga") == 1 and "Owner: no.name@example.com" in html
    assert reviewed_on.isoformat() in html and html.count("never") == 1
