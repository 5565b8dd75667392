"""Move an organisation from the 2013 to the 2022 edition without losing a decision."""

from collections import Counter
from dataclasses import dataclass, field

from controls.api import (
    Applicability,
    Decision,
    ImplementationStatus,
    InclusionReason,
    Responsibility,
    ReviewCadence,
    create_decisions,
    has_decisions,
    list_decisions,
)
from evidence.api import carry_links
from isms.api import counterparts, db, get_edition, get_organisation, record_event
from management.api import link_control_risks, risks_for_controls

PROGRESS = list(ImplementationStatus)  # not started < planned < partial < implemented
FREQUENCY = [ReviewCadence.MONTHLY, ReviewCadence.QUARTERLY, ReviewCadence.HALF_YEARLY,
             ReviewCadence.YEARLY, ReviewCadence.NONE]


class TransitionError(ValueError):
    """The transition cannot run; the message says why."""


CONFLICT_FIELDS = (("applicability", "applicability"),
                   ("implementation_status", "implementation_status"),
                   ("responsibility", "responsibility"), ("owner", "owner_id"))


@dataclass
class TransitionPlan:
    states: list[dict] = field(default_factory=list)
    new_controls: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)  # {"id", "sources", "fields"}

    def targets(self) -> dict[str, list[str]]:
        """Each 2013 control id with the 2022 controls its evidence links go to."""
        found: dict[str, list[str]] = {}
        for values in self.states:
            for source in values["sources"]:
                found.setdefault(source, []).append(values["control_id"])
        return found

    def summary(self, carried_links: int) -> dict:
        """The dry run's JSON: merged count, conflicts, new controls, links to carry."""
        return {"merged": len(self.merged), "conflicts": self.conflicts,
                "new": list(self.new_controls), "carried_evidence_links": carried_links}


def conflicting_fields(sources: list[Decision]) -> list[str]:
    """The decision fields on which merged 2013 controls differ (an undecided one differs)."""
    if len(sources) < 2:
        return []
    undecided = any(s.applicability is None for s in sources)
    return [name for name, attribute in CONFLICT_FIELDS
            if (name == "applicability" and undecided)
            or len({getattr(s, attribute) for s in sources}) > 1]


def side_by_side(sources: list[Decision]) -> list[dict]:
    """The sources' decisions as the control page shows them until the lead decides."""
    return [{"control_id": s.control_id,
             "applicability": s.applicability.value if s.applicability else "undecided",
             "implementation_status": (s.implementation_status.value
                                       if s.implementation_status else ""),
             "responsibility": s.responsibility.value, "owner": s.owner_name,
             "reasons": [r.value for r in s.reasons], "justification": s.justification}
            for s in sources]


def _joined(sources, attribute: str) -> str:
    texts = [(s.control_id, getattr(s, attribute)) for s in sources if getattr(s, attribute)]
    if len(sources) == 1:
        return texts[0][1] if texts else ""
    return "\n".join(f"{control_id}: {text}" for control_id, text in texts)


