"""Dashboard, control list, control detail and the decision form."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from controls.badges import BADGES
from controls.forms import ControlForm
from controls.inherited import (
    checks_for,
    dashboard_tile,
    failing_checks_overview,
    inherited_for,
)
from controls.proposals import open_proposals, propose, split_owner_values
from controls.refusals import edit_refusal
from controls.reviews import list_reviews, may_edit_review
from controls.services import (
    EVIDENCE_FILTERS,
    REVIEW_FILTERS,
    RISK_FILTERS,
    STATUS_FILTERS,
    ControlFilters,
    build_dashboard,
    can_edit,
    exclusion_warnings,
    get_control_row,
    list_control_rows,
    paginate,
    risk_refs_text,
    update_control,
)
from controls.setup import build_checklist
from evidence.api import describe_versions, list_for_control
from isms.api import (
    ALL_ROLES,
    EDITORS,
    STAFF,
    Role,
    allow,
    choices,
    counterparts,
    db,
    form_status,
    get_edition,
    get_organisation,
    list_assignable_owners,
    list_object_events,
    local_today,
    may_see,
    run_checks,
    visible_control_ids,
)
from management.api import summary as management_summary

bp = Blueprint("controls", __name__, template_folder="templates")
for _name, _badge in BADGES.items():
    bp.add_app_template_global(_badge, _name)
PAGE_SIZES = (25, 50, 100, 200)
EVIDENCE_SHOWN = 20
REVIEWS_SHOWN = 10


@bp.route("/")
@allow(ALL_ROLES)
def dashboard():
    """Show where the ISMS stands: decisions, status, responsibility, progress per group."""
    org = get_organisation()
    checklist = (build_checklist(org) if current_user.role in (Role.ADMIN, Role.LEAD)
                 else None)
    failing = [] if current_user.role is Role.AUDITOR else failing_checks_overview(org.edition)
    return render_template("controls/dashboard.html", org=org, edition=get_edition(org.edition),
                           board=build_dashboard(org.edition), checklist=checklist,
                           isms=management_summary(org.edition, local_today()),
                           aws_failing=failing,
                           aws=None if current_user.role is Role.AUDITOR else dashboard_tile(),
                           proposals=(open_proposals(org.edition)
                                      if current_user.role is Role.LEAD else []),
                           checks=(run_checks() if current_user.role in STAFF else None))


@bp.route("/controls")
@allow(ALL_ROLES)
def index():
    """List the edition's controls with filters and pages."""
    org = get_organisation()
    edition = get_edition(org.edition)
    filters = ControlFilters.from_args(request.args, [gid for gid, _ in edition.groups],
                                       edition.sources)
    per_page = request.args.get("per_page", type=int)
    visible = visible_control_ids()  # once, not once per row
    rows = [r for r in list_control_rows(org.edition, filters)
            if visible is None or r.item.control_id in visible]
    page = paginate(rows,
                    request.args.get("page", 1, type=int),
                    per_page if per_page in PAGE_SIZES else PAGE_SIZES[1])
    return render_template(
        "controls/index.html", page=page, filters=filters, edition=edition,
        status_filters=STATUS_FILTERS, owners=list_assignable_owners(),
        evidence_filters=EVIDENCE_FILTERS, review_filters=REVIEW_FILTERS,
        risk_filters=RISK_FILTERS,
    )


