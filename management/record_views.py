"""Internal audit, management review and findings pages."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from isms.api import (
    ALL_ROLES,
    EDITORS,
    Role,
    allow,
    choices,
    db,
    form_status,
    get_organisation,
    list_object_events,
    local_today,
    may_see,
)
from management.findings import (
    FindingError,
    FindingFilters,
    advance,
    finding_query,
    get_finding,
    may_manage,
    next_status,
    raise_finding,
    reopen,
    update_finding,
    verify_and_close,
)
from management.forms import (
    FINDING_SOURCES,
    FINDING_TYPES,
    INPUT_WORDS,
    ActionForm,
    AuditForm,
    FindingForm,
    ReasonForm,
    ReviewForm,
    VerifyForm,
)
from management.models import (
    AuditStatus,
    Finding,
    FindingSource,
    FindingStatus,
    FindingType,
    InputState,
    InternalAudit,
)
from management.records import (
    INPUT_LABELS,
    REVIEW_INPUTS,
    RecordError,
    actions_of_review,
    add_action,
    complete_action,
    findings_by_audit,
    get_action,
    get_review,
    list_audits,
    list_reviews,
    save_audit,
    save_review,
)
from management.refs import RefError, parse_refs
from management.views import PER_PAGE, bp, field_error, owner_choices

# Internal audits -------------------------------------------------------------------------------


@bp.route("/internal-audits")
@allow(ALL_ROLES)
def audits():
    """The internal audit programme: planned and performed audits with their findings."""
    rows = list_audits()
    return render_template("management/audits.html", audits=rows,
                           findings=findings_by_audit([a.id for a in rows]),
                           may_edit=current_user.role is Role.LEAD, today=local_today())


@bp.route("/internal-audits/new", methods=["GET", "POST"])
@allow(Role.LEAD)
def new_audit():
    return _audit_form(AuditForm(), None)


@bp.route("/internal-audits/<int:audit_id>/edit", methods=["GET", "POST"])
@allow(Role.LEAD)
def edit_audit(audit_id: int):
    audit = db.session.get(InternalAudit, audit_id) or abort(404)
    data = None if request.method == "POST" else {
        "title": audit.title, "scope": audit.scope, "auditor": audit.auditor,
        "planned_on": audit.planned_on, "status": audit.status.value,
        "performed_on": audit.performed_on, "summary": audit.summary}
    return _audit_form(AuditForm(data=data), audit)


def _saved(form, save, refs_field, message, target):
    """Run a save; on success commit, flash and redirect; else put the error on the form."""
    try:
        saved = save()
    except RefError as error:
        refs_field.errors = [*refs_field.errors, str(error)]
    except RecordError as error:
        db.session.rollback()
        field_error(form, error)
    else:
        db.session.commit()
        flash(message(saved), "success")
        return redirect(target(saved))
    return None


def _audit_form(form: AuditForm, audit):
    edition = get_organisation().edition

    def save():
        return save_audit(audit, {
            "title": form.title.data, "scope": ", ".join(parse_refs(form.scope.data, edition)),
            "auditor": form.auditor.data, "planned_on": form.planned_on.data,
            "status": AuditStatus(form.status.data), "performed_on": form.performed_on.data,
            "summary": form.summary.data}, current_user)

    if form.validate_on_submit() and (done := _saved(
            form, save, form.scope, lambda saved: f"Audit “{saved.title}” saved.",
            lambda saved: url_for("management.audit", audit_id=saved.id))):
        return done
    return render_template("management/audit_edit.html", form=form, audit=audit), \
        form_status(form)


def _hidden_refs(refs) -> list[str]:
    return [r for r in refs if r.startswith("A.") and not may_see(r)]


@bp.route("/internal-audits/<int:audit_id>")
@allow(ALL_ROLES)
def audit(audit_id: int):
    item = db.session.get(InternalAudit, audit_id) or abort(404)
    findings = findings_by_audit([item.id])[item.id]
    if current_user.role is Role.AUDITOR:  # nothing about controls outside their scope
        findings = [f for f in findings if not _hidden_refs(f.ref_list)]
    return render_template("management/audit.html", audit=item, findings=findings,
                           may_edit=current_user.role is Role.LEAD,
                           history=list_object_events("internal_audit", str(item.id)))


# Management reviews ----------------------------------------------------------------------------

@bp.route("/management-reviews")
@allow(ALL_ROLES)
def reviews():
    return render_template("management/reviews.html", reviews=list_reviews(),
                           may_edit=current_user.role is Role.LEAD, words=INPUT_WORDS)


@bp.route("/management-reviews/new", methods=["GET", "POST"])
@allow(Role.LEAD)
def new_review():
    form = ReviewForm()
    if form.validate_on_submit():
        inputs = {key: (InputState(form[f"state_{key}"].data), form[f"notes_{key}"].data)
                  for key, _ in REVIEW_INPUTS}
        try:
            review = save_review({"held_on": form.held_on.data,
                                  "attendees": form.attendees.data,
                                  "decisions": form.decisions.data}, inputs, current_user)
        except RecordError as error:
            db.session.rollback()
            field_error(form, error)
        else:
            db.session.commit()
            flash("Management review recorded.", "success")
            return redirect(url_for("management.review", management_review_id=review.id))
    return render_template("management/review_edit.html", form=form), form_status(form)


@bp.route("/management-reviews/<int:management_review_id>", methods=["GET", "POST"])
@allow(ALL_ROLES)
def review(management_review_id: int):
    """A review's record; the lead adds the actions it decided."""
    item = get_review(management_review_id) or abort(404)
    form = ActionForm()
    form.owner_id.choices = owner_choices(blank="Choose")
    status = 200
    if request.method == "POST":
        if current_user.role is not Role.LEAD:
            abort(403)
        if form.validate_on_submit():
            _add_action(form, review=item)
            if not form.errors:
                return redirect(url_for("management.review", management_review_id=item.id))
        status = form_status(form)
    return render_template("management/review.html", review=item, form=form,
                           actions=actions_of_review(item.id), labels=INPUT_LABELS,
                           words=INPUT_WORDS, today=local_today(),
                           may_edit=current_user.role is Role.LEAD), status


