"""Organisation settings: name, scope statement, time zone, second factor, SoA sheets."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from isms.audit import actor_of, changes, record_event
from isms.auth.guard import allow, safe_next
from isms.auth.models import Role
from isms.catalog import framework_codes
from isms.db import db
from isms.forms import choices, form_status, strip_text
from isms.org import get_organisation, is_valid_timezone

bp = Blueprint("settings", __name__)
DOCUMENT_FIELDS = ("soa_document_id", "soa_classification", "soa_review_months")


class OrganisationForm(FlaskForm):
    name = StringField("Organisation name", validators=[DataRequired(), Length(max=200)],
                       filters=[strip_text])
    scope = TextAreaField(
        "Scope of the ISMS", validators=[Length(max=4000)], filters=[strip_text],
        description="The scope statement of ISO/IEC 27001 clause 4.3, as the certificate "
                    "will state it.",
    )
    timezone = StringField("Time zone", validators=[DataRequired(), Length(max=64)],
                           filters=[strip_text],
                           description="An IANA name such as Europe/Brussels.")
    require_totp = BooleanField(
        "Admins and leads must sign in with a second factor",
        description="Those without an authenticator app are asked to set one up at their "
                    "next request.")

    soa_document_id = StringField(
        "SoA document ID", validators=[Optional(), Length(max=60), Regexp(
            r"^[A-Za-z0-9][A-Za-z0-9._/-]*$",
            message="Use letters, digits, dots, dashes or slashes, e.g. ISMS-SOA.")],
        filters=[strip_text], description="Printed on the SoA's Cover and every page header.")
    soa_classification = StringField(
        "SoA classification", validators=[Optional(), Length(max=60)], filters=[strip_text],
        description="e.g. Internal, Confidential.")
    soa_review_months = IntegerField(
        "SoA review period (months)", validators=[Optional(), NumberRange(1, 36)],
        description="The next review date of an issued version is its issue date plus this.")

    coverage_sheets = SelectMultipleField(
        "Coverage sheets in the SoA workbook",
        description="Each adds a sheet with the framework's requirements, the ISO ids they map "
                    "to, their coverage verdict and evidence references.",
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.coverage_sheets.choices = choices(
            (code, f"{short_name} sheet") for code, short_name in framework_codes())

    def validate_timezone(self, field):
        if not is_valid_timezone(field.data):
            raise ValidationError("Unknown time zone; use an IANA name such as Europe/Brussels.")


@bp.route("/settings", methods=["GET", "POST"])
@allow(Role.ADMIN, Role.LEAD)
def organisation():
    """Edit the organisation; the edition is shown but changed only by the transition."""
    org = get_organisation()
    form = OrganisationForm(obj=org, data={"coverage_sheets": org.soa_framework_codes})
    if form.validate_on_submit():
        before = _audited(org)
        chosen = form.coverage_sheets.data
        del form.coverage_sheets  # stored as one text of codes, in the packaged order
        for name in DOCUMENT_FIELDS:  # left empty (or not sent): keep what is set
            if getattr(form, name).data in (None, ""):
                getattr(form, name).data = getattr(org, name)
        form.populate_obj(org)
        org.soa_frameworks = ",".join(c for c, _ in framework_codes() if c in chosen)
        old, new = changes(before, _audited(org))
        if new:
            record_event("organisation.update", "organisation", org.id, before=old, after=new,
                         actor=actor_of(current_user))
            db.session.commit()
            flash("Organisation settings saved.", "success")
        # The setup checklist sends the lead here and expects them back.
        return redirect(safe_next(request.args.get("next"), url_for("settings.organisation")))
    return render_template("settings/organisation.html", form=form, org=org), form_status(form)


def _audited(org) -> dict:
    return {"name": org.name, "scope": org.scope, "timezone": org.timezone,
            "require_totp": org.require_totp, "soa_document_id": org.soa_document_id,
            "soa_classification": org.soa_classification,
            "soa_review_months": org.soa_review_months, "soa_frameworks": org.soa_frameworks}
