"""`isms demo`: a realistic Cloudar tracker to explore, reset on every run."""

import zlib

import click
from flask.cli import with_appcontext

from controls.models import Applicability, ImplementationStatus, Responsibility, ReviewCadence
from controls.services import ensure_control_states, list_control_rows, update_control
from isms.api import (
    Role,
    UserError,
    count_non_demo_users,
    create_user,
    db,
    find_organisation,
    get_user_by_email,
)

DEMO_EDITION = "2013"
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
SCOPE = ("The information security management system of Cloudar NV covering the design, "
         "delivery and operation of AWS consulting and managed cloud services from the "
         "Ghent office and remote workplaces.")


@click.command("demo")
@with_appcontext
def demo_command():
    """Fill the database with the Cloudar demo (safe to run again; refuses real data)."""
    org = find_organisation()
    if org is None:
        raise click.ClickException("Run `isms init` first.")
    if count_non_demo_users():
        raise click.ClickException(
            "This database has real (non-demo) users; `isms demo` will not touch it.")
    if org.edition != DEMO_EDITION:
        raise click.ClickException(f"The demo runs on the {DEMO_EDITION} edition only.")
    org.name, org.scope = "Cloudar", SCOPE
    users = {spec[0]: _demo_user(*spec) for spec in DEMO_USERS}
    ensure_control_states(DEMO_EDITION)
    _demo_decisions(users)
    db.session.commit()
    click.echo("Demo data for Cloudar is ready. Sign in with:")
    for email, _name, role, password in DEMO_USERS:
        click.echo(f"  {role.value:8} {email:28} {password}")


def _demo_user(email, name, role, password):
    user = get_user_by_email(email)
    if user is None:
        try:
            return create_user(email, role, password, name=name, actor="system:demo",
                               is_demo=True, valid_until=None)
        except UserError as error:
            raise click.ClickException(str(error)) from error
    user.set_password(password)
    user.is_enabled = True
    return user


def _demo_decisions(users) -> None:
    lead = users["lead@cloudar.example"]
    owners = {"cloud": users["cloud@cloudar.example"], "people": users["people@cloudar.example"],
              "lead": lead}
    for row in list_control_rows(DEMO_EDITION):
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
                     "justification": "", "implementation_status": status}


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
