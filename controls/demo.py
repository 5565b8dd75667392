"""The Cloudar demo: users for each role, decisions and evidence, the same on every run."""

import io
import zlib
from datetime import timedelta

from connectors.api import add_demo_connection
from controls.models import (
    Applicability,
    ImplementationStatus,
    Responsibility,
    ReviewCadence,
    ReviewOutcome,
)
from controls.reviews import NewFollowUp, add_months, record_review
from controls.services import ensure_control_states, list_control_rows, update_control
from evidence.api import create_evidence, has_evidence
from isms.api import (
    Role,
    UserError,
    create_user,
    get_edition,
    get_user_by_email,
    local_today,
    set_auditor_scope,
)
from management.api import load_demo as load_management_demo

DEMO_EDITION = "2013"


class DemoError(RuntimeError):
    """The demo cannot run here; the message says why."""
# (email, name, role, password): the passwords are public and documented in the README.
DEMO_USERS = (
    ("admin@cloudar.example", "Tom Claes", Role.ADMIN, "isms-demo-admin"),
    ("lead@cloudar.example", "Sofie Peeters", Role.LEAD, "isms-demo-lead"),
    ("cloud@cloudar.example", "Jonas Maes", Role.OWNER, "isms-demo-owner"),
    ("people@cloudar.example", "Elise Janssens", Role.OWNER, "isms-demo-owner"),
    ("auditor@certifier.example", "Marc Dubois", Role.AUDITOR, "isms-demo-auditor"),
)
CLOUD_CLAUSES = {"A.9", "A.10", "A.12", "A.13", "A.14", "A.16", "A.17"}
LEAD_CLAUSES = {"A.5", "A.8", "A.18"}
EXCLUSIONS = {
    "A.11.1.6": "Cloudar's office receives no deliveries of equipment into secure areas; "
                "hardware is shipped to staff and all servers run in AWS data centres.",
    "A.14.2.7": "Cloudar does not outsource software development; all code is written by "
                "employees under the secure development policy.",
}
UNDECIDED = {"A.18.1.5", "A.18.2.3"}
AUDIT_SCOPE = "A.5 A.6 A.9 A.12 A.16 A.17 A.18"  # the certification audit's sample
SCOPE = ("The information security management system of Cloudar NV covering the design, "
         "delivery and operation of AWS consulting and managed cloud services from the "
         "Ghent office and remote workplaces.")


def _demo_user(email, name, role, password):
    user = get_user_by_email(email)
    if user is None:
        try:
            return create_user(email, role, password, name=name, actor="system:demo",
                               is_demo=True, valid_until=None)
        except UserError as error:
            raise DemoError(str(error)) from error
    user.set_password(password)
    user.is_enabled = True
    return user


def _demo_decisions(users) -> None:
    lead = users["lead@cloudar.example"]
    owners = {"cloud": users["cloud@cloudar.example"], "people": users["people@cloudar.example"],
              "lead": lead}
    for row in list_control_rows(DEMO_EDITION, editable=True):
        values = _decision(row.item, owners)
        if values is not None:
            update_control(row.state, values, None, audit_actor="system:demo")


def _decision(item, owners) -> dict | None:
    """Return a plausible decision for one control, the same on every run."""
    cid, group = item.control_id, item.group_id
    if cid in UNDECIDED:
        return None
    owner = (owners["cloud"] if group in CLOUD_CLAUSES
             else owners["lead"] if group in LEAD_CLAUSES else owners["people"])
    responsibility = Responsibility(item.default_responsibility)
    values = {
        "responsibility": responsibility, "owner_id": owner.id,
        "review_cadence": ReviewCadence.QUARTERLY if group in {"A.9", "A.12"}
        else ReviewCadence.YEARLY,
        "company_part": _company_part(responsibility), "aws_part": _aws_part(responsibility),
        "notes": "",
    }
    if cid in EXCLUSIONS:
        return values | {"applicability": Applicability.EXCLUDED, "reasons": [],
                         "justification": EXCLUSIONS[cid], "implementation_status": None}
    reasons = ["business", "risk"]
    if group == "A.18":
        reasons = ["legal", "risk"]
    elif group == "A.15" or cid == "A.13.2.4":
        reasons = ["contractual", "risk"]
    spread = zlib.crc32(cid.encode()) % 10
    status = (ImplementationStatus.IMPLEMENTED if spread < 5 else
              ImplementationStatus.PARTIAL if spread < 7 else
              ImplementationStatus.PLANNED if spread < 8 else ImplementationStatus.NOT_STARTED)
    return values | {"applicability": Applicability.APPLICABLE, "reasons": reasons,
                     "justification": _justification(item, reasons),
                     "implementation_status": status}


