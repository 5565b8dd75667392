"""The management system: clauses 4-10, risk register, audits, reviews, findings."""

import csv
import io
import re
from collections import Counter
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from controls.digest import collect_digests
from isms.audit import AuditEvent
from isms.auth.models import Role
from isms.catalog import clauses
from isms.db import db
from management.models import (
    Action,
    ClauseState,
    Finding,
    FindingSource,
    FindingStatus,
    FindingType,
    ManagementReview,
    PlanStatus,
    ReviewInput,
    Risk,
    RiskControl,
    Treatment,
)

DECISION = {"applicability": "applicable", "reasons": ["risk"], "responsibility": "company",
            "implementation_status": "partial", "review_cadence": "none"}
TODAY = date.today()


def risk_form(**overrides) -> dict:
    form = {"ref": "R-001", "title": "Stolen admin keys", "asset": "AWS organisation",
            "owner_id": "", "likelihood": "4", "impact": "5", "treatment": "modify",
            "plan_status": "in_progress", "controls": "A.9.2.3, A.9.4.2", "plan": "MFA",
            "residual_likelihood": "2", "residual_impact": "5"}
    return {**form, **overrides}


def scalar(app, query):
    with app.app_context():
        return db.session.scalar(query)


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        found = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        db.session.expunge_all()
        return found


# Clauses 4-10 ---------------------------------------------------------------------------------

def test_the_clause_lists_of_both_editions(app):
    with app.app_context():
        old, new = clauses("2013"), clauses("2022")
    assert (len(old), len(new)) == (35, 41)
    assert [c.position for c in old] == list(range(35))
    assert [c.clause_id for c in old][:6] == ["4", "4.1", "4.2", "4.3", "4.4", "5"]
    titles_2013 = {c.clause_id: c.title for c in old}
    titles_2022 = {c.clause_id: c.title for c in new}
    assert titles_2013["10.1"] == titles_2022["10.2"] == "Nonconformity and corrective action"
    assert titles_2013["10.2"] == titles_2022["10.1"] == "Continual improvement"
    assert {"6.3", "9.2.1", "9.2.2", "9.3.1", "9.3.2", "9.3.3"} <= set(titles_2022) - set(
        titles_2013)


@pytest.mark.edition("2022")
def test_the_isms_page_lists_the_edition_in_order(client, login_as):
    login_as(Role.AUDITOR)
    page = client.get("/isms").get_data(as_text=True)
    ids = re.findall(r'href="/isms/([0-9.]+)"', page)
    assert len(ids) == 41 and ids[-2:] == ["10.1", "10.2"]
    assert page.index("Continual improvement") < page.index("Nonconformity and corrective")


def test_a_requirement_has_status_owner_notes_and_evidence(app, client, make_user, login):
    lead, owner, other = make_user(Role.LEAD), make_user(Role.OWNER), make_user(Role.OWNER)
    login(lead)
    bad = client.post("/isms/6.1.2/edit", data={"status": "finished", "owner_id": ""})
    assert bad.status_code == 422 and scalar(app, select(func.count(ClauseState.id))) == 0
    client.post("/isms/6.1.2/edit", data={"status": "in_progress", "owner_id": str(owner.id),
                                          "notes": "Method in the risk procedure."})
    client.post("/evidence/new", data={
        "title": "Risk procedure", "kind": "statement", "text": "We assess yearly.",
        "collected_on": TODAY.isoformat(), "controls": ""}, content_type="multipart/form-data")
    item_id = _latest_evidence_id(app)
    found = client.get("/isms/6.1.2?find=procedure").get_data(as_text=True)
    assert "Risk procedure" in found
    client.post("/isms/6.1.2/evidence", data={"item_id": str(item_id)})
    page = client.get("/isms/6.1.2").get_data(as_text=True)
    assert "Method in the risk procedure." in page and "Risk procedure" in page
    assert "In progress" in page
    listing = client.get("/isms?status=in_progress").get_data(as_text=True)
    assert re.findall(r'href="/isms/([0-9.]+)"', listing) == ["6.1.2"]
    assert events(app, "clause.update")[0].object_id == "2013:6.1.2"
    assert events(app, "clause.link_evidence")
    client.post("/logout")
    login(other)
    assert client.get("/isms/6.1.2/edit").status_code == 403
    client.post("/logout")
    login(owner)
    assert client.post("/isms/6.1.2/edit", data={"status": "done", "notes": "Approved."},
                       follow_redirects=True).status_code == 200
    with app.app_context():
        state = db.session.scalars(select(ClauseState)).one()
        assert (state.status.value, state.owner_id) == ("done", owner.id)  # owner kept
    assert client.get("/isms/9.9/edit").status_code == 404


