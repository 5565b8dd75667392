"""Owners propose decisions on the controls they own; the lead accepts or rejects them."""

from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from controls.models import (
    Applicability,
    ControlProposal,
    ControlState,
    ProposalStatus,
    Responsibility,
)
from controls.services import snapshot, update_control
from isms.api import Role, User, db, jsonable, record_event, utcnow

# The decision the ISMS takes (ISO/IEC 27001 6.1.3): the lead's, an owner only proposes it.
PROPOSED_FIELDS = ("applicability", "inclusion_reasons", "justification", "responsibility",
                   "company_part", "aws_part")


class ProposalError(ValueError):
    """A proposal cannot be made or decided; the message says why."""


def split_owner_values(state: ControlState, values: dict) -> tuple[dict, dict]:
    """Split an owner's form values into what they change at once and what they propose."""
    direct = {k: v for k, v in values.items() if k not in ("applicability", "reasons",
                                                            *PROPOSED_FIELDS)}
    current = snapshot(state)
    wanted = dict(current)
    wanted["applicability"] = values.get("applicability", state.applicability)
    excluded = wanted["applicability"] == Applicability.EXCLUDED
    probe = ControlState(inclusion_reasons="")
    probe.reasons = [] if excluded else values.get("reasons", state.reasons)
    wanted["inclusion_reasons"] = probe.inclusion_reasons
    for name in ("justification", "responsibility", "company_part", "aws_part"):
        if name in values:
            wanted[name] = values[name]
    proposed = {k: wanted[k] for k in PROPOSED_FIELDS
                if jsonable(wanted[k]) != jsonable(current[k])}
    if excluded or (proposed and state.applicability is not Applicability.APPLICABLE):
        direct.pop("implementation_status", None)  # follows the lead's decision, not the form
    return direct, proposed


def propose(state: ControlState, owner: User, proposed: dict) -> ControlProposal:
    """Record an owner's proposal (replacing their open one on this control); audited."""
    if not proposed:
        raise ProposalError("Nothing to propose: the decision would stay as it is.")
    current = {k: v for k, v in snapshot(state).items() if k in proposed}
    for earlier in open_proposals(state.edition, state.control_id):
        earlier.status, earlier.decided_at = ProposalStatus.SUPERSEDED, utcnow()
    proposal = ControlProposal(edition=state.edition, control_id=state.control_id,
                               proposed_by_id=owner.id, current=jsonable(current),
                               proposed=jsonable(proposed))
    db.session.add(proposal)
    db.session.flush()
    record_event("control.propose", "control", f"{state.edition}:{state.control_id}",
                 actor=str(owner.id), before=current,
                 after={**proposed, "proposal_id": proposal.id})
    return proposal


def decide_proposal(proposal: ControlProposal, lead: User, accept: bool,
                    comment: str) -> list[str]:
    """The lead accepts (the change applies) or rejects (a comment is required); audited."""
    if lead.role is not Role.LEAD:
        raise ProposalError("Only the lead decides proposals.")
    if proposal.status is not ProposalStatus.OPEN:
        raise ProposalError("This proposal was already decided.")
    comment = (comment or "").strip()[:4000]
    if not accept and not comment:
        raise ProposalError("Say why the proposal is rejected; the owner will read it.")
    proposal.status = ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED
    proposal.decided_by_id, proposal.decided_at = lead.id, utcnow()
    proposal.decision_comment = comment
    object_id = f"{proposal.edition}:{proposal.control_id}"
    record_event("control.proposal_" + proposal.status.value, "control", object_id,
                 actor=str(lead.id), after={"proposal_id": proposal.id, "comment": comment,
                                            "proposed_by_id": proposal.proposed_by_id})
    if not accept:
        return []
    state = db.session.scalars(select(ControlState).filter_by(
        edition=proposal.edition, control_id=proposal.control_id)).one()
    return update_control(state, _model_values(proposal.proposed), lead)


def _model_values(proposed: dict) -> dict:
    values = {}
    for name, value in proposed.items():
        if name == "applicability":
            values[name] = Applicability(value) if value else None
        elif name == "responsibility":
            values[name] = Responsibility(value)
        elif name == "inclusion_reasons":
            values["reasons"] = [r for r in (value or "").split(",") if r]
        else:
            values[name] = value
    return values


def open_proposals(edition: str, control_id: str | None = None) -> list[ControlProposal]:
    """Open proposals of the edition (or of one control), oldest first, proposers loaded."""
    return list(db.session.scalars(_open_proposals_statement(control_id is not None),
                                   {"edition": edition, "control_id": control_id}))


@cache
def _open_proposals_statement(one_control: bool):
    """Built once per shape (a control's page and the dashboard read it on every view)."""
    query = (select(ControlProposal)
             .where(ControlProposal.edition == bindparam("edition"),
                    ControlProposal.status == ProposalStatus.OPEN)
             .options(joinedload(ControlProposal.proposed_by))
             .order_by(ControlProposal.proposed_at, ControlProposal.id))
    if one_control:
        query = query.where(ControlProposal.control_id == bindparam("control_id"))
    return query


def get_proposal(proposal_id: int) -> ControlProposal | None:
    return db.session.scalars(select(ControlProposal).where(ControlProposal.id == proposal_id)
                              .options(joinedload(ControlProposal.proposed_by))).one_or_none()


def decided_since(since) -> dict[int, list[ControlProposal]]:
    """Proposals decided since a moment, by proposer: what each owner is told in the digest."""
    found: dict[int, list[ControlProposal]] = {}
    for proposal in db.session.scalars(
            select(ControlProposal)
            .where(ControlProposal.decided_at >= since,
                   ControlProposal.status.in_([ProposalStatus.ACCEPTED,
                                               ProposalStatus.REJECTED]))
            .options(joinedload(ControlProposal.decided_by))
            .order_by(ControlProposal.decided_at)):
        found.setdefault(proposal.proposed_by_id, []).append(proposal)
    return found


def proposals_by_owner(owner_id: int, limit: int = 20) -> list[ControlProposal]:
    """An owner's latest proposals, newest first (open and decided)."""
    return list(db.session.scalars(
        select(ControlProposal).where(ControlProposal.proposed_by_id == owner_id)
        .options(joinedload(ControlProposal.decided_by), joinedload(ControlProposal.proposed_by))
        .order_by(ControlProposal.proposed_at.desc()).limit(limit)))
