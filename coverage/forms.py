"""Forms of the coverage pages: how an unmapped requirement is met, and linking evidence."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

from coverage.models import RecordStatus
from isms.api import choices, strip_text


class RecordForm(FlaskForm):
    status = SelectField("Status", choices=choices(
        (s.value, s.value.replace("_", " ").capitalize()) for s in RecordStatus))
    # Filled by the view from the people who may own things.
    owner_id = SelectField("Owner", choices=choices([("", "Nobody yet")]),
                           filters=[lambda v: v or ""])
    notes = TextAreaField("How it is met", validators=[Length(max=4000)], filters=[strip_text],
                          description="The measures, procedures or documents that meet this "
                                      "requirement, and who runs them.")


class LinkEvidenceForm(FlaskForm):
    item_id = IntegerField("Evidence item", validators=[InputRequired("Choose an item.")])