def _latest_evidence_id(app) -> int:
    from evidence.models import EvidenceItem

    return scalar(app, select(func.max(EvidenceItem.id)))


def test_the_dashboard_shows_the_clauses_beside_annex_a(app, client, login_as):
    login_as(Role.LEAD)
    client.post("/isms/4.1/edit", data={"status": "done", "owner_id": ""})
    page = client.get("/").get_data(as_text=True)
    assert "Clauses 4-10 (35 requirements)" in page
    assert re.search(r"Done 1;", page) and re.search(r"Not started 34", page)


# Risks ----------------------------------------------------------------------------------------

def test_a_risk_is_scored_linked_and_audited(app, client, make_user, login):
    lead = login(make_user(Role.LEAD))
    made = client.post("/risks/new", data=risk_form(owner_id=str(lead.id)))
    assert made.status_code == 302 and made.location.endswith("/risks/R-001")
    with app.app_context():
        risk = db.session.scalars(select(Risk)).one()
        assert (risk.level, risk.residual_level, risk.treatment) == (20, 10, Treatment.MODIFY)
        assert sorted(c.control_id for c in db.session.scalars(select(RiskControl))) == [
            "A.9.2.3", "A.9.4.2"]
    page = client.get("/risks/R-001").get_data(as_text=True)
    assert "20 high" in page and "A.9.4.2" in page
    assert events(app, "risk.create")[0].object_id == "R-001"
    control = client.get("/controls/A.9.2.3").get_data(as_text=True)
    assert 'href="/risks/R-001"' in control and "level 20 high" in control


