"""The SoA page, exports, issued versions and the diff between two versions."""

import io

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from isms.api import (
    ALL_ROLES,
    Role,
    actor_of,
    allow,
    db,
    get_edition,
    get_organisation,
    local_today,
    visible_control_ids,
)
from soa.check import check_rows
from soa.package import start_package
from soa.rows import DECISION_FIELDS, diff, snapshot, soa_rows
from soa.transition import TransitionError, apply_transition, plan_transition
from soa.versions import (
    SoaError,
    approve,
    cover_rows,
    get_version,
    latest_approved,
    list_versions,
    pending_version,
    submit,
    withdraw,
)

bp = Blueprint("soa", __name__, template_folder="templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/soa")
@allow(ALL_ROLES)
def index():
    """The current SoA at a glance, its exports and its issued versions."""
    edition = get_organisation().edition
    rows = soa_rows(edition)
    pending, latest = pending_version(), latest_approved()
    changes = since_issued = None
    if pending is not None:
        changes = diff(pending.snapshot, snapshot(edition, rows))
        since_issued = diff(latest.snapshot, pending.snapshot) if latest else None
    visible = visible_control_ids()
    return render_template(
        "soa/index.html", rows=rows, versions=list_versions(), pending=pending,
        changed_since_submission=changes, since_issued=since_issued, latest=latest,
        edition=edition, undecided=sum(not r.applicable for r in rows),
        readiness=check_rows(rows),
        linked=None if visible is None else set(visible))


@bp.route("/soa/export.xlsx")
@allow(ALL_ROLES)
def export_xlsx():
    """Download the current (draft) SoA workbook."""
    from soa.workbook import write_workbook  # openpyxl loads on first use

    buffer = io.BytesIO()
    write_workbook(buffer, get_organisation().edition, cover_rows(None))
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True,
                     download_name=f"SoA-draft-{local_today()}.xlsx")


@bp.route("/soa/export.csv")
@allow(ALL_ROLES)
def export_csv():
    """Download the current SoA sheet as CSV."""
    from soa.workbook import write_csv

    text = io.StringIO()
    write_csv(text, get_organisation().edition)
    return Response(text.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=SoA-draft-{local_today()}.csv"})


@bp.route("/soa/submit", methods=["POST"])
@allow(Role.LEAD)
def submit_version():
    """Submit the current SoA as the next version, for a second person to approve."""
    try:
        version = submit(current_user, request.form.get("change_summary", ""))
    except SoaError as error:
        flash(str(error), "error")
        return redirect(url_for("soa.index"))
    db.session.commit()
    flash(f"Version {version.number} submitted; another lead or an admin must approve it.",
          "success")
    return redirect(url_for("soa.index"))


@bp.route("/soa/versions/<int:number>/<any(approve, withdraw):action>", methods=["POST"])
@allow(Role.LEAD, Role.ADMIN)
def decide(number: int, action: str):
    """Approve (freeze the workbook) or withdraw a submitted version."""
    version = get_version(number) or abort(404)
    try:
        if action == "approve":
            approve(version, current_user, request.form.get("approver_title", ""))
        elif current_user.role is Role.LEAD:
            withdraw(version, current_user)
        else:
            abort(403)
    except SoaError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("soa.index"))
    db.session.commit()
    flash(f"Version {number} {'issued' if action == 'approve' else 'withdrawn'}.", "success")
    return redirect(url_for("soa.index"))


@bp.route("/soa/versions/<int:number>")
@allow(ALL_ROLES)
def version(number: int):
    """Download an issued version: the exact bytes approved, never rebuilt."""
    version = get_version(number) or abort(404)
    if version.workbook is None:
        abort(404)
    response = send_file(io.BytesIO(version.workbook), mimetype=XLSX, as_attachment=True,
                         download_name=f"SoA-v{number}.xlsx", etag=version.sha256)
    response.headers["Digest"] = f"sha-256={version.sha256}"
    return response


@bp.route("/soa/versions/<int:a>/diff/<int:b>")
@allow(ALL_ROLES)
def version_diff(a: int, b: int):
    """List the controls whose decisions changed between two versions."""
    first, second = get_version(a) or abort(404), get_version(b) or abort(404)
    changes = diff(first.snapshot, second.snapshot)
    return render_template("soa/diff.html", first=first, second=second,
                           changes=changes, fields=DECISION_FIELDS)


@bp.route("/soa/transition", methods=["GET", "POST"])
@allow(Role.LEAD)
def transition():
    """Preview and run the move from the 2013 to the 2022 edition."""
    try:
        plan = plan_transition()
    except TransitionError as error:
        flash(str(error), "info")
        return redirect(url_for("soa.index"))
    if request.method == "POST":
        links = apply_transition(plan, audit_actor=actor_of(current_user))
        db.session.commit()
        flash(f"The organisation now uses ISO/IEC 27001:2022. {len(plan.new_controls)} new "
              f"controls and {len(plan.conflicts)} merged ones need a decision; {links} "
              "evidence links were carried over.", "success")
        return redirect(url_for("controls.index", status="undecided"))
    catalog = get_edition("2022")
    return render_template("soa/transition.html", plan=plan, catalog=catalog)


@bp.route("/audit-package.zip")
@allow(ALL_ROLES)
def audit_package():
    """Everything in scope for offline review: evidence files, manifest, SoA, checksums."""
    org = get_organisation()
    edition, org_name = org.edition, org.name
    visible = visible_control_ids()
    control_ids = [i.control_id for i in get_edition(edition).items
                   if visible is None or i.control_id in visible]
    stream = start_package(edition, control_ids, org_name, str(current_user.id))
    db.session.commit()
    return Response(stream_with_context(stream),
                    mimetype="application/zip", headers={
                        "Content-Disposition": f"attachment; filename=evidence-package-"
                                               f"{local_today()}.zip"})
