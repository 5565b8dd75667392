"""The page where the lead adds controls from other sources than Annex A."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from controls.sources import add_control, enable_control_set
from controls.views import bp
from isms.api import (
    CONTROL_SETS,
    CatalogError,
    Role,
    allow,
    db,
    form_status,
    get_edition,
    get_organisation,
    set_controls,
    strip_text,
)


class CustomControlForm(FlaskForm):
    control_id = StringField("ID", validators=[DataRequired(), Length(max=16)],
                             filters=[strip_text], description="e.g. CUST-1")
    title = StringField("Title", validators=[DataRequired(), Length(max=255)],
                        filters=[strip_text])
    source = StringField("Source", validators=[DataRequired(), Length(max=200)],
                         filters=[strip_text],
                         description="Where the control comes from, e.g. \"Contract with "
                                     "customer X\".")


@bp.route("/controls/sources", methods=["GET", "POST"])
@allow(Role.LEAD)
def sources():
    """Enable a ready set of controls in one step, or add a custom control."""
    form = CustomControlForm()
    if request.method == "POST" and request.form.get("set"):
        key = request.form["set"]
        if key not in CONTROL_SETS:
            flash("Unknown control set.", "error")
            return redirect(url_for("controls.sources"))
        added = enable_control_set(key, current_user)
        db.session.commit()
        flash(f"{len(added)} controls of {CONTROL_SETS[key].source} added; decide on each."
              if added else f"{CONTROL_SETS[key].source} is already enabled.", "success")
        return redirect(url_for("controls.index", source=CONTROL_SETS[key].source))
    if form.validate_on_submit():
        try:
            control_id = add_control(form.control_id.data, form.title.data, form.source.data,
                                     current_user)
        except CatalogError as error:
            db.session.rollback()
            form.control_id.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{control_id} added; record the decision on it.", "success")
            return redirect(url_for("controls.edit", control_id=control_id))
    edition = get_edition(get_organisation().edition)
    enabled = {key: spec.source in edition.sources for key, spec in CONTROL_SETS.items()}
    sets = {key: set_controls(key) for key in CONTROL_SETS}
    return render_template("controls/sources.html", form=form, sets=sets, enabled=enabled,
                           specs=CONTROL_SETS, edition=edition), form_status(form)
