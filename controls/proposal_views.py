"""The lead accepts or rejects an owner's proposed decision."""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from controls.models import ProposalStatus
from controls.proposals import ProposalError, decide_proposal, get_proposal
from controls.views import bp
from isms.api import Role, allow, db


@bp.route("/proposals/<int:proposal_id>/<any(accept, reject):action>", methods=["POST"])
@allow(Role.LEAD)
def decide_proposal_view(proposal_id: int, action: str):
    """Accept (the proposed decision applies) or reject (with a reason) a proposal."""
    proposal = get_proposal(proposal_id) or abort(404)
    control_id, proposer = proposal.control_id, proposal.proposed_by.display_name
    try:
        warnings = decide_proposal(proposal, current_user, action == "accept",
                                   request.form.get("comment", ""))
    except ProposalError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("controls.detail", control_id=control_id))
    word = "accepted" if proposal.status is ProposalStatus.ACCEPTED else "rejected"
    db.session.commit()
    for warning in warnings:
        flash(warning, "warning")
    flash(f"The proposal on {control_id} by {proposer} was {word}.", "success")
    return redirect(url_for("controls.detail", control_id=control_id))