@bp.route("/controls/<control_id>")
@allow(ALL_ROLES)
def detail(control_id: str):
    """Show one control: catalog data, the decision, its counterparts and its history."""
    org = get_organisation()
    edition = org.edition
    reviews = list_reviews(edition, control_id, limit=REVIEWS_SHOWN)
    row = get_control_row(edition, control_id, editable=False)
    if row is None:  # a decision of the edition used before the transition, kept read-only
        edition = "2013" if org.edition == "2022" else "2022"
        reviews = list_reviews(edition, control_id, limit=REVIEWS_SHOWN)
        row = get_control_row(edition, control_id, editable=False)
        if row is None:
            abort(404)
    if not may_see(control_id):
        abort(404)  # out of an auditor's scope: as if it did not exist
    archived = edition != org.edition
    return render_template(
        "controls/detail.html", row=row, edition=get_edition(edition), archived=archived,
        counterparts=counterparts(edition, control_id),
        may_edit=can_edit(current_user, row.state) and not archived,
        warnings=exclusion_warnings(row.state),
        history=list_object_events("control", f"{edition}:{control_id}"),
        proposals=[] if current_user.role is Role.AUDITOR else open_proposals(edition, control_id),
        proposal_fields=PROPOSAL_LABELS,
        evidence=list_for_control(edition, control_id, limit=EVIDENCE_SHOWN),
        may_add_evidence=current_user.role in EDITORS and not archived,
        reviews=reviews, pinned=describe_versions_of(reviews),
        may_review=can_edit(current_user, row.state) and not archived,
        may_edit_review=may_edit_review,
        inherited=inherited_for(row.state), aws_checks=checks_for(edition, control_id),
    )


@bp.route("/controls/<control_id>/edit", methods=["GET", "POST"])
@allow(EDITORS)
def edit(control_id: str):
    """Record the decision on a control; owners edit only the controls they own."""
    org = get_organisation()
    row = get_control_row(org.edition, control_id) or abort(404)
    state = row.state
    if not can_edit(current_user, state):
        abort(403, edit_refusal(current_user, state))
    may_assign = current_user.role is Role.LEAD
    form = ControlForm(data=None if request.method == "POST" else _form_data(row))
    form.owner_id.choices = choices([("", "Nobody yet"), *_owner_choices(state)])
    if form.validate_on_submit():
        values = form.values(may_assign)
        if values.get("risk_refs") == risk_refs_text(row):
            values.pop("risk_refs")  # shown as the linked register ids: not a change
        proposed = {}
        if current_user.role is not Role.LEAD:  # the owner proposes, the lead decides
            values, proposed = split_owner_values(state, values)
        warnings = update_control(state, values, current_user)
        if proposed:
            propose(state, current_user, proposed)
        db.session.commit()
        for warning in warnings:
            flash(warning, "warning")
        if proposed:
            flash(f"Your change to the decision on {control_id} is proposed to the lead, who "
                  "accepts or rejects it; until then the current decision stands.", "info")
        flash(f"{control_id} saved.", "success")
        return redirect(url_for("controls.detail", control_id=control_id))
    return render_template("controls/edit.html", form=form, row=row,
                           may_assign=may_assign), form_status(form)


PROPOSAL_LABELS = {
    "applicability": "Applicability", "inclusion_reasons": "Reasons",
    "justification": "Justification", "responsibility": "Responsibility",
    "company_part": "Company part", "aws_part": "AWS part",
}
HISTORY_LABELS = {
    "applicability": "Applicability", "inclusion_reasons": "Reasons",
    "justification": "Justification", "implementation_status": "Status",
    "responsibility": "Responsibility", "company_part": "Company part", "aws_part": "AWS part",
    "owner_id": "Owner", "review_cadence": "Review cadence", "notes": "Notes",
    "risk_refs": "Risks", "first_review_on": "First review due",
}


def describe_versions_of(reviews) -> dict:
    """Label the evidence versions pinned by these reviews, in one query."""
    return describe_versions({link.evidence_version_id for review in reviews
                              for link in review.evidence_links})


def _form_data(row) -> dict:
    state = row.state
    return {
        "applicability": state.applicability.value if state.applicability else None,
        "reasons": [r.value for r in state.reasons],
        "justification": state.justification,
        "implementation_status": (state.implementation_status.value
                                  if state.implementation_status else ""),
        "responsibility": state.responsibility.value,
        "company_part": state.company_part,
        "aws_part": state.aws_part,
        "owner_id": str(state.owner_id) if state.owner_id else "",
        "review_cadence": state.review_cadence.value,
        "first_review_on": state.first_review_on,
        "notes": state.notes,
        "risk_refs": risk_refs_text(row),
    }


def _owner_choices(state) -> list[tuple[str, str]]:
    users = list_assignable_owners()
    if state.owner is not None and state.owner not in users:
        users.append(state.owner)
    return [(str(u.id), f"{u.display_name} ({u.role.value})") for u in users]
