"""Evidence pages: list, new item, detail, new version, links, download, delete."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from evidence.forms import LinkForm, NewEvidenceForm, ReasonForm, VersionForm
from evidence.models import EvidenceKind
from evidence.queries import EvidenceFilters, get_item, links_by_item, list_items
from evidence.services import (
    Content,
    EvidenceError,
    Report,
    add_version,
    can_change,
    create_item,
    delete_item,
    link_controls,
    parse_control_refs,
    refuse_links,
    unlink_control,
)
from evidence.status import EvidenceStatus, item_status, version_status
from evidence.storage import StorageError
from isms.api import (
    ALL_ROLES,
    EDITORS,
    Role,
    actor_of,
    allow,
    choices,
    db,
    form_status,
    list_assignable_owners,
    list_object_events,
    local_today,
    visible_control_ids,
)

bp = Blueprint("evidence", __name__, url_prefix="/evidence", template_folder="templates")
PER_PAGE = 50


@bp.route("")
@allow(ALL_ROLES)
def index():
    """List live evidence with filters and pages."""
    filters = EvidenceFilters.from_args(request.args)
    page = list_items(filters, request.args.get("page", 1, type=int), PER_PAGE,
                      visible_control_ids())
    return render_template(
        "evidence/index.html", page=page, filters=filters, today=local_today(),
        links=links_by_item([i.id for i in page.items]), owners=list_assignable_owners(),
        statuses=[s for s in EvidenceStatus if s is not EvidenceStatus.NONE],
        kinds=list(EvidenceKind), item_status=item_status)


def _content(form) -> Content:
    upload = form.file.data
    return Content(stream=upload.stream if upload else None,
                   file_name=upload.filename if upload else None,
                   url=form.url.data, text=form.text.data)


def _save(form, work):
    """Run a change and commit it; on failure roll back, mark the form, return the status."""
    try:
        result = work()
        db.session.commit()
    except EvidenceError as error:
        db.session.rollback()
        _attach(form, error)
        return None, 200
    except StorageError as error:
        db.session.rollback()
        form.form_errors.append(f"Nothing was saved: {error}.")
        return None, 503
    return result, 200


def _attach(form, error: EvidenceError) -> None:
    field = getattr(form, error.field or "", None)
    (field.errors if field is not None else form.form_errors).append(str(error))


@bp.route("/new", methods=["GET", "POST"])
@allow(EDITORS)
def new():
    """Create an evidence item with its first version and its control links."""
    form = NewEvidenceForm()
    owners = list_assignable_owners()
    form.owner_id.choices = choices((str(u.id), u.display_name) for u in owners)
    if request.method == "GET":
        form.controls.data = request.args.get("controls", "")
        form.collected_on.data = local_today()
        form.owner_id.data = str(current_user.id)
    status = 200
    if form.validate_on_submit():
        owner_id = current_user.id
        if current_user.role is Role.LEAD and form.owner_id.data in {str(u.id) for u in owners}:
            owner_id = int(form.owner_id.data)
        try:
            refs = parse_control_refs(form.controls.data, form.with_counterparts.data)
            refuse_links(current_user, refs)
        except EvidenceError as error:
            _attach(form, error)
            status = 422
        else:
            item, status = _save(form, lambda: create_item(
                title=form.title.data, kind=EvidenceKind(form.kind.data), owner_id=owner_id,
                content=_content(form), collected_on=form.collected_on.data,
                valid_until=form.valid_until.data, today=local_today(),
                actor_id=current_user.id, description=form.description.data,
                tags=form.tags.data, refs=refs, comment=form.comment.data,
                report=_report(form), audit_actor=actor_of(current_user)))
            if item is not None:
                flash(f"Evidence “{item.title}” saved.", "success")
                return redirect(url_for("evidence.detail", item_id=item.id))
    return render_template("evidence/new.html", form=form,
                           may_assign=current_user.role is Role.LEAD), max(
                               status, form_status(form))


def _report(form) -> Report | None:
    if form.kind.data != EvidenceKind.THIRD_PARTY_REPORT and not form.inherited_from_aws.data:
        return None
    return Report(form.issuer.data or "", form.report_name.data or "", form.period_from.data,
                  form.period_to.data, "aws" if form.inherited_from_aws.data else None)


def _item_or_404(item_id: int):
    item = get_item(item_id) or abort(404)
    visible = visible_control_ids()
    if visible is not None and not any(link.control_id in visible for link in item.links):
        abort(404)  # out of an auditor's scope
    return item


def _changeable_item(item_id: int):
    item = _item_or_404(item_id)
    if not can_change(current_user, item):
        abort(403, f"This evidence is owned by {item.owner.display_name}; only they or the "
                   "lead can change it.")
    if item.is_deleted:
        abort(409)
    return item


@bp.route("/<int:item_id>")
@allow(ALL_ROLES)
def detail(item_id: int):
    """Show an item: versions with hashes, linked controls, history."""
    item = _item_or_404(item_id)
    return render_template(
        "evidence/detail.html", item=item, status=item_status(item),
        version_status=version_status, may_change=can_change(current_user, item),
        link_form=LinkForm(), reason_form=ReasonForm(),
        history=list_object_events("evidence", str(item.id)))


@bp.route("/<int:item_id>/versions/new", methods=["GET", "POST"])
@allow(EDITORS)
def new_version(item_id: int):
    """Add a version; earlier versions stay as they were."""
    item = _changeable_item(item_id)
    form = VersionForm()
    if request.method == "GET":
        form.collected_on.data = local_today()
    status = 200
    if form.validate_on_submit():
        version, status = _save(form, lambda: add_version(
            item, _content(form), collected_on=form.collected_on.data,
            valid_until=form.valid_until.data, today=local_today(),
            actor_id=current_user.id, comment=form.comment.data,
            audit_actor=actor_of(current_user)))
        if version is not None:
            flash(f"Version {version.number} saved.", "success")
            return redirect(url_for("evidence.detail", item_id=item.id))
    return render_template("evidence/version_form.html", form=form, item=item), max(
        status, form_status(form))


@bp.route("/<int:item_id>/links", methods=["POST"])
@allow(EDITORS)
def add_links(item_id: int):
    """Link the item to more controls."""
    item = _changeable_item(item_id)
    form = LinkForm()
    if form.validate_on_submit():
        try:
            refs = parse_control_refs(form.controls.data, form.with_counterparts.data)
            refuse_links(current_user, refs)
        except EvidenceError as error:
            flash(str(error), "error")
        else:
            added = link_controls(item, refs, audit_actor=actor_of(current_user))
            db.session.commit()
            flash(f"Linked to {added} more control{'s' if added != 1 else ''}.", "success")
    else:
        flash("Give at least one control id.", "error")
    return redirect(url_for("evidence.detail", item_id=item.id))


@bp.route("/<int:item_id>/links/<edition>/<control_id>/delete", methods=["POST"])
@allow(EDITORS)
def remove_link(item_id: int, edition: str, control_id: str):
    """Unlink the item from one control."""
    item = _changeable_item(item_id)
    if not unlink_control(item, edition, control_id, audit_actor=actor_of(current_user)):
        abort(404)
    db.session.commit()
    flash(f"Unlinked from {control_id}.", "success")
    return redirect(url_for("evidence.detail", item_id=item.id))


@bp.route("/<int:item_id>/delete", methods=["POST"])
@allow(EDITORS)
def delete(item_id: int):
    """Soft-delete an item with a reason."""
    item = _changeable_item(item_id)
    form = ReasonForm()
    try:
        if not form.validate_on_submit():
            raise EvidenceError("Give a reason for deleting this evidence.")
        delete_item(item, form.reason.data, current_user)
    except EvidenceError as error:
        flash(str(error), "error")
        return redirect(url_for("evidence.detail", item_id=item.id))
    db.session.commit()
    flash(f"“{item.title}” was deleted; its versions are kept.", "success")
    return redirect(url_for("evidence.index"))