def merge(sources: list[Decision], due: dict, risks: dict | None = None) -> dict:
    """Combine the 2013 decisions that map onto one 2022 control."""
    decided = [s.applicability for s in sources]
    applicability = (Applicability.APPLICABLE if Applicability.APPLICABLE in decided else
                     Applicability.EXCLUDED if decided and all(
                         a is Applicability.EXCLUDED for a in decided) else None)
    reasons = {r for s in sources for r in s.reasons}
    statuses = [s.implementation_status for s in sources
                if s.applicability is Applicability.APPLICABLE and s.implementation_status]
    responsibilities = {s.responsibility for s in sources}
    owners = Counter(s.owner_id for s in sources if s.owner_id)
    linked = [r.ref for s in sources for r in (risks or {}).get(s.control_id, ())]
    refs = linked + [r.strip() for s in sources
                     for r in s.written_risk_refs.split(",") if r.strip()]
    cadence = min((s.review_cadence for s in sources), key=FREQUENCY.index)
    next_dues = [due[s.control_id] for s in sources if due.get(s.control_id)]
    return {
        "applicability": applicability,
        "inclusion_reasons": ",".join(r.value for r in InclusionReason if r in reasons),
        # An excluded source's reasons never justify an applicable control, nor the reverse.
        "justification": _joined([s for s in sources if s.applicability is applicability],
                                 "justification"),
        "implementation_status": (min(statuses, key=PROGRESS.index) if statuses and
                                  applicability is Applicability.APPLICABLE else None),
        "responsibility": (responsibilities.pop() if len(responsibilities) == 1
                           else Responsibility.SHARED),
        "company_part": _joined(sources, "company_part"),
        "aws_part": _joined(sources, "aws_part"),
        "notes": _joined(sources, "notes"),
        "risk_refs": ", ".join(dict.fromkeys(refs)),
        "owner_id": owners.most_common(1)[0][0] if owners else None,
        "review_cadence": cadence,
        "first_review_on": min(next_dues) if next_dues else None,
    }


def plan_transition() -> TransitionPlan:
    """Work out the 2022 decisions from the 2013 ones; change nothing."""
    org = get_organisation()
    if org.edition != "2013":
        raise TransitionError(f"The organisation already uses the {org.edition} edition.")
    if has_decisions("2022"):
        raise TransitionError("Decisions for the 2022 edition already exist.")
    old = {d.control_id: d for d in list_decisions("2013")}
    due = {cid: d.next_review_on for cid, d in old.items()}
    risks = risks_for_controls("2013", {cid: d.written_risk_refs for cid, d in old.items()})
    plan = TransitionPlan()
    for item in get_edition("2022").items:
        if item.source:  # a control from another source moves over as it is
            sources = [old[item.control_id]] if item.control_id in old else []
        else:
            sources = [old[c.control_id] for c in counterparts("2022", item.control_id)
                       if c.control_id in old]
        if not sources:
            plan.new_controls.append(item.control_id)
            values = {"responsibility": Responsibility(item.default_responsibility)}
        else:
            values = merge(sources, due, risks)
            if len(sources) > 1:
                plan.merged.append(item.control_id)
            fields = conflicting_fields(sources)
            if fields:
                plan.conflicts.append({"id": item.control_id,
                                       "sources": [s.control_id for s in sources],
                                       "fields": fields})
                values = _undecided(values, item, sources)
        plan.states.append({"control_id": item.control_id,
                            "sources": [s.control_id for s in sources], **values})
    return plan


def _undecided(values: dict, item, sources: list[Decision]) -> dict:
    """Leave the decision to the lead; keep the sources' decisions beside it."""
    return values | {
        "applicability": None, "inclusion_reasons": "", "justification": "",
        "implementation_status": None, "owner_id": None, "company_part": "", "aws_part": "",
        "responsibility": Responsibility(item.default_responsibility),
        "transition_sources": side_by_side(sources)}


def apply_transition(plan: TransitionPlan, *, audit_actor: str) -> int:
    """Create the 2022 decisions, carry evidence links over and switch the edition."""
    org = get_organisation()
    create_decisions("2022", plan.states, audit_actor=audit_actor)
    links = carry_links("2022", plan.targets(), audit_actor=audit_actor)
    db.session.flush()
    for values in plan.states:  # the register follows: each risk links the 2022 controls too
        if values.get("risk_refs"):
            link_control_risks("2022", values["control_id"], values["risk_refs"])
    org.edition = "2022"
    record_event("organisation.transition", "organisation", org.id, actor=audit_actor,
                 before={"edition": "2013"},
                 after={"edition": "2022", "controls": len(plan.states),
                        "new_controls": plan.new_controls, "evidence_links_added": links,
                        "conflicts": [c["id"] for c in plan.conflicts]})
    db.session.flush()
    return links