@pytest.mark.parametrize("overrides, field, message", [
    ({"likelihood": "6"}, "likelihood", "Score from 1 to 5."),
    ({"impact": "0"}, "impact", "Score from 1 to 5."),
    ({"likelihood": "four"}, "likelihood", "Not a valid integer value."),
    ({"residual_impact": ""}, "residual_impact", "Give both residual likelihood"),
    ({"ref": "RISK-1"}, "ref", "A risk id looks like R-001."),
    ({"controls": "A.9.2.3, A.99.1"}, "controls", "Not a control of ISO/IEC 27001:2013: A.99.1"),
    ({"owner_id": ""}, "owner_id", "Choose the risk owner."),
])
def test_bad_risks_are_refused_with_a_field_error(app, client, make_user, login, overrides,
                                                  field, message):
    lead = login(make_user(Role.LEAD))
    response = client.post("/risks/new", data=risk_form(**{"owner_id": str(lead.id), **overrides}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(rf'id="{field}-errors"><li>{re.escape(message)}', page), page[-3000:]
    assert scalar(app, select(func.count(Risk.id))) == 0
    assert scalar(app, select(func.count(RiskControl.id))) == 0


def test_a_duplicate_risk_id_is_refused_and_the_first_kept(app, client, make_user, login):
    lead = login(make_user(Role.LEAD))
    client.post("/risks/new", data=risk_form(owner_id=str(lead.id)))
    again = client.post("/risks/new", data=risk_form(owner_id=str(lead.id), ref="r-001",
                                                     title="Other"))
    assert again.status_code == 422
    assert "R-001 is already in the register." in again.get_data(as_text=True)
    assert scalar(app, select(func.count(Risk.id))) == 1
    assert scalar(app, select(Risk.title)) == "Stolen admin keys"


def test_levels_and_heat_map_counts_agree_with_the_register(app, client, make_user, login):
    lead = login(make_user(Role.LEAD))
    scores = [(1, 1), (2, 3), (2, 3), (5, 5), (4, 2), (3, 3), (2, 3), (5, 1)]
    for n, (lik, imp) in enumerate(scores, start=1):
        assert client.post("/risks/new", data=risk_form(
            ref=f"R-{n:03d}", owner_id=str(lead.id), likelihood=str(lik), impact=str(imp),
            residual_likelihood="1", residual_impact=str(imp))).status_code == 302
    page = client.get("/risks").get_data(as_text=True)
    cells = {(int(a), int(b)): int(n) for a, b, n in re.findall(
        r'data-likelihood="(\d)" data-impact="(\d)" data-count="(\d+)"', page)}
    assert len(cells) == 25
    with app.app_context():
        register = Counter((r.likelihood, r.impact) for r in db.session.scalars(select(Risk)))
        levels = {r.ref: r.level for r in db.session.scalars(select(Risk))}
    assert {k: v for k, v in cells.items() if v} == dict(register)
    assert levels == {f"R-{n:03d}": lik * imp for n, (lik, imp) in enumerate(scores, start=1)}
    assert "8 risks" in page
    residual = client.get("/risks?map=residual").get_data(as_text=True)
    assert re.search(r'data-likelihood="1" data-impact="3" data-count="4"', residual)
    high = client.get("/risks?band=high").get_data(as_text=True)
    assert re.findall(r'href="/risks/(R-\d+)"', high) == ["R-004"]
    assert re.findall(r'data-count="(\d+)"', high).count("1") == 1


def test_the_register_exports_to_csv_and_xlsx_without_formulas(app, client, make_user, login):
    lead = login(make_user(Role.LEAD))
    client.post("/risks/new", data=risk_form(owner_id=str(lead.id), title="=HYPERLINK(1)"))
    client.post("/risks/new", data=risk_form(ref="R-002", owner_id=str(lead.id), impact="1",
                                             controls=""))
    rows = list(csv.reader(io.StringIO(client.get("/risks.csv").get_data(as_text=True))))
    assert rows[0][:3] == ["Risk ID", "Title", "Description"]
    assert [r[0] for r in rows[1:]] == ["R-001", "R-002"]  # highest level first
    assert rows[1][1] == "'=HYPERLINK(1)" and rows[1][9] == "20" and rows[1][-1] == (
        "A.9.2.3, A.9.4.2")
    response = client.get("/risks.xlsx")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data))["Risk register"]
    cell = sheet["B2"]
    assert (cell.value, cell.data_type) == ("=HYPERLINK(1)", "s")
    assert [sheet.cell(row=r, column=1).value for r in (2, 3)] == ["R-001", "R-002"]


def test_only_the_risk_owner_accepts_and_a_new_score_withdraws_it(app, client, make_user,
                                                                  login):
    lead, owner = make_user(Role.LEAD), make_user(Role.OWNER)
    login(lead)
    client.post("/risks/new", data=risk_form(owner_id=str(owner.id)))
    refused = client.post("/risks/R-001/accept", follow_redirects=True)
    assert "Only the risk owner accepts a risk." in refused.get_data(as_text=True)
    client.post("/logout")
    login(owner)
    client.post("/risks/R-001/accept")
    assert scalar(app, select(Risk.accepted_on)) == TODAY
    assert client.get("/risks/R-001/edit").status_code == 403  # owners do not edit the register
    client.post("/logout")
    login(lead)
    client.post("/risks/R-001/edit", data=risk_form(owner_id=str(owner.id),
                                                    residual_likelihood="3"))
    assert scalar(app, select(Risk.accepted_on)) is None
    assert scalar(app, select(Risk.residual_likelihood)) == 3


