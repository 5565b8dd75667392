"""OSCAL catalog (ids and titles of Annex A, no ISO text) and profile (the SoA)."""

from controls.api import Applicability, list_decisions
from isms.api import get_edition
from restapi.oscal_common import document_uuid, metadata, prop, props, stable_uuid

EDITION_NAMES = {"2013": "ISO/IEC 27001:2013 Annex A", "2022": "ISO/IEC 27001:2022 Annex A"}


def catalog_href(edition: str) -> str:
    return f"#{stable_uuid('catalog', edition)}"


def build_catalog(edition: str) -> dict:
    """The edition's controls as an OSCAL catalog: groups and controls, ids and titles only."""
    catalog = get_edition(edition)
    controls: dict[str, list[dict]] = {gid: [] for gid, _ in catalog.groups}
    for item in catalog.items:
        controls[item.group_id].append({"id": item.control_id, "title": item.title})
    groups = [{"id": gid, "class": "clause" if edition == "2013" else "theme",
               "title": title, "controls": controls[gid]}
              for gid, title in catalog.groups if controls[gid]]
    return {"catalog": {
        "uuid": stable_uuid("catalog", edition),
        "metadata": metadata(f"{EDITION_NAMES[edition]} (identifiers and titles)",
                             props=[prop("edition", edition)]),
        "groups": groups,
        "back-matter": {"resources": [{
            "uuid": stable_uuid("source", edition),
            "title": EDITION_NAMES[edition],
            "description": "Control identifiers and titles only; the control text is in "
                           "the standard, which ISO publishes."}]},
    }}


def _decision_props(d) -> list[dict]:
    return props(
        prop("applicability", d.applicability.value if d.applicability else "undecided"),
        prop("inclusion-reasons", ", ".join(r.value for r in d.reasons)),
        prop("justification", d.justification),
        prop("implementation-status", d.implementation_status.value
             if d.implementation_status else None),
        prop("responsibility", d.responsibility.value),
        prop("risk-refs", d.risk_refs),
        prop("owner", d.owner_name))


def build_profile(edition: str) -> dict:
    """The SoA as an OSCAL profile: the applicable controls selected, each decision as props."""
    decisions = list_decisions(edition)
    applicable = [d for d in decisions if d.applicability is Applicability.APPLICABLE]
    profile = {
        "uuid": document_uuid(),
        "metadata": metadata(f"Statement of Applicability ({EDITION_NAMES[edition]})"),
        "imports": [{"href": catalog_href(edition), "include-controls": [
            {"with-ids": [d.control_id for d in applicable]}]} if applicable else {
            # Nothing applicable yet: select nothing (an import without a selection means all).
            "href": catalog_href(edition), "include-all": {}, "exclude-controls": [
                {"with-ids": [i.control_id for i in get_edition(edition).items]}]}],
        "merge": {"as-is": True},
    }
    alters = [{"control-id": d.control_id, "adds": [{"position": "ending",
                                                      "props": _decision_props(d)}]}
              for d in applicable]
    if alters:
        profile["modify"] = {"alters": alters}
    profile["back-matter"] = {"resources": [{
        "uuid": stable_uuid("catalog", edition), "title": EDITION_NAMES[edition],
        "description": "The catalog this profile selects from: `isms oscal export catalog "
                       f"--edition {edition}`."}]}
    return {"profile": profile}
