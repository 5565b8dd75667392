"""Evidence request pages: the list, asking (auditors), answering (owners), deciding."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.validators import ValidationError

from controls.models import EvidenceRequest, RequestStatus
from controls.requests import (
    RequestError,
    answer_request,
    create_request,
    decide_request,
    list_requests,
    may_answer,
)
from controls.services import get_control_row
from controls.views import bp
from evidence.api import find_items, summaries_by_control, summaries_for_items
from isms.api import (
    ALL_ROLES,
    EDITORS,
    Role,
    allow,
    db,
    get_edition,
    get_organisation,
    local_today,
    may_see,
    visible_control_ids,
)


@bp.route("/requests")
@allow(ALL_ROLES)
def requests_list():
    """Evidence requests: the auditor's own, an owner's to answer, all for the lead."""
    status = request.args.get("status", "")
    status = status if status in {s.value for s in RequestStatus} else ""
    rows = list_requests(current_user, status or None)
    waiting = [item for item in rows if may_answer(item, current_user) and item.status in (
        RequestStatus.OPEN, RequestStatus.REJECTED)]
    by_control = summaries_by_control(get_organisation().edition,
                                      [item.control_id for item in waiting])
    find = request.args.get("find", "").strip()[:100]
    # What this person may give: what the control already has, their own evidence, and
    # (the lead only) anything they search for.
    own = find_items(find, limit=50, owner_id=None if current_user.role is Role.LEAD
                     else current_user.id) if waiting else []
    evidence = {}
    for item in waiting:
        linked = by_control.get(item.control_id, [])
        if find:
            linked = [e for e in linked if find.lower() in e.title.lower()]
        evidence[item.id] = list({e.id: e for e in [*linked, *own]}.values())
    given = summaries_for_items({i for row in rows for i in row.evidence_item_ids})
    visible = visible_control_ids()
    scope = None if visible is None else sum(
        1 for i in get_edition(get_organisation().edition).items if i.control_id in visible)
    return render_template("controls/requests.html", rows=rows, status=status,
                           evidence=evidence, may_answer=may_answer, today=local_today(),
                           scope=scope, given=given, find=find)


@bp.route("/controls/<control_id>/requests", methods=["POST"])
@allow(Role.AUDITOR, auditor_may_write=True)
def request_evidence(control_id: str):
    """An auditor asks for evidence on a control in their scope."""
    row = get_control_row(get_organisation().edition, control_id)
    if row is None or not may_see(control_id):
        abort(404)
    try:
        due_on = _date(request.form.get("due_on"))
        create_request(row.state, current_user, request.form.get("description", ""), due_on,
                       local_today())
    except (RequestError, ValidationError) as error:
        flash(f"The request was not sent: {error}", "error")
        return redirect(url_for("controls.detail", control_id=control_id))
    db.session.commit()
    flash(f"Evidence requested on {control_id}.", "success")
    return redirect(url_for("controls.requests_list"))


@bp.route("/requests/<int:request_id>/answer", methods=["POST"])
@allow(EDITORS)
def answer(request_id: int):
    """The control's owner answers with evidence."""
    item = db.get_or_404(EvidenceRequest, request_id)
    if not may_answer(item, current_user):
        abort(403)
    ids = [v for v in request.form.getlist("evidence") if v.isdigit()]
    ids += [v for v in request.form.get("more", "").replace(",", " ").split() if v.isdigit()]
    try:
        answer_request(item, current_user, ids, request.form.get("answer", ""))
    except RequestError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("controls.requests_list"))
    db.session.commit()
    flash("Answer sent to the auditor.", "success")
    return redirect(url_for("controls.requests_list"))


@bp.route("/requests/<int:request_id>/<any(accept, reject):decision>", methods=["POST"])
@allow(Role.AUDITOR, auditor_may_write=True)
def decide(request_id: int, decision: str):
    """The auditor accepts or rejects an answer."""
    item = db.get_or_404(EvidenceRequest, request_id)
    if item.auditor_id != current_user.id:
        abort(404)
    try:
        decide_request(item, current_user, decision == "accept", request.form.get("comment", ""))
    except RequestError as error:
        flash(str(error), "error")
        return redirect(url_for("controls.requests_list"))
    db.session.commit()
    flash(f"Request {decision}ed.", "success")
    return redirect(url_for("controls.requests_list"))


def _date(text: str | None):
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise ValidationError("Give a due date, today or later.") from None
