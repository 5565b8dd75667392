"""OSCAL exports load with compliance-trestle's model classes and say what the tracker holds."""

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.catalog import Catalog
from trestle.oscal.profile import Profile
from trestle.oscal.ssp import SystemSecurityPlan

from controls.models import Applicability, ControlState, ImplementationStatus, Responsibility
from isms.auth.models import Role, User
from isms.db import db

MODELS = {"catalog": Catalog, "profile": Profile, "ssp": SystemSecurityPlan,
          "assessment-results": AssessmentResults}


def _export(runner, tmp_path, model, *args):
    out = tmp_path / f"{model}.json"
    result = runner.invoke(args=["oscal", "export", model, *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    (root,) = document.values()
    return root, MODELS[model].model_validate(root)


@pytest.mark.parametrize("edition,count", [("2013", 114), ("2022", 93)])
def test_the_catalog_has_every_control_id_and_title(runner, tmp_path, edition, count):
    _root, catalog = _export(runner, tmp_path, "catalog", "--edition", edition)
    controls = [c for g in catalog.groups for c in g.controls]
    assert len(controls) == count
    assert len({c.id for c in controls}) == count
    assert all(set(json.loads(c.model_dump_json(by_alias=True, exclude_none=True))) == {
        "id", "title"} for c in controls)  # identifiers and titles, no ISO text


def _decide(app, lead_id):
    with app.app_context():
        states = {s.control_id: s for s in db.session.scalars(
            select(ControlState).where(ControlState.edition == "2013"))}
        for control_id, state in states.items():
            if control_id.startswith("A.9."):
                state.applicability = Applicability.APPLICABLE
                state.inclusion_reasons = "risk"
                state.implementation_status = ImplementationStatus.PARTIAL
                state.justification = "Access control protects customer data;\n treats R-1"
                state.responsibility = Responsibility.SHARED
                state.company_part = "We run IAM Identity Center."
                state.aws_part = "AWS secures the IAM service."
            elif control_id.startswith("A.11."):
                state.applicability = Applicability.EXCLUDED
                state.justification = "No premises of our own."
        db.session.commit()
        return {c for c in states if c.startswith("A.9.")}


def test_the_profile_selects_exactly_the_applicable_controls_with_their_decisions(
        app, runner, tmp_path, make_user):
    applicable = _decide(app, make_user(Role.LEAD).id)
    _root, profile = _export(runner, tmp_path, "profile")
    selected = {i for imp in profile.imports for sel in imp.include_controls
                for i in sel.with_ids}
    assert selected == applicable
    alter = next(a for a in profile.modify.alters if a.control_id == "A.9.1.1")
    values = {p.name: p.value for add in alter.adds for p in add.props}
    assert values["applicability"] == "applicable"
    assert values["justification"] == "Access control protects customer data; treats R-1"
    assert values["implementation-status"] == "partial"


def test_the_ssp_splits_each_control_by_responsibility_and_leverages_aws_attestations(
        app, runner, tmp_path, make_user):
    lead = make_user(Role.LEAD)
    _decide(app, lead.id)
    with app.app_context():
        import io

        from evidence.api import create_evidence

        create_evidence(title="AWS SOC 2 Type II", kind="third_party_report", owner_id=lead.id,
                        refs=[("2013", "A.9.1.1")], collected_on=date.today(),
                        valid_until=date.today() + timedelta(days=200),
                        stream=io.BytesIO(b"%PDF-1.7 soc2"), file_name="soc2.pdf",
                        audit_actor="system:test",
                        report={"issuer": "An audit firm", "report_name": "SOC 2 Type II",
                                "period_from": date(2025, 1, 1), "period_to": date(2025, 12, 31),
                                "inherited_from": "aws"})
        db.session.commit()
    _root, ssp = _export(runner, tmp_path, "ssp")
    components = {c.uuid: c.title for c in ssp.system_implementation.components}
    assert "Amazon Web Services" in components.values()
    requirement = next(r for r in ssp.control_implementation.implemented_requirements
                       if r.control_id == "A.9.1.1")
    parts = {components[b.component_uuid]: b.description for b in requirement.by_components}
    assert parts["Amazon Web Services"] == "AWS secures the IAM service."
    assert "We run IAM Identity Center." in parts.values()
    (leveraged,) = ssp.system_implementation.leveraged_authorizations
    assert leveraged.title == "AWS SOC 2 Type II"
    assert leveraged.party_uuid == ssp.metadata.parties[0].uuid


def test_assessment_results_carry_reviews_and_check_runs(app, runner, tmp_path, make_user):
    lead = make_user(Role.LEAD)
    with app.app_context():
        from connectors.aws.models import AwsCheck, AwsCheckResult, AwsConnection, AwsRun
        from controls.api import add_review

        add_review("2013", "A.9.1.1", db.session.get(User, lead.id), reviewed_on=date.today(),
                   outcome="needs_improvement", notes="Two stale accounts")
        connection = AwsConnection(name="prod", account_id="123456789012",
                                   regions="eu-west-1", owner_id=lead.id)
        db.session.add(connection)
        db.session.flush()
        run = AwsRun(connection_id=connection.id, status="done")
        db.session.add(run)
        db.session.flush()
        result = AwsCheckResult(run_id=run.id, connection_id=connection.id,
                                check_id="s3-versioning", verdict="fail", reason="2 buckets")
        db.session.add(result)
        db.session.flush()
        db.session.add(AwsCheck(connection_id=connection.id, check_id="s3-versioning",
                                last_result_id=result.id, verdict="fail"))
        db.session.commit()
    _root, results = _export(runner, tmp_path, "assessment-results")
    (result,) = results.results
    titles = {o.title for o in result.observations}
    assert {"Review of A.9.1.1", "s3-versioning on prod"} <= titles
    states = {f.target.target_id: f.target.status.state.value for f in result.findings}
    assert states["A.9.1.1"] == "not-satisfied"


def test_the_api_serves_the_same_documents_to_the_roles_declared(app, make_token, api):
    lead, auditor = make_token(Role.LEAD), make_token(Role.AUDITOR)
    empty = api.get(lead, "/api/v1/oscal/ssp")
    assert empty.status_code == 409 and "decide the SoA first" in empty.json["detail"]
    _decide(app, lead.id)
    for model, cls in MODELS.items():
        response = api.get(lead, f"/api/v1/oscal/{model}")
        assert response.status_code == 200, model
        cls.model_validate(next(iter(response.json.values())))
    catalog = api.get(auditor, "/api/v1/oscal/catalog?edition=2022").json["catalog"]
    assert sum(len(g["controls"]) for g in catalog["groups"]) == 93
    assert api.get(auditor, "/api/v1/oscal/ssp").status_code == 403
    assert api.get(lead, "/api/v1/oscal/catalog?edition=1999").status_code == 422


def test_every_export_of_the_demo_loads_and_the_profile_matches_the_soa(app, runner,
                                                                       tmp_path):
    assert runner.invoke(args=["demo"]).exit_code == 0
    documents = {model: _export(runner, tmp_path, model)[1] for model in MODELS}
    check = runner.invoke(args=["oscal", "export", "profile", "--out", str(tmp_path / "p.json")])
    assert check.exit_code == 0
    from controls.api import Applicability, list_decisions

    with app.app_context():
        applicable = {d.control_id for d in list_decisions("2013")
                      if d.applicability is Applicability.APPLICABLE}
    selected = {i for imp in documents["profile"].imports for sel in imp.include_controls
                for i in sel.with_ids}
    assert selected == applicable
    requirements = documents["ssp"].control_implementation.implemented_requirements
    assert {r.control_id for r in requirements} == applicable