# Why each clause matters to Cloudar, the way a lead would write it in the SoA.
CLAUSE_WHY = {
    "A.5": "management direction is the basis of the ISMS and asked for by customers",
    "A.6": "roles, segregation of duties and remote work need clear rules",
    "A.7": "staff and contractors handle customer environments",
    "A.8": "we must know which assets and customer data we hold and how to handle them",
    "A.9": "access to customer AWS accounts is the main attack path",
    "A.10": "customer data is encrypted at rest and in transit with keys we manage in KMS",
    "A.11": "the Ghent office and laptops hold credentials to customer environments",
    "A.12": "we operate production workloads for customers and must run them reliably",
    "A.13": "customer networks and data transfers pass through our landing zones",
    "A.14": "we build infrastructure as code and automation for customers",
    "A.15": "we depend on AWS and a few SaaS suppliers for the service",
    "A.16": "customers expect notification of incidents within contractual deadlines",
    "A.17": "managed services must continue during an outage of a region or our office",
    "A.18": "GDPR and customer contracts set legal and contractual obligations",
}
REASON_TEXT = {"legal": "required by law (GDPR, NIS2 for our customers)",
               "contractual": "required by customer contracts and our AWS partner agreement",
               "business": "needed for the managed-service business",
               "risk": "treats risks in the register"}


def _justification(item, reasons) -> str:
    """A realistic, control-specific justification for an included control."""
    why = CLAUSE_WHY.get(item.group_id, "it supports the services in scope")
    because = "; ".join(REASON_TEXT[r] for r in reasons)
    return f"Included because {why}: {item.title.lower()} is {because}."


def _company_part(responsibility: Responsibility) -> str:
    if responsibility is Responsibility.AWS:
        return ""
    if responsibility is Responsibility.SHARED:
        return ("Cloudar configures, restricts and monitors the AWS services it uses, and "
                "covers the office and laptops itself.")
    return "Run by Cloudar's own process, owned by the named owner."


def _aws_part(responsibility: Responsibility) -> str:
    if responsibility is Responsibility.COMPANY:
        return ""
    return ("AWS operates the data centres, hardware and managed service layer; this is "
            "inherited and attested by AWS's ISO/IEC 27001 certificate and SOC 2 report.")


# Applicable controls left without evidence, so the dashboard has something to flag.
WITHOUT_EVIDENCE = {"A.12.7.1", "A.13.2.3", "A.15.2.2", "A.16.1.7"}
EXPIRED_ONLY = {"A.17.1.3"}
# (title, kind, controls, valid days from today or None, tags, content)
SPECIFIC_EVIDENCE = (
    ("Penetration test report 2025", "third_party_report", ["A.12.6.1", "A.14.2.8"], 12,
     "pentest,external", "pentest-2025.txt"),
    ("Business continuity exercise 2024", "file", ["A.17.1.3"], -20, "bcp",
     "bcp-exercise-2024.txt"),
    ("AWS ISO/IEC 27001 certificate (AWS Artifact)", "third_party_report",
     ["A.11.1.1", "A.11.1.2", "A.11.1.4", "A.11.2.1", "A.11.2.2"], 200, "aws,inherited",
     "aws-iso27001-certificate.txt"),
    ("IAM password policy in the production account", "link", ["A.9.4.3", "A.9.2.4"], None,
     "aws,iam", "https://console.aws.amazon.com/iamv2/home#/account_settings"),
    ("Access review ticket SEC-142", "link", ["A.9.2.5"], 90, "review",
     "https://cloudar.atlassian.example/browse/SEC-142"),
    ("Statement of the CTO on segregation of duties", "statement", ["A.6.1.2"], 365, "",
     "Production changes need an approved pull request by a second engineer; no engineer "
     "holds both the deploy and the approve permission."),
)

# Marked as inherited, so every AWS and shared control shows it (see controls.inherited).
INHERITED_REPORTS = {
    "AWS ISO/IEC 27001 certificate (AWS Artifact)": {
        "issuer": "EY CertifyPoint", "report_name": "ISO/IEC 27001:2013 certificate",
        "inherited_from": "aws"},
}


def load_demo(org) -> None:
    """Put the Cloudar demo in place (the caller commits)."""
    org.name, org.scope = "Cloudar", SCOPE
    users = {spec[0]: _demo_user(*spec) for spec in DEMO_USERS}
    set_auditor_scope(users["auditor@certifier.example"], AUDIT_SCOPE, DEMO_EDITION)
    ensure_control_states(DEMO_EDITION)
    _demo_decisions(users)
    if not has_evidence():
        _demo_evidence(users)
        _demo_reviews(users)
    load_management_demo({"lead": users["lead@cloudar.example"],
                          "cloud": users["cloud@cloudar.example"],
                          "people": users["people@cloudar.example"]},
                         DEMO_EDITION, local_today())
    add_demo_connection(users["cloud@cloudar.example"].id, local_today())


