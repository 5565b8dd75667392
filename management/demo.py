"""The management system part of the Cloudar demo: clauses, risks, an audit, a review."""

from datetime import date, timedelta

from sqlalchemy import select

from evidence.api import create_evidence
from isms.api import User, clauses, db, get_edition
from management.clauses import link_evidence, state_for_update, update_clause
from management.findings import advance, get_finding, raise_finding, verify_and_close
from management.models import (
    AuditStatus,
    ClauseStatus,
    FindingSource,
    FindingStatus,
    FindingType,
    InputState,
    PlanStatus,
    Risk,
    Treatment,
)
from management.records import REVIEW_INPUTS, add_action, complete_action, save_audit, save_review
from management.risks import accept_risk, save_risk

DONE_CLAUSES = ("4", "5", "6.1.2", "6.1.3", "7.2", "7.3", "7.5")
IN_PROGRESS = ("6", "7", "8", "9.1", "9.2", "9.3")


def _span(prefix: str, first: int, last: int) -> list[str]:
    return [f"{prefix}.{n}" for n in range(first, last + 1)]


# (title, asset, threat, vulnerability, owner, L, I, treatment, residual L/I, plan status,
#  controls): a consultancy on AWS, assessed on a 1-5 scale.
RISKS = (
    ("Compromised AWS administrator credentials", "AWS organisation",
     "Credential theft by phishing or malware", "Long-lived access keys, weak MFA coverage",
     "cloud", 4, 5, Treatment.MODIFY, (2, 5), PlanStatus.DONE,
     _span("A.9.1", 1, 2) + _span("A.9.2", 1, 6) + ["A.9.3.1"] + _span("A.9.4", 1, 5)),
    ("Customer data exposed through a public S3 bucket", "Customer data stores",
     "Misconfiguration discovered by scanners", "Manual bucket policies",
     "cloud", 3, 5, Treatment.MODIFY, (1, 5), PlanStatus.DONE,
     ["A.13.1.1", "A.13.1.3", "A.13.2.1"] + _span("A.8.2", 1, 3)),
    ("Ransomware on staff laptops", "Staff endpoints", "Malware by email or download",
     "Users with local admin rights", "people", 3, 4, Treatment.MODIFY, (2, 3),
     PlanStatus.IN_PROGRESS,
     ["A.12.2.1", "A.6.2.1", "A.11.2.6", "A.11.2.8", "A.11.2.9"] + _span("A.8.1", 1, 3)
     + _span("A.8.3", 1, 3)),
    ("Loss of the primary AWS region", "Managed customer platforms", "Regional outage",
     "Single-region deployments", "cloud", 2, 5, Treatment.MODIFY, (1, 4),
     PlanStatus.IN_PROGRESS, _span("A.17.1", 1, 3) + ["A.17.2.1", "A.12.3.1"]),
    ("Intrusion into a customer account goes unnoticed", "Managed customer accounts",
     "Targeted attack", "Gaps in log coverage and alerting", "cloud", 3, 4, Treatment.MODIFY,
     (2, 3), PlanStatus.DONE, _span("A.12.4", 1, 4) + _span("A.16.1", 1, 7)),
    ("Unpatched vulnerabilities in managed instances", "EC2 fleets",
     "Exploitation of known vulnerabilities", "Patching left to each team", "cloud", 4, 4,
     Treatment.MODIFY, (2, 3), PlanStatus.IN_PROGRESS,
     ["A.12.6.1", "A.12.6.2", "A.12.5.1"]),
    ("Unsafe change to customer infrastructure", "Infrastructure as code",
     "Human error", "Changes without peer review", "cloud", 3, 3, Treatment.MODIFY, (1, 3),
     PlanStatus.DONE, ["A.12.1.2", "A.12.1.4", "A.14.3.1"] + _span("A.14.1", 1, 3)
     + _span("A.14.2", 1, 6) + ["A.14.2.8", "A.14.2.9"]),
    ("Breach at a SaaS supplier", "Collaboration and ticketing tools",
     "Supplier compromise", "Supplier security not reviewed", "lead", 2, 4, Treatment.SHARE,
     (2, 3), PlanStatus.IN_PROGRESS, _span("A.15.1", 1, 3) + _span("A.15.2", 1, 2)),
    ("Misuse of access by departing staff", "Customer environments", "Insider misuse",
     "Slow de-provisioning", "people", 2, 4, Treatment.MODIFY, (1, 4), PlanStatus.DONE,
     _span("A.7.1", 1, 2) + ["A.7.2.1", "A.7.2.3", "A.7.3.1", "A.8.1.4"]),
    ("Staff deceived by phishing", "Staff", "Phishing and pretexting",
     "Irregular awareness training", "people", 4, 3, Treatment.MODIFY, (3, 2),
     PlanStatus.IN_PROGRESS, ["A.7.2.2", "A.13.2.3", "A.6.2.2"]),
    ("Breach of GDPR or customer contracts", "Personal data", "Regulatory action",
     "Obligations not tracked", "lead", 2, 4, Treatment.MODIFY, (1, 4), PlanStatus.DONE,
     _span("A.18.1", 1, 4) + _span("A.18.2", 1, 2)),
    ("Leaked encryption keys", "KMS keys and certificates", "Key theft",
     "Keys created outside the policy", "cloud", 2, 5, Treatment.MODIFY, (1, 5),
     PlanStatus.DONE, ["A.10.1.1", "A.10.1.2"]),
    ("Unclear security roles and stale policies", "ISMS", "Governance failure",
     "Policies without owners", "lead", 3, 2, Treatment.MODIFY, (1, 2), PlanStatus.DONE,
     _span("A.5.1", 1, 2) + _span("A.6.1", 1, 5)),
    ("Break-in at the Ghent office", "Office and equipment", "Theft", "Shared building",
     "people", 2, 2, Treatment.RETAIN, (2, 2), PlanStatus.DONE,
     _span("A.11.1", 1, 5) + _span("A.11.2", 1, 5) + ["A.11.2.7"]),
    ("Capacity exhausted during customer peaks", "Managed customer platforms",
     "Demand surge", "Static capacity limits", "cloud", 2, 3, Treatment.MODIFY, (1, 3),
     PlanStatus.NOT_STARTED, ["A.12.1.3", "A.13.1.2", "A.13.2.2"]),
)


