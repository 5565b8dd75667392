"""The first-run setup checklist page."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from controls.setup import build_checklist, start_fresh
from controls.views import bp
from isms.api import Role, allow, db, get_organisation


@bp.route("/setup")
@allow(Role.ADMIN, Role.LEAD)
def setup():
    """Show what a new tracker still needs before the work starts."""
    org = get_organisation()
    return render_template("controls/setup.html", org=org, checklist=build_checklist(org))


@bp.route("/setup/start-fresh", methods=["POST"])
@allow(Role.LEAD)
def setup_start_fresh():
    """Skip the import: every control starts undecided."""
    if not build_checklist(get_organisation()).step("decisions").done:
        start_fresh(current_user)
        db.session.commit()
    flash("Starting fresh: decide each control from the control list.", "success")
    return redirect(url_for("controls.setup"))