def test_control_links_feed_the_soa_risk_column(app, client, make_user, login):
    lead = login(make_user(Role.LEAD))
    client.post("/controls/A.9.1.1/edit", data={**DECISION, "risk_refs": "R-002, legacy RA-7"})
    client.post("/risks/new", data=risk_form(owner_id=str(lead.id), controls="A.9.1.1"))
    assert _soa_risks(client)["A.9.1.1"] == "R-001, R-002, legacy, RA-7"
    client.post("/risks/new", data=risk_form(ref="R-002", owner_id=str(lead.id), controls=""))
    assert _soa_risks(client)["A.9.1.1"] == "R-001, R-002, legacy, RA-7"
    page = client.get("/controls/A.9.1.1").get_data(as_text=True)
    assert 'href="/risks/R-001"' in page and 'href="/risks/R-002"' in page
    # Moving the risk to another control moves it in the SoA.
    client.post("/risks/R-001/edit", data=risk_form(owner_id=str(lead.id), controls="A.9.1.2"))
    soa = _soa_risks(client)
    assert (soa["A.9.1.1"], soa["A.9.1.2"]) == ("R-002, legacy, RA-7", "R-001")
    # Saving the control links what its text names and warns about unknown ids.
    saved = client.post("/controls/A.9.1.1/edit", data={**DECISION, "risk_refs": "R-001 R-077"},
                        follow_redirects=True).get_data(as_text=True)
    assert "Not in the risk register (yet): R-077" in saved
    assert _links(app) == {("A.9.1.1", "R-001"), ("A.9.1.2", "R-001")}
    form = client.get("/controls/A.9.1.2/edit").get_data(as_text=True)
    assert re.search(r'name="risk_refs"[^>]*value="R-001"', form)


def _links(app) -> set:
    with app.app_context():
        return set(db.session.execute(select(RiskControl.control_id, Risk.ref).join(
            Risk, Risk.id == RiskControl.risk_id)).all())


def _soa_risks(client) -> dict:
    book = load_workbook(io.BytesIO(client.get("/soa/export.xlsx").data), read_only=True)
    rows = list(book["SoA"].iter_rows(values_only=True))
    column = rows[0].index("Risk refs")
    return {r[0]: r[column] or "" for r in rows[1:]}


def test_risk_treatment_without_a_linked_risk_is_flagged(app, client, make_user, login):
    lead = login(make_user(Role.LEAD))
    client.post("/controls/A.9.1.1/edit", data=DECISION)
    client.post("/controls/A.9.1.2/edit", data={**DECISION, "reasons": ["legal"]})
    page = client.get("/controls/A.9.1.1").get_data(as_text=True)
    assert "no linked risk" in page
    flagged = client.get("/controls?risk=unlinked").get_data(as_text=True)
    assert re.findall(r'href="/controls/(A\.[0-9.]+)"', flagged) == ["A.9.1.1"]
    client.post("/risks/new", data=risk_form(owner_id=str(lead.id), controls="A.9.1.1"))
    assert "no linked risk" not in client.get("/controls/A.9.1.1").get_data(as_text=True)
    assert "No control matches" in client.get("/controls?risk=unlinked").get_data(as_text=True)


def test_risk_list_query_count_is_flat(app, client, make_user, login, count_queries):
    lead = login(make_user(Role.LEAD))
    pages = ("/risks", "/risks?band=low&map=residual", "/findings", "/isms",
             "/internal-audits", "/management-reviews", "/", "/controls")

    def measure() -> dict:
        counts = {}
        for path in pages:
            with count_queries() as statements:
                assert client.get(path).status_code == 200
            counts[path] = len(statements)
        return counts

    empty = measure()
    _bulk(app, lead.id, 1, 1)
    one = measure()
    _bulk(app, lead.id, 2, 1000)
    # An empty page skips the eager loads it has nothing to load for; after that, flat.
    assert measure() == one
    assert all(empty[path] <= one[path] <= empty[path] + 1 for path in pages)