def load_demo(users: dict[str, User], edition: str, today: date) -> None:
    """Fill the management system once; a second run leaves it as it is."""
    if db.session.scalar(select(Risk.id).limit(1)) is not None:
        return
    lead = users["lead"]
    _clauses(users, edition, today)
    catalog = get_edition(edition)
    for number, spec in enumerate(RISKS, start=1):
        (title, asset, threat, weakness, owner, lik, imp, treatment, residual, plan_status,
         controls) = spec
        risk = save_risk(None, {
            "ref": f"R-{number:03d}", "title": title, "description": "", "asset": asset,
            "threat": threat, "vulnerability": weakness, "owner_id": users[owner].id,
            "likelihood": lik, "impact": imp, "treatment": treatment,
            "plan": "Apply and evidence the linked controls.", "plan_status": plan_status,
            "plan_due": today + timedelta(days=30 * (number % 5 + 1)),
            "residual_likelihood": residual[0], "residual_impact": residual[1]},
            [c for c in controls if catalog.get(c)], edition, lead)
        if plan_status is PlanStatus.DONE:  # the risk owner accepted the residual risk
            accept_risk(risk, users[owner], today - timedelta(days=20))
    _audit_and_findings(users, today)
    _management_review(users, today)
    db.session.flush()


def _clauses(users, edition: str, today: date) -> None:
    lead = users["lead"]
    for clause in clauses(edition):
        cid = clause.clause_id
        if any(cid == d or cid.startswith(d + ".") for d in DONE_CLAUSES):
            status = ClauseStatus.DONE
        elif cid in IN_PROGRESS or cid.startswith(("6.", "8.", "9.")):
            status = ClauseStatus.IN_PROGRESS
        else:
            status = ClauseStatus.NOT_STARTED
        owner = users["people"] if cid.startswith("7") else lead
        update_clause(state_for_update(edition, cid), {
            "status": status, "owner_id": owner.id,
            "notes": "Documented in the ISMS manual." if status is ClauseStatus.DONE else ""},
            lead, audit_actor="system:demo")
    scope_id = create_evidence(
        title="ISMS scope statement", kind="statement", owner_id=lead.id, refs=[],
        collected_on=today - timedelta(days=60), valid_until=today + timedelta(days=305),
        text="The ISMS covers the design, delivery and operation of AWS consulting and "
             "managed cloud services from the Ghent office and remote workplaces.",
        audit_actor="system:demo")
    link_evidence(state_for_update(edition, "4.3"), scope_id, actor="system:demo")


