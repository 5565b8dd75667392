"""Clause and risk register pages."""

import csv
import io

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from evidence.api import controls_of_items, find_items
from isms.api import (
    ALL_ROLES,
    EDITORS,
    Role,
    actor_of,
    allow,
    choices,
    db,
    form_status,
    get_organisation,
    is_formula_like,
    list_assignable_owners,
    list_object_events,
    local_today,
    safe_text,
    visible_control_ids,
)
from management.clauses import (
    can_edit_clause,
    clause_evidence,
    find_clause,
    get_state,
    link_evidence,
    list_clause_rows,
    state_for_update,
    unlink_evidence,
    update_clause,
)
from management.forms import ClauseForm, LinkEvidenceForm, RiskForm
from management.models import ClauseStatus, PlanStatus, Treatment
from management.refs import RefError, control_refs, parse_refs
from management.risks import (
    BANDS,
    EXPORT_HEADER,
    RiskError,
    RiskFilters,
    accept_risk,
    band,
    can_accept,
    export_rows,
    get_risk,
    heat_map,
    linked_control_ids,
    may_edit_risks,
    next_ref,
    risk_query,
    risk_scale,
    save_risk,
)

bp = Blueprint("management", __name__, template_folder="templates")
PER_PAGE = 50


def owner_choices(current_id=None, blank: str = "Nobody yet"):
    users = list_assignable_owners()
    pairs = [("", blank)] + [(str(u.id), u.display_name) for u in users]
    if current_id and str(current_id) not in {v for v, _ in pairs}:
        pairs.append((str(current_id), f"User {current_id} (no longer an owner)"))
    return choices(pairs)


def field_error(form, error) -> None:
    """Show a service's error on its field, or at the top of the form."""
    field = getattr(error, "field", None)
    if field and field in form:
        form[field].errors = [*form[field].errors, str(error)]
    else:
        form.form_errors.append(str(error))


# Clauses 4-10 ---------------------------------------------------------------------------------

@bp.route("/isms")
@allow(ALL_ROLES)
def clauses():
    """The requirements of clauses 4-10 with status, owner and evidence."""
    edition = get_organisation().edition
    status = request.args.get("status", "")
    status = status if status in {s.value for s in ClauseStatus} else ""
    owner = request.args.get("owner", "")
    owner = owner if owner == "none" or owner.isdigit() else ""
    rows = list_clause_rows(edition, status, owner)
    return render_template("management/clauses.html", rows=rows, edition=edition,
                           status=status, owner=owner, owners=list_assignable_owners(),
                           statuses=list(ClauseStatus))


@bp.route("/isms/<clause_id>")
@allow(ALL_ROLES)
def clause(clause_id: str):
    edition = get_organisation().edition
    item = find_clause(edition, clause_id) or abort(404)
    state = get_state(edition, clause_id)
    may_edit = can_edit_clause(current_user, state)
    query = request.args.get("find", "").strip()[:100]
    evidence = clause_evidence(state)
    history = list_object_events("clause", f"{edition}:{clause_id}")
    visible = visible_control_ids()
    if visible is not None:  # an auditor sees evidence only through controls in scope
        linked = controls_of_items([e.id for e in evidence])
        evidence = [e for e in evidence if linked[e.id] & visible]
        shown = {str(e.id) for e in evidence}
        history = [h for h in history if not h.action.endswith("_evidence") or all(
            v.text in shown for c in h.changes for v in (*c.before, *c.after))]
    return render_template(
        "management/clause.html", clause=item, state=state, may_edit=may_edit,
        evidence=evidence, find=query,
        candidates=find_items(query) if may_edit and query else [],
        link_form=LinkEvidenceForm(), history=history)


@bp.route("/isms/<clause_id>/edit", methods=["GET", "POST"])
@allow(EDITORS)
def edit_clause(clause_id: str):
    edition = get_organisation().edition
    item = find_clause(edition, clause_id) or abort(404)
    state = get_state(edition, clause_id)
    if not can_edit_clause(current_user, state):
        abort(403)
    data = None if request.method == "POST" else {
        "status": state.status.value if state else ClauseStatus.NOT_STARTED.value,
        "owner_id": str(state.owner_id or "") if state else "",
        "notes": state.notes if state else ""}
    form = ClauseForm(data=data)
    form.owner_id.choices = owner_choices(state.owner_id if state else None)
    if current_user.role is not Role.LEAD:  # owners keep the owner the lead chose
        del form.owner_id
    if form.validate_on_submit():
        values = {"status": ClauseStatus(form.status.data), "notes": form.notes.data}
        if "owner_id" in form:
            values["owner_id"] = int(form.owner_id.data) if form.owner_id.data else None
        update_clause(state or state_for_update(edition, clause_id), values, current_user)
        db.session.commit()
        flash(f"{clause_id} saved.", "success")
        return redirect(url_for("management.clause", clause_id=clause_id))
    return render_template("management/clause_edit.html", form=form, clause=item), \
        form_status(form)


@bp.route("/isms/<clause_id>/evidence", methods=["POST"])
@allow(EDITORS)
def link_clause_evidence(clause_id: str):
    edition = get_organisation().edition
    find_clause(edition, clause_id) or abort(404)
    state = get_state(edition, clause_id)
    if not can_edit_clause(current_user, state):
        abort(403)
    form = LinkEvidenceForm()
    if not form.validate_on_submit():
        abort(400)
    if link_evidence(state or state_for_update(edition, clause_id), form.item_id.data,
                     actor=actor_of(current_user)):
        db.session.commit()
        flash("Evidence linked.", "success")
    else:
        flash("That evidence item does not exist or is linked already.", "error")
    return redirect(url_for("management.clause", clause_id=clause_id))


