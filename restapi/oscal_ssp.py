"""OSCAL system security plan: the company and AWS as components, each control implemented by
responsibility, AWS's inherited attestations as leveraged authorizations."""

from controls.api import Applicability, list_decisions
from evidence.api import inherited_evidence
from isms.api import get_organisation
from restapi.oscal_common import (
    document_uuid,
    metadata,
    prop,
    props,
    prose,
    stable_uuid,
)
from restapi.oscal_documents import EDITION_NAMES

COMPANY, AWS = stable_uuid("component", "company"), stable_uuid("component", "aws")
AWS_PARTY = stable_uuid("party", "aws")


def _components(org_name: str) -> list[dict]:
    operational = {"state": "operational"}
    return [
        {"uuid": COMPANY, "type": "this-system", "title": org_name,
         "description": "What the organisation operates: security in the cloud.",
         "status": operational},
        {"uuid": AWS, "type": "service", "title": "Amazon Web Services",
         "description": "What AWS operates for the organisation: security of the cloud.",
         "status": operational, "props": props(prop("provider", "aws"))},
    ]


def _by_components(d) -> list[dict]:
    parts = []
    if d.responsibility.value in ("company", "shared"):
        parts.append({"component-uuid": COMPANY,
                      "uuid": stable_uuid("by", d.edition, d.control_id, "company"),
                      "description": prose(d.company_part, "The organisation operates this "
                                                           "control; no statement yet.")})
    if d.responsibility.value in ("aws", "shared"):
        parts.append({"component-uuid": AWS,
                      "uuid": stable_uuid("by", d.edition, d.control_id, "aws"),
                      "description": prose(d.aws_part, "AWS operates this control for the "
                                                       "organisation (inherited).")})
    return parts


def _leveraged(reports) -> list[dict]:
    return [{"uuid": stable_uuid("leveraged", r.item_id), "title": r.title,
             "party-uuid": AWS_PARTY,
             "date-authorized": (r.period_to or r.period_from or r.valid_until).isoformat(),
             "props": props(prop("issuer", r.issuer), prop("report-name", r.report_name),
                            prop("status", r.status),
                            prop("valid-until", r.valid_until.isoformat()
                                 if r.valid_until else None))}
            for r in reports if r.period_to or r.period_from or r.valid_until]


class NothingToExport(ValueError):
    """The document would be empty, which OSCAL does not allow; the message says why."""


def build_ssp(edition: str) -> dict:
    """The organisation's system security plan for the applicable controls of the edition."""
    org = get_organisation()
    name = org.name or "The organisation"
    decisions = [d for d in list_decisions(edition)
                 if d.applicability is Applicability.APPLICABLE]
    if not decisions:
        raise NothingToExport("No control is applicable yet: decide the SoA first; a system "
                              "security plan lists how applicable controls are implemented.")
    implementation = {"components": _components(name)}
    leveraged = _leveraged(inherited_evidence("aws"))
    if leveraged:
        implementation["leveraged-authorizations"] = leveraged
    requirements = [{
        "uuid": stable_uuid("requirement", d.edition, d.control_id),
        "control-id": d.control_id,
        "props": props(prop("implementation-status", d.implementation_status.value
                            if d.implementation_status else None),
                       prop("responsibility", d.responsibility.value)),
        "by-components": _by_components(d)} for d in decisions]
    for requirement in requirements:
        if not requirement["props"]:
            requirement.pop("props")
    plan = {
        "uuid": document_uuid(),
        "metadata": metadata(f"System security plan of {name}", parties=[
            {"uuid": AWS_PARTY, "type": "organization", "name": "Amazon Web Services"}]),
        "import-profile": {"href": "profile.json"},
        "system-characteristics": {
            "system-ids": [{"id": stable_uuid("system", name)}],
            "system-name": name,
            "description": prose(org.scope, f"The ISMS of {name} ({EDITION_NAMES[edition]})."),
            "system-information": {"information-types": [{
                "title": "Information in scope of the ISMS",
                "description": prose(org.scope, "The information the ISMS protects."),
            }]},
            "status": {"state": "operational"},
            "authorization-boundary": {"description": prose(
                org.scope, "The scope of the ISMS, as stated in Settings.")},
        },
        "system-implementation": implementation,
        "control-implementation": {
            "description": f"How each applicable control of {EDITION_NAMES[edition]} is "
                           "implemented, by the organisation, by AWS, or by both.",
            "implemented-requirements": requirements,
        },
    }
    return {"system-security-plan": plan}