def _bulk(app, owner_id: int, first: int, last: int) -> None:
    from management.models import AuditStatus, ClauseStatus, InternalAudit

    with app.app_context():
        risks = [Risk(ref=f"R-{i:04d}", title=f"Risk {i}", owner_id=owner_id,
                      likelihood=i % 5 + 1, impact=(i // 5) % 5 + 1,
                      treatment=Treatment.MODIFY, plan_status=PlanStatus.IN_PROGRESS,
                      residual_likelihood=1, residual_impact=1) for i in range(first, last + 1)]
        db.session.add_all(risks)
        db.session.flush()
        db.session.add_all(RiskControl(risk_id=r.id, edition="2013", control_id=c)
                           for r in risks for c in ("A.9.1.1", "A.12.4.1"))
        audit = InternalAudit(title="Bulk", scope="9.2", auditor="X", planned_on=TODAY,
                              status=AuditStatus.PLANNED)
        db.session.add(audit)
        db.session.flush()
        findings = [Finding(ref=f"F-{i:04d}", type=FindingType.MINOR_NC,
                            source=FindingSource.INTERNAL_AUDIT, audit_id=audit.id,
                            description=f"Finding {i}", raised_by_id=owner_id, raised_on=TODAY)
                    for i in range(first, last + 1)]
        db.session.add_all(findings)
        db.session.flush()
        db.session.add_all(Action(finding_id=f.id, description="Fix", owner_id=owner_id,
                                  due_on=TODAY) for f in findings)
        if first == 1:
            db.session.add_all(ClauseState(edition="2013", clause_id=c.clause_id,
                                           status=ClauseStatus.DONE, owner_id=owner_id)
                               for c in clauses("2013"))
        db.session.commit()


# Internal audits and management reviews --------------------------------------------------------

def test_an_internal_audit_is_planned_then_recorded(app, client, login_as):
    login_as(Role.LEAD)
    planned = {"title": "Access control", "scope": "9.2, a.9.2.1, A.12", "auditor": "P. W.",
               "planned_on": (TODAY + timedelta(days=9)).isoformat(), "status": "planned"}
    bad_scope = client.post("/internal-audits/new", data={**planned, "scope": "A.12, 11.7"})
    assert bad_scope.status_code == 422 and "11.7" in bad_scope.get_data(as_text=True)
    client.post("/internal-audits/new", data={**planned, "scope": "9.2, a.9.2.1"})
    audit_id = _only_audit_id(app)
    done = {**planned, "scope": "9.2, A.9.2.1", "status": "done"}
    missing = client.post(f"/internal-audits/{audit_id}/edit", data=done)
    assert missing.status_code == 422 and "Give the date the audit was performed." in (
        missing.get_data(as_text=True))
    client.post(f"/internal-audits/{audit_id}/edit", data={
        **done, "performed_on": TODAY.isoformat(), "summary": "Two gaps found."})
    page = client.get(f"/internal-audits/{audit_id}").get_data(as_text=True)
    assert "Two gaps found." in page and "9.2, A.9.2.1" in page
    assert [e.action for e in events(app, "internal_audit.update")] == ["internal_audit.update"]


def _only_audit_id(app) -> int:
    from management.models import InternalAudit

    return scalar(app, select(InternalAudit.id))


def review_form(**overrides) -> dict:
    from management.records import REVIEW_INPUTS

    data = {"held_on": TODAY.isoformat(), "attendees": "MD, lead", "decisions": "Go on."}
    for key, _ in REVIEW_INPUTS:
        data[f"state_{key}"] = "nothing_to_report"
    data["state_audit_results"], data["notes_audit_results"] = "discussed", "Two minor NCs."
    data["state_parties_feedback"] = "not_discussed"
    return {**data, **overrides}


def test_a_management_review_keeps_every_input(app, client, make_user, login):
    lead = login(make_user(Role.LEAD))
    incomplete = review_form()
    del incomplete["state_objectives"]
    refused = client.post("/management-reviews/new", data=incomplete)
    assert refused.status_code == 422
    assert "Say whether this input was discussed." in refused.get_data(as_text=True)
    silent = client.post("/management-reviews/new", data=review_form(notes_audit_results=""))
    assert "Note what was said on: Audit results." in silent.get_data(as_text=True)
    assert scalar(app, select(func.count(ManagementReview.id))) == 0
    client.post("/management-reviews/new", data=review_form())
    with app.app_context():
        review = db.session.scalars(select(ManagementReview)).one()
        states = {i.key: i.state.value for i in db.session.scalars(
            select(ReviewInput))}
        review_id = review.id
    assert len(states) == 10
    assert states["parties_feedback"] == "not_discussed"
    assert states["issues"] == "nothing_to_report" and states["audit_results"] == "discussed"
    page = client.get(f"/management-reviews/{review_id}").get_data(as_text=True)
    assert page.count("Not discussed") == 1 and page.count("Nothing to report") == 8
    no_owner = client.post(f"/management-reviews/{review_id}", data={
        "description": "Collect feedback", "owner_id": "", "due_on": ""})
    text = no_owner.get_data(as_text=True)
    assert no_owner.status_code == 422
    assert "Choose who owns the action." in text and "Give a due date." in text
    assert scalar(app, select(func.count(Action.id))) == 0
    client.post(f"/management-reviews/{review_id}", data={
        "description": "Collect feedback", "owner_id": str(lead.id),
        "due_on": (TODAY - timedelta(days=1)).isoformat()})
    with app.app_context():
        digest = collect_digests("2013", TODAY)[lead.id]
    assert [a.description for a in digest.actions] == ["Collect feedback"]
    assert re.search(r"<strong>1</strong> overdue action<", client.get("/").get_data(
        as_text=True))


# Findings -------------------------------------------------------------------------------------

def finding_form(**overrides) -> dict:
    return {"type": "minor_nc", "source": "internal_audit", "refs": "9.2, A.9.2.5",
            "description": "Stale IAM users", "root_cause": "", **overrides}


def _finding(app) -> Finding:
    with app.app_context():
        finding = db.session.scalars(select(Finding)).one()
        db.session.expunge(finding)
        return finding


def test_a_finding_moves_through_its_statuses_in_order(app, client, make_user, login):
    lead, owner = login(make_user(Role.LEAD)), make_user(Role.OWNER)
    assert client.post("/findings/new", data=finding_form()).location.endswith("/findings/F-001")
    assert _finding(app).status is FindingStatus.OPEN

    def step(to: str) -> str:
        return client.post("/findings/F-001/advance", data={"to": to},
                           follow_redirects=True).get_data(as_text=True)

    assert "moves only to the next status" in step("closed")
    assert "moves only to the next status" in step("awaiting_verification")
    assert "Plan at least one corrective action first." in step("action_planned")
    client.post("/findings/F-001/actions", data={
        "description": "Remove them", "owner_id": str(owner.id),
        "due_on": (TODAY - timedelta(days=2)).isoformat()})
    assert "Record the root cause of a nonconformity first." in step("action_planned")
    client.post("/findings/F-001/edit", data=finding_form(root_cause="No leaver step."))
    step("action_planned")
    assert _finding(app).status is FindingStatus.ACTION_PLANNED
    assert "Every action must be done before verification." in step("awaiting_verification")
    with app.app_context():
        digest = collect_digests("2013", TODAY)
    assert [a.source for a in digest[owner.id].actions] == ["F-001"]
    action_id = scalar(app, select(Action.id))
    client.post("/logout")
    login(owner)
    assert client.post(f"/actions/{action_id}/done").status_code == 302
    client.post("/logout")
    login(lead)
    step("awaiting_verification")
    assert _finding(app).status is FindingStatus.AWAITING_VERIFICATION
    unverified = client.post("/findings/F-001/verify", data={
        "verified_on": TODAY.isoformat(), "verification": ""})
    assert unverified.status_code == 422
    assert _finding(app).status is FindingStatus.AWAITING_VERIFICATION
    client.post("/findings/F-001/verify", data={"verified_on": TODAY.isoformat(),
                                               "verification": "No stale users in October."})
    closed = _finding(app)
    assert (closed.status, closed.verified_on, closed.verified_by_id) == (
        FindingStatus.CLOSED, TODAY, lead.id)
    # Closed: frozen, reopened only with a reason.
    edit = client.post("/findings/F-001/edit", data=finding_form(description="Changed"),
                       follow_redirects=True)
    assert "A closed finding cannot be edited" in edit.get_data(as_text=True)
    assert _finding(app).description == "Stale IAM users"
    assert "cannot be changed" in client.post("/findings/F-001/actions", data={
        "description": "More", "owner_id": str(owner.id), "due_on": TODAY.isoformat()},
        follow_redirects=True).get_data(as_text=True)
    no_reason = client.post("/findings/F-001/reopen", data={"reason": ""})
    assert no_reason.status_code == 422 and _finding(app).status is FindingStatus.CLOSED
    client.post("/findings/F-001/reopen", data={"reason": "Found another stale user."})
    reopened = _finding(app)
    assert (reopened.status, reopened.verified_on) == (FindingStatus.OPEN, None)
    statuses = [e.after["status"] for e in events(app, "finding.status")]
    assert statuses == ["action_planned", "awaiting_verification", "closed", "open"]
    assert events(app, "finding.status")[-1].after["reason"] == "Found another stale user."


def test_an_action_needs_an_owner_and_a_due_date(app, client, login_as):
    login_as(Role.LEAD)
    client.post("/findings/new", data=finding_form())
    response = client.post("/findings/F-001/actions", data={"description": "", "owner_id": "",
                                                           "due_on": "someday"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Describe the action." in text and "Choose who owns the action." in text
    assert "Not a valid date value." in text
    assert scalar(app, select(func.count(Action.id))) == 0


def test_a_certification_finding_needs_the_auditors_reference(app, client, login_as):
    login_as(Role.LEAD)
    response = client.post("/findings/new", data=finding_form(source="certification_audit"))
    assert response.status_code == 422
    assert "Give the certification auditor&#39;s reference." in response.get_data(as_text=True)
    assert scalar(app, select(func.count(Finding.id))) == 0


def test_an_auditor_raises_findings_in_scope_only(app, client, make_user, login):
    auditor = login(make_user(Role.AUDITOR, scope="A.9"))
    form = client.get("/findings/new").get_data(as_text=True)
    assert 'value="internal_audit"' not in form and "Internal audit</label>" not in form
    outside = client.post("/findings/new", data=finding_form(
        source="certification_audit", source_ref="NC-3", refs="A.12.4.1"))
    assert outside.status_code == 422
    assert "Outside your audit scope: A.12.4.1." in outside.get_data(as_text=True)
    sneaky = client.post("/findings/new", data=finding_form(source="internal_audit",
                                                            refs="A.9.2.5"))
    assert sneaky.status_code == 422  # auditors cannot pretend to be the internal audit
    client.post("/findings/new", data=finding_form(source="certification_audit",
                                                   source_ref="NC-3", refs="A.9.2.5"))
    made = _finding(app)
    assert (made.raised_by_id, made.source_ref, made.refs) == (auditor.id, "NC-3", "A.9.2.5")
    for path in ("/findings/F-001/advance", "/findings/F-001/edit", "/risks/new",
                 "/isms/4.1/edit", "/internal-audits/new", "/management-reviews/new"):
        assert client.post(path, data={}).status_code == 403, path
    assert client.get("/risks").status_code == 200
    client.post("/logout")
    login(make_user(Role.LEAD))
    client.post("/findings/new", data=finding_form(refs="A.12.4.1"))
    client.post("/logout")
    login(auditor)
    listed = re.findall(r'href="/findings/(F-\d+)"', client.get("/findings").get_data(
        as_text=True))
    assert listed == ["F-001"]
    assert client.get("/findings/F-002").status_code == 404


def test_the_demo_fills_the_management_system(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Risk.id))) == 15
        assert db.session.scalar(select(func.count(RiskControl.id))) > 60
        statuses = dict(db.session.execute(
            select(ClauseState.clause_id, ClauseState.status)).all())
        assert all(statuses[c].value == "done" for c in ("4", "4.1", "4.2", "4.3", "4.4"))
        findings = list(db.session.scalars(select(Finding).order_by(Finding.ref)))
        assert [f.audit_id is not None for f in findings] == [True, True]
        assert {f.status for f in findings} == {FindingStatus.ACTION_PLANNED,
                                                FindingStatus.CLOSED}
        assert db.session.scalar(select(func.count(ManagementReview.id))) == 1
        accepted = db.session.scalar(select(func.count(Risk.id)).where(
            Risk.accepted_on.is_not(None)))
    assert accepted and len(events(app, "risk.accept")) == accepted  # by each risk owner
    runner.invoke(args=["demo"])
    with app.app_context():
        assert db.session.scalar(select(func.count(Risk.id))) == 15  # a rerun adds nothing