def _audit_and_findings(users, today: date) -> None:
    lead = users["lead"]
    audit = save_audit(None, {
        "title": "Access control and operations security", "scope": "9.1, A.9, A.12.4, A.12.6",
        "auditor": "Pieter Wouters (internal auditor, independent of the cloud team)",
        "planned_on": today - timedelta(days=45), "performed_on": today - timedelta(days=40),
        "status": AuditStatus.DONE,
        "summary": "Access reviews are done quarterly; two stale IAM users found. Patch "
                   "levels are tracked but the bastion AMI lagged one release."}, lead)
    save_audit(None, {
        "title": "Supplier relationships and business continuity", "scope": "8.1, A.15, A.17",
        "auditor": "Pieter Wouters", "planned_on": today + timedelta(days=60),
        "performed_on": None, "status": AuditStatus.PLANNED, "summary": ""}, lead)
    minor = raise_finding({
        "type": FindingType.MINOR_NC, "source": FindingSource.INTERNAL_AUDIT, "source_ref": "",
        "audit_id": audit.id, "refs": "A.9.2.5, A.9.2.6",
        "description": "Two IAM users of people who left in the summer were still active.",
        "root_cause": "The leaver checklist does not include the AWS organisation."},
        lead, today - timedelta(days=40))
    add_action(description="Add AWS access removal to the leaver checklist",
               owner_id=users["people"].id, due_on=today - timedelta(days=5), finding=minor,
               actor=lead)
    done = add_action(description="Remove the two stale IAM users", owner_id=users["cloud"].id,
                      due_on=today - timedelta(days=30), finding=minor, actor=lead)
    complete_action(done, users["cloud"], today - timedelta(days=35))
    minor = get_finding(minor.ref)
    advance(minor, lead, FindingStatus.ACTION_PLANNED)
    observation = raise_finding({
        "type": FindingType.OBSERVATION, "source": FindingSource.INTERNAL_AUDIT,
        "source_ref": "", "audit_id": audit.id, "refs": "A.12.6.1",
        "description": "The bastion host AMI lagged one release behind the baseline.",
        "root_cause": "AMI updates are a manual step."}, lead, today - timedelta(days=40))
    fixed = add_action(description="Automate the monthly AMI rebuild",
                       owner_id=users["cloud"].id, due_on=today - timedelta(days=10),
                       finding=observation, actor=lead)
    complete_action(fixed, users["cloud"], today - timedelta(days=12))
    observation = get_finding(observation.ref)
    advance(observation, lead, FindingStatus.ACTION_PLANNED)
    advance(observation, lead, FindingStatus.AWAITING_VERIFICATION)
    verify_and_close(observation, lead, today - timedelta(days=3),
                     "The last two AMI builds ran on schedule and the bastion runs the "
                     "current release.")


def _management_review(users, today: date) -> None:
    lead = users["lead"]
    discussed = {"nonconformities", "audit_results", "risk_results", "objectives",
                 "monitoring", "previous_actions"}
    inputs = {key: (InputState.DISCUSSED, f"{label}: reviewed with the management team.")
              if key in discussed else (InputState.NOTHING_TO_REPORT, "")
              for key, label in REVIEW_INPUTS}
    inputs["parties_feedback"] = (InputState.NOT_DISCUSSED, "")
    review = save_review({
        "held_on": today - timedelta(days=25),
        "attendees": "Managing director, security lead, head of cloud operations, HR lead",
        "decisions": "Budget approved for a second region for managed platforms. Customer "
                     "feedback to be collected before the next review."}, inputs, lead)
    add_action(description="Collect security feedback from the five largest customers",
               owner_id=lead.id, due_on=today + timedelta(days=45), review=review, actor=lead)