def _add_action(form: ActionForm, **target) -> None:
    try:
        add_action(description=form.description.data, owner_id=int(form.owner_id.data),
                   due_on=form.due_on.data, actor=current_user, **target)
    except RecordError as error:
        db.session.rollback()
        field_error(form, error)
    else:
        db.session.commit()
        flash("Action added.", "success")


@bp.route("/actions/<int:action_id>/done", methods=["POST"])
@allow(EDITORS)
def action_done(action_id: int):
    """The action's owner, or the lead, marks it done."""
    action = get_action(action_id) or abort(404)
    if current_user.role is not Role.LEAD and action.owner_id != current_user.id:
        abort(403)
    finding, review_id = action.finding, action.review_id
    if finding is not None and finding.status is FindingStatus.CLOSED:
        abort(409)
    back = (url_for("management.finding", finding_ref=finding.ref) if finding is not None
            else url_for("management.review", management_review_id=review_id))
    try:
        complete_action(action, current_user, local_today())
    except RecordError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Action marked done.", "success")
    return redirect(back)


# Findings --------------------------------------------------------------------------------------

@bp.route("/findings")
@allow(ALL_ROLES)
def findings():
    filters = FindingFilters.from_args(request.args)
    query = finding_query(filters)
    if current_user.role is Role.AUDITOR:  # only findings about what they may see
        hidden = [f.id for f in db.session.execute(select(Finding.id, Finding.refs)).all()
                  if any(r.startswith("A.") and not may_see(r) for r in f.refs.split(", "))]
        query = query.where(Finding.id.not_in(hidden))
    page = db.paginate(query, page=request.args.get("page", 1, type=int),
                       per_page=PER_PAGE, error_out=False)
    return render_template("management/findings.html", page=page, filters=filters,
                           types=FINDING_TYPES, sources=FINDING_SOURCES,
                           statuses=list(FindingStatus), today=local_today(),
                           may_raise=current_user.role in (Role.LEAD, Role.AUDITOR))


def _finding_form(form: FindingForm) -> None:
    form.audit_id.choices = choices([("", "-")] + [
        (str(a.id), f"{a.planned_on} {a.title}") for a in list_audits()])
    if current_user.role is Role.AUDITOR:  # auditors raise certification audit findings
        form.source.choices = choices([(FindingSource.CERTIFICATION_AUDIT.value,
                                        FINDING_SOURCES["certification_audit"])])
        del form.audit_id


def _finding_values(form: FindingForm) -> dict:
    edition = get_organisation().edition
    refs = parse_refs(form.refs.data, edition)
    hidden = [r for r in refs if r.startswith("A.") and not may_see(r)]
    if hidden:
        raise RefError(f"Outside your audit scope: {', '.join(hidden)}.")
    audit_id = form.audit_id.data if "audit_id" in form else ""
    return {"type": FindingType(form.type.data), "source": FindingSource(form.source.data),
            "source_ref": form.source_ref.data, "refs": ", ".join(refs),
            "audit_id": int(audit_id) if audit_id else None,
            "description": form.description.data, "root_cause": form.root_cause.data}


def _finding_url(finding) -> str:
    return url_for("management.finding", finding_ref=finding.ref)


