"""Record reviews, close follow-ups, "My work" and the calendar feed."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from controls.calendar import build_feed
from controls.inherited import failing_checks_of
from controls.models import FollowUp, RequestStatus, Review, ReviewOutcome
from controls.proposals import open_proposals, proposals_by_owner
from controls.refusals import edit_refusal
from controls.requests import list_requests
from controls.review_forms import ReviewEditForm, ReviewForm
from controls.reviews import (
    NewFollowUp,
    ReviewError,
    complete_follow_up,
    may_edit_review,
    open_follow_ups,
    record_review,
    update_review,
)
from controls.services import can_edit, get_control_row, list_control_rows
from controls.views import bp
from evidence.api import current_versions_for_control, expiring_by_owner
from isms.api import (
    EDITORS,
    Role,
    actor_of,
    allow,
    db,
    form_status,
    get_organisation,
    issue_calendar_token,
    list_assignable_owners,
    local_today,
    revoke_calendar_token,
    token_public,
    user_for_calendar_token,
)
from management.api import open_actions_of


def _attach(form, error: ReviewError) -> None:
    field = getattr(form, error.field or "", None)
    (field.errors if field is not None else form.form_errors).append(str(error))


@bp.route("/controls/<control_id>/reviews/new", methods=["GET", "POST"])
@allow(EDITORS)
def new_review(control_id: str):
    """Record a review of a control, with the evidence looked at and follow-ups."""
    edition = get_organisation().edition
    row = get_control_row(edition, control_id) or abort(404)
    if not can_edit(current_user, row.state):
        abort(403, edit_refusal(current_user, row.state))
    corrects = None
    if request.args.get("corrects", type=int):
        corrects = db.session.get(Review, request.args.get("corrects", type=int))
        if corrects is None or corrects.control_id != control_id:
            abort(404)
    form = ReviewForm()
    versions = current_versions_for_control(edition, control_id)
    form.evidence_versions.choices = [(v.version_id, v.label) for v in versions]
    form.set_owner_choices(list_assignable_owners())
    if request.method == "GET":
        form.reviewed_on.data = local_today()
        form.evidence_versions.data = [v.version_id for v in versions]
    if form.validate_on_submit():
        follow_ups = [NewFollowUp(r.form.title.data, int(r.form.owner_id.data), r.form.due_on.data)
                      for r in form.follow_ups if not r.form.is_blank]
        try:
            record_review(row.state, current_user, reviewed_on=form.reviewed_on.data,
                          outcome=ReviewOutcome(form.outcome.data), notes=form.notes.data,
                          version_ids=form.evidence_versions.data or [],
                          follow_ups=follow_ups, today=local_today(), corrects=corrects,
                          audit_actor=actor_of(current_user))
        except ReviewError as error:
            db.session.rollback()
            _attach(form, error)
        else:
            db.session.commit()
            flash(f"Review of {control_id} recorded.", "success")
            return redirect(url_for("controls.detail", control_id=control_id))
    return render_template("controls/review_form.html", form=form, row=row,
                           corrects=corrects), form_status(form)


@bp.route("/reviews/<int:review_id>/edit", methods=["GET", "POST"])
@allow(EDITORS)
def edit_review(review_id: int):
    """Correct a review during its first 24 hours; later, a correction is a new record."""
    review = db.get_or_404(Review, review_id)
    if current_user.id != review.reviewer_id and current_user.role is not Role.LEAD:
        abort(403)  # someone else's record: refused, not redirected to a correction form
    if not may_edit_review(review, current_user):
        flash("Records cannot be changed after 24 hours; record a correction instead.",
              "warning")
        return redirect(url_for("controls.new_review", control_id=review.control_id,
                                corrects=review.id))
    form = ReviewEditForm(obj=review if request.method == "GET" else None)
    if request.method == "GET":
        form.outcome.data = review.outcome.value
    if form.validate_on_submit():
        try:
            update_review(review, current_user, outcome=ReviewOutcome(form.outcome.data),
                          notes=form.notes.data)
        except ReviewError as error:
            db.session.rollback()
            _attach(form, error)
        else:
            db.session.commit()
            flash("Review updated.", "success")
            return redirect(url_for("controls.detail", control_id=review.control_id))
    return render_template("controls/review_edit.html", form=form, review=review), (
        form_status(form))


@bp.route("/follow-ups/<int:follow_up_id>/done", methods=["POST"])
@allow(EDITORS)
def follow_up_done(follow_up_id: int):
    """Mark a follow-up action done."""
    follow_up = db.get_or_404(FollowUp, follow_up_id)
    if current_user.id != follow_up.owner_id and current_user.role is not Role.LEAD:
        abort(403)
    try:
        complete_follow_up(follow_up, current_user, local_today())
    except ReviewError as error:
        flash(str(error), "error")
        return redirect(url_for("controls.my_work"))
    db.session.commit()
    flash(f"“{follow_up.title}” is done.", "success")
    return redirect(url_for("controls.my_work"))


@bp.route("/my")
@allow(Role.LEAD, Role.OWNER)
def my_work():
    """What is on my plate: reviews due, follow-ups, evidence to renew, requests to answer."""
    edition, today = get_organisation().edition, local_today()
    rows = list_control_rows(edition)  # each row carries its review status, as of today
    mine = [r for r in rows if r.state.owner_id == current_user.id]
    due = sorted(((r, r.review) for r in mine if r.review.is_due),
                 key=lambda pair: pair[1].next_due)
    overdue_everywhere = None
    if current_user.role is Role.LEAD:
        overdue_everywhere = sum(r.review.status == "overdue" for r in rows)
    return render_template(
        "controls/my.html", due=due, today=today,
        follow_ups=open_follow_ups(owner_id=current_user.id),
        evidence=expiring_by_owner(current_user.id).get(current_user.id, []),
        actions=open_actions_of(current_user.id),
        overdue_everywhere=overdue_everywhere, requests=[
            r for r in list_requests(current_user) if r.owner_id == current_user.id
            and r.status in (RequestStatus.OPEN, RequestStatus.REJECTED)],
        has_feed=current_user.calendar_token_hash is not None,
        aws_failing=failing_checks_of(edition, [r.item.control_id for r in mine]) if mine else [],
        open_proposals=open_proposals(edition) if current_user.role is Role.LEAD else [],
        my_proposals=proposals_by_owner(current_user.id, limit=10))


@bp.route("/my/calendar", methods=["POST"])
@allow(Role.LEAD, Role.OWNER)
def calendar_token():
    """Issue a new calendar feed URL (the old one stops working) or revoke it."""
    if request.form.get("action") == "revoke":
        revoke_calendar_token(current_user)
        db.session.commit()
        flash("Your calendar feed is switched off.", "success")
        return redirect(url_for("controls.my_work"))
    token = issue_calendar_token(current_user)
    db.session.commit()
    feed = url_for("controls.calendar_feed", token=token, _external=True)
    flash(f"Subscribe to this address in your calendar (it is shown only now): {feed}",
          "info")
    return redirect(url_for("controls.my_work"))


@bp.route("/calendar/<token>.ics")
@token_public
def calendar_feed(token: str):
    """The per-user feed of review and follow-up due dates, opened by its secret token."""
    user = user_for_calendar_token(token)
    if user is None:
        abort(404)
    return Response(build_feed(user), mimetype="text/calendar",
                    headers={"Cache-Control": "private, max-age=300"})
