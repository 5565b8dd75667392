"""Import an SoA workbook from the browser: upload, preview every change, confirm."""

import os
import re
import secrets
import shutil

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from isms.api import Role, allow, db
from soa.importer import ImportRefused, apply_import, plan_import
from soa.views import bp

TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _folder() -> str:
    folder = os.path.join(current_app.instance_path, "imports")
    os.makedirs(folder, exist_ok=True)
    return folder


def _path(token: str) -> str:
    if not TOKEN.match(token):
        abort(404)
    path = os.path.join(_folder(), f"{token}.xlsx")
    if not os.path.exists(path):
        abort(404)
    return path


@bp.route("/soa/import", methods=["GET", "POST"])
@allow(Role.LEAD)
def import_upload():
    """Upload a workbook and see what it would change."""
    if request.method == "GET":
        return render_template("soa/import.html")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose an .xlsx file to import.", "error")
        return render_template("soa/import.html"), 422
    token = secrets.token_hex(16)
    path = os.path.join(_folder(), f"{token}.xlsx")
    shutil.move(upload.stream.claim(), path)
    try:
        plan = plan_import(path)
    except ImportRefused as error:
        os.unlink(path)
        flash(f"Nothing was imported: {error}", "error")
        return render_template("soa/import.html"), 422
    return render_template("soa/import_preview.html", plan=plan,
                           summary=plan.summary(), token=token, file_name=upload.filename)


@bp.route("/soa/import/<token>/<any(apply, cancel):action>", methods=["POST"])
@allow(Role.LEAD)
def import_confirm(token: str, action: str):
    """Apply a previewed import in one transaction, or drop it."""
    path = _path(token)
    try:
        if action == "cancel":
            flash("The import was cancelled; nothing changed.", "info")
            return redirect(url_for("soa.index"))
        try:
            plan = plan_import(path)
            count = apply_import(plan, current_user)
        except ImportRefused as error:
            db.session.rollback()
            flash(f"Nothing was imported: {error}", "error")
            return redirect(url_for("soa.import_upload"))
        db.session.commit()
        flash(f"Imported the decisions on {count} controls.", "success")
        return redirect(url_for("controls.index"))
    finally:
        os.unlink(path)