@bp.route("/isms/<clause_id>/evidence/<int:item_id>/remove", methods=["POST"])
@allow(EDITORS)
def unlink_clause_evidence(clause_id: str, item_id: int):
    edition = get_organisation().edition
    state = get_state(edition, clause_id) or abort(404)
    if not can_edit_clause(current_user, state):
        abort(403)
    if unlink_evidence(state, item_id, actor=actor_of(current_user)):
        db.session.commit()
        flash("Evidence unlinked.", "success")
    return redirect(url_for("management.clause", clause_id=clause_id))


# Risk register ---------------------------------------------------------------------------------

@bp.route("/risks")
@allow(ALL_ROLES)
def risks():
    """The risk register with its heat map, filters and exports."""
    edition = get_organisation().edition
    filters = RiskFilters.from_args(request.args)
    residual = request.args.get("map") == "residual"
    page = db.paginate(risk_query(filters, edition), page=request.args.get("page", 1, type=int),
                       per_page=PER_PAGE, error_out=False)
    return render_template(
        "management/risks.html", page=page, filters=filters, edition=edition,
        heat=heat_map(filters, edition, residual), residual=residual,
        owners=list_assignable_owners(), treatments=list(Treatment),
        plan_statuses=list(PlanStatus), bands=BANDS, band=band, scale=risk_scale(),
        may_edit=may_edit_risks(current_user))


@bp.route("/risks.csv")
@allow(ALL_ROLES)
def risks_csv():
    edition, filters = get_organisation().edition, RiskFilters.from_args(request.args)

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_HEADER)
        for row in export_rows(filters, edition):
            writer.writerow([safe_text(v) if isinstance(v, str) else v for v in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=risk-register.csv"})


@bp.route("/risks.xlsx")
@allow(ALL_ROLES)
def risks_xlsx():
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    edition, filters = get_organisation().edition, RiskFilters.from_args(request.args)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Risk register")
    sheet.freeze_panes = "A2"
    header = []
    for title in EXPORT_HEADER:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in export_rows(filters, edition):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if is_formula_like(value):
                cell.data_type = "s"
            elif hasattr(value, "isoformat"):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(buffer.getvalue(), headers={
        "Content-Disposition": "attachment; filename=risk-register.xlsx"},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/risks/new", methods=["GET", "POST"])
@allow(Role.LEAD)
def new_risk():
    form = RiskForm(data=None if request.method == "POST" else {
        "ref": next_ref(), "likelihood": None, "impact": None})
    return _risk_form(form, None)


@bp.route("/risks/<ref>/edit", methods=["GET", "POST"])
@allow(Role.LEAD)
def edit_risk(ref: str):
    risk = get_risk(ref) or abort(404)
    edition = get_organisation().edition
    data = None
    if request.method != "POST":
        data = {name: getattr(risk, name) for name in (
            "ref", "title", "description", "asset", "threat", "vulnerability", "likelihood",
            "impact", "plan", "plan_due", "residual_likelihood", "residual_impact")}
        data.update(owner_id=str(risk.owner_id or ""), treatment=risk.treatment.value,
                    plan_status=risk.plan_status.value,
                    controls=", ".join(linked_control_ids(risk, edition)))
    return _risk_form(RiskForm(data=data), risk)


def _risk_form(form: RiskForm, risk):
    edition = get_organisation().edition
    form.owner_id.choices = owner_choices(risk.owner_id if risk else None, "Choose")
    if form.validate_on_submit():
        try:
            control_ids = control_refs(parse_refs(form.controls.data, edition, clauses=False))
        except RefError as error:
            form.controls.errors = [*form.controls.errors, str(error)]
        else:
            values = {name: form[name].data for name in (
                "ref", "title", "description", "asset", "threat", "vulnerability",
                "likelihood", "impact", "plan", "plan_due", "residual_likelihood",
                "residual_impact")}
            values.update(owner_id=int(form.owner_id.data),
                          treatment=Treatment(form.treatment.data),
                          plan_status=PlanStatus(form.plan_status.data))
            try:
                saved = save_risk(risk, values, control_ids, edition, current_user)
            except RiskError as error:
                db.session.rollback()
                field_error(form, error)
            else:
                db.session.commit()
                flash(f"{saved.ref} saved.", "success")
                return redirect(url_for("management.risk", ref=saved.ref))
    return render_template("management/risk_edit.html", form=form, risk=risk,
                           scale=risk_scale()), form_status(form)


@bp.route("/risks/<ref>")
@allow(ALL_ROLES)
def risk(ref: str):
    item = get_risk(ref) or abort(404)
    edition = get_organisation().edition
    return render_template(
        "management/risk.html", risk=item, scale=risk_scale(), band=band,
        controls=linked_control_ids(item, edition), may_edit=may_edit_risks(current_user),
        may_accept=can_accept(current_user, item) and not item.accepted_on,
        history=list_object_events("risk", item.ref))


@bp.route("/risks/<ref>/accept", methods=["POST"])
@allow(EDITORS)
def accept(ref: str):
    item = get_risk(ref) or abort(404)
    try:
        accept_risk(item, current_user, local_today())
    except RiskError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"You accepted the residual risk of {item.ref}.", "success")
    return redirect(url_for("management.risk", ref=item.ref))