def _clause_owner(group: str, users) -> int:
    email = ("cloud@cloudar.example" if group in CLOUD_CLAUSES else
             "lead@cloudar.example" if group in LEAD_CLAUSES else "people@cloudar.example")
    return users[email].id


def _demo_evidence(users) -> None:
    today = local_today()
    catalog = get_edition(DEMO_EDITION)
    covered = {}
    for row in list_control_rows(DEMO_EDITION, editable=True):
        if row.state.applicability is not Applicability.APPLICABLE:
            continue
        if row.item.control_id in WITHOUT_EVIDENCE | EXPIRED_ONLY:
            continue
        covered.setdefault(row.item.group_id, []).append(row.item.control_id)
    for group, title in catalog.groups:
        if group not in covered:
            continue
        name = f"{title.lower().replace(' ', '-')}-policy-v3.txt"
        body = (f"Cloudar NV\n{title} policy, version 3, approved by the management "
                f"team.\n").encode()
        create_evidence(
            title=f"{title} policy", kind="file", owner_id=_clause_owner(group, users),
            refs=[(DEMO_EDITION, cid) for cid in covered[group]],
            collected_on=today - timedelta(days=40), valid_until=today + timedelta(days=325),
            stream=io.BytesIO(body), file_name=name, tags=["policy"], audit_actor="system:demo")
    for title, kind, control_ids, valid_days, tags, content in SPECIFIC_EVIDENCE:
        extra = {"url": content} if kind == "link" else {"text": content} if (
            kind == "statement") else {"stream": io.BytesIO(f"{title}\n".encode()),
                                       "file_name": content}
        create_evidence(
            title=title, kind=kind, owner_id=_clause_owner(control_ids[0].rsplit(".", 2)[0],
                                                            users),
            refs=[(DEMO_EDITION, cid) for cid in control_ids],
            collected_on=today - timedelta(days=30 if valid_days is None or valid_days > 0
                                           else 400),
            valid_until=None if valid_days is None else today + timedelta(days=valid_days),
            tags=tags, audit_actor="system:demo", report=_report(title, today), **extra)


def _report(title: str, today) -> dict | None:
    report = INHERITED_REPORTS.get(title)
    if report is None:
        return None
    return {**report, "period_from": today - timedelta(days=165),
            "period_to": today + timedelta(days=200)}


OUTCOMES = (ReviewOutcome.EFFECTIVE,) * 6 + (ReviewOutcome.NEEDS_IMPROVEMENT,) * 3 + (
    ReviewOutcome.NOT_EFFECTIVE,)
DEMO_FOLLOW_UPS = (
    ("A.9.2.5", "Remove the two stale IAM users found in the access review", -6),
    ("A.12.6.1", "Patch the bastion host AMI to the current release", 9),
    ("A.8.1.1", "Add the new laptops to the asset register", 20),
    ("A.16.1.5", "Run the tabletop exercise for the ransomware playbook", -2),
    ("A.7.2.2", "Chase the three people who have not completed awareness training", 5),
)


def _demo_reviews(users) -> None:
    """Reviews whose next due dates fall from three weeks ago to four months ahead."""
    today = local_today()
    lead = users["lead@cloudar.example"]
    by_id = {}
    for row in list_control_rows(DEMO_EDITION, editable=True):
        state = row.state
        if state.applicability is not Applicability.APPLICABLE:
            continue
        spread = zlib.crc32(row.item.control_id.encode())
        if spread % 5 == 0:
            continue  # never reviewed: first due date from the cadence
        months = 3 if state.review_cadence is ReviewCadence.QUARTERLY else 12
        # Next due = reviewed + cadence; aim it between 20 days ago and 130 days ahead.
        target = today + timedelta(days=spread % 151 - 20)
        reviewed_on = min(add_months(target, -months), today)
        notes = (f"Checked the evidence linked to {row.item.control_id} and walked through "
                 "the process with its owner.")
        reviewer = next(u for u in users.values() if u.id == state.owner_id)
        by_id[row.item.control_id] = record_review(
            state, reviewer, reviewed_on=reviewed_on, outcome=OUTCOMES[spread % len(OUTCOMES)],
            notes=notes, version_ids=[], follow_ups=[], today=today, audit_actor="system:demo")
    states = {r.item.control_id: r.state for r in list_control_rows(DEMO_EDITION, editable=True)}
    for control_id, title, due_in in DEMO_FOLLOW_UPS:
        state = states[control_id]
        record_review(state, lead, reviewed_on=today - timedelta(days=20),
                      outcome=ReviewOutcome.NEEDS_IMPROVEMENT,
                      notes="Spot check by the security lead found something to fix.",
                      version_ids=[], today=today, audit_actor="system:demo",
                      follow_ups=[NewFollowUp(title, state.owner_id or lead.id,
                                              today + timedelta(days=due_in))])