@bp.route("/findings/new", methods=["GET", "POST"])
@allow(Role.LEAD, Role.AUDITOR, auditor_may_write=True)
def new_finding():
    """Raise a finding; an auditor raises one on the items in their scope."""
    form = FindingForm(data=None if request.method == "POST" else {
        "source": request.args.get("source", ""), "refs": request.args.get("refs", ""),
        "audit_id": request.args.get("audit", "")})
    _finding_form(form)
    if form.validate_on_submit() and (done := _saved(
            form, lambda: raise_finding(_finding_values(form), current_user, local_today()),
            form.refs, lambda saved: f"{saved.ref} raised.", _finding_url)):
        return done
    return render_template("management/finding_edit.html", form=form, finding=None), \
        form_status(form)


@bp.route("/findings/<finding_ref>/edit", methods=["GET", "POST"])
@allow(Role.LEAD)
def edit_finding(finding_ref: str):
    finding = get_finding(finding_ref) or abort(404)
    if finding.status is FindingStatus.CLOSED:
        flash("A closed finding cannot be edited; reopen it with a reason first.", "error")
        return redirect(url_for("management.finding", finding_ref=finding.ref))
    form = FindingForm(data=None if request.method == "POST" else {
        "type": finding.type.value, "source": finding.source.value,
        "source_ref": finding.source_ref, "audit_id": str(finding.audit_id or ""),
        "refs": finding.refs, "description": finding.description,
        "root_cause": finding.root_cause})
    _finding_form(form)

    def save():
        update_finding(finding, _finding_values(form), current_user)
        return finding

    if form.validate_on_submit() and (done := _saved(
            form, save, form.refs, lambda saved: f"{saved.ref} saved.", _finding_url)):
        return done
    return render_template("management/finding_edit.html", form=form, finding=finding), \
        form_status(form)


@bp.route("/findings/<finding_ref>")
@allow(ALL_ROLES)
def finding(finding_ref: str, forms: dict | None = None, status: int = 200):
    item = get_finding(finding_ref) or abort(404)
    hidden = [r for r in item.ref_list if r.startswith("A.") and not may_see(r)]
    if hidden and current_user.role is Role.AUDITOR:
        abort(404)
    forms = forms or {}
    action_form = forms.get("action") or ActionForm(formdata=None)
    action_form.owner_id.choices = owner_choices(blank="Choose")
    return render_template(
        "management/finding.html", finding=item, types=FINDING_TYPES, sources=FINDING_SOURCES,
        action_form=action_form, verify_form=forms.get("verify") or VerifyForm(
            formdata=None, data={"verified_on": local_today()}),
        reason_form=forms.get("reason") or ReasonForm(formdata=None),
        next_status=next_status(item), may_manage=may_manage(current_user),
        today=local_today(), history=list_object_events("finding", item.ref)), status


@bp.route("/findings/<finding_ref>/actions", methods=["POST"])
@allow(Role.LEAD)
def add_finding_action(finding_ref: str):
    item = get_finding(finding_ref) or abort(404)
    if item.status is FindingStatus.CLOSED:
        flash("A closed finding cannot be changed; reopen it first.", "error")
        return redirect(url_for("management.finding", finding_ref=item.ref))
    form = ActionForm()
    form.owner_id.choices = owner_choices(blank="Choose")
    if form.validate_on_submit():
        _add_action(form, finding=item)
        if not form.errors:
            return redirect(url_for("management.finding", finding_ref=item.ref))
    return finding(item.ref, {"action": form}, 422)


@bp.route("/findings/<finding_ref>/advance", methods=["POST"])
@allow(Role.LEAD)
def advance_finding(finding_ref: str):
    item = get_finding(finding_ref) or abort(404)
    wanted = request.form.get("to", "")
    try:
        advance(item, current_user, FindingStatus(wanted) if wanted in {
            s.value for s in FindingStatus} else None)
    except FindingError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"{item.ref} is now {item.status.value.replace('_', ' ')}.", "success")
    return redirect(url_for("management.finding", finding_ref=item.ref))


@bp.route("/findings/<finding_ref>/verify", methods=["POST"])
@allow(Role.LEAD)
def verify_finding(finding_ref: str):
    item = get_finding(finding_ref) or abort(404)
    form = VerifyForm()
    if form.validate_on_submit():
        try:
            verify_and_close(item, current_user, form.verified_on.data, form.verification.data)
        except FindingError as error:
            field_error(form, error)
        else:
            db.session.commit()
            flash(f"{item.ref} verified and closed.", "success")
            return redirect(url_for("management.finding", finding_ref=item.ref))
    return finding(item.ref, {"verify": form}, 422)


@bp.route("/findings/<finding_ref>/reopen", methods=["POST"])
@allow(Role.LEAD)
def reopen_finding(finding_ref: str):
    item = get_finding(finding_ref) or abort(404)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            reopen(item, current_user, form.reason.data)
        except FindingError as error:
            field_error(form, error)
        else:
            db.session.commit()
            flash(f"{item.ref} reopened.", "success")
            return redirect(url_for("management.finding", finding_ref=item.ref))
    return finding(item.ref, {"reason": form}, 422)
