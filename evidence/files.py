"""Downloads (always attachments, streamed) and the two-person purge."""

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from evidence.forms import ReasonForm
from evidence.maintenance import decide_purge, destroy_purged_blob, request_purge
from evidence.models import EvidencePurge, EvidenceVersion, PurgeStatus
from evidence.queries import get_version
from evidence.services import EvidenceError
from evidence.storage import get_storage
from evidence.views import _item_or_404, bp
from isms.api import ALL_ROLES, Role, allow, db

# Types a browser may label a download with; anything else goes out as octet-stream.
LABELLED_TYPES = {
    "application/pdf", "image/png", "image/jpeg", "image/gif", "text/csv", "text/plain",
    "application/json", "application/zip",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@bp.route("/<int:item_id>/versions/<int:number>/download")
@allow(ALL_ROLES)
def download(item_id: int, number: int):
    """Stream a version's file as an attachment; never rendered inline."""
    version = get_version(item_id, number) or abort(404)
    _item_or_404(item_id)  # the scope check
    if version.storage_key is None:
        abort(404)
    if version.is_purged:
        abort(410)
    stream = get_storage().open(version.storage_key)
    media_type = version.media_type if version.media_type in LABELLED_TYPES else (
        "application/octet-stream")
    response = send_file(stream, mimetype=media_type, as_attachment=True,
                         download_name=version.file_name, etag=version.sha256, max_age=0,
                         conditional=False)
    response.content_length = version.size
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Digest"] = f"sha-256={version.sha256}"
    return response


@bp.route("/<int:item_id>/versions/<int:number>/purge", methods=["POST"])
@allow(Role.LEAD)
def purge(item_id: int, number: int):
    """Ask for a version's content to be destroyed; a second person approves."""
    version = get_version(item_id, number) or abort(404)
    form = ReasonForm()
    try:
        if not form.validate_on_submit():
            raise EvidenceError("Say why this content must be destroyed.")
        request_purge(version, form.reason.data, current_user)
    except EvidenceError as error:
        flash(str(error), "error")
        return redirect(url_for("evidence.detail", item_id=item_id))
    db.session.commit()
    flash("Purge requested: another lead or an admin must approve it.", "warning")
    return redirect(url_for("evidence.purges"))


@bp.route("/purges")
@allow(Role.LEAD, Role.ADMIN)
def purges():
    """List purge requests and tombstones."""
    rows = db.session.scalars(
        select(EvidencePurge).order_by(EvidencePurge.id.desc()).options(
            joinedload(EvidencePurge.requested_by), joinedload(EvidencePurge.decided_by),
            joinedload(EvidencePurge.version).joinedload(EvidenceVersion.item))
    ).all()
    return render_template("evidence/purges.html", purges=rows, PurgeStatus=PurgeStatus)


@bp.route("/purges/<int:purge_id>/<any(approve, reject):decision>", methods=["POST"])
@allow(Role.LEAD, Role.ADMIN)
def decide(purge_id: int, decision: str):
    """Approve or reject a purge; approval destroys the blob after the commit."""
    request_ = db.session.get(EvidencePurge, purge_id,
                              options=[joinedload(EvidencePurge.version)]) or abort(404)
    try:
        decide_purge(request_, decision == "approve", current_user)
    except EvidenceError as error:
        flash(str(error), "error")
        return redirect(url_for("evidence.purges"))
    db.session.commit()
    destroy_purged_blob(request_)
    flash("Purge approved: the content is destroyed, its hash is kept."
          if decision == "approve" else "Purge rejected.", "success")
    return redirect(url_for("evidence.purges"))
