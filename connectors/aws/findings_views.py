"""The findings upload on /aws."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from connectors.aws.findings import FindingsError, import_findings
from connectors.aws.forms import FindingsForm
from connectors.aws.views import MANAGERS, bp
from isms.api import allow, db, local_today


@bp.route("/findings", methods=["POST"])
@allow(MANAGERS)
def import_findings_upload():
    """Import an uploaded Prowler or Security Hub findings file as evidence."""
    form = FindingsForm()
    if form.validate_on_submit():
        try:
            report = import_findings(form.file.data.stream, form.format.data, current_user.id,
                                     local_today(), str(current_user.id))
            db.session.commit()
        except FindingsError as error:
            db.session.rollback()
            form.file.errors.append(str(error))
        else:
            flash(f"Imported {report.findings} findings: {report.versions_added} new evidence "
                  f"versions, {report.unchanged} unchanged.", "success")
            return redirect(url_for("aws.index"))
    return render_template("aws/findings.html", findings_form=form), 422
