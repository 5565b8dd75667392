"""Forms for evidence: a new item, a new version, links, deletion and purge requests."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from evidence.models import EvidenceKind
from isms.api import choices, strip_text

KIND_LABELS = {
    EvidenceKind.FILE: "File (policy, screenshot, export)",
    EvidenceKind.LINK: "Link (ticket, wiki page, console URL)",
    EvidenceKind.STATEMENT: "Written statement",
    EvidenceKind.THIRD_PARTY_REPORT: "Third-party report (certificate, audit report)",
}


class ContentFields(FlaskForm):
    """The content of one version; which field is needed depends on the item's kind."""

    file = FileField("File")
    url = StringField("Link", validators=[Length(max=2000)], filters=[strip_text],
                      description="An absolute http:// or https:// address.")
    text = TextAreaField("Statement", validators=[Length(max=20000)], filters=[strip_text])
    collected_on = DateField("Collected on", validators=[InputRequired("Give the date.")])
    valid_until = DateField("Valid until", validators=[Optional()],
                            description="Leave empty if it does not expire.")
    comment = TextAreaField("Comment", validators=[Length(max=2000)], filters=[strip_text])


class NewEvidenceForm(ContentFields):
    kind = RadioField("Kind", choices=choices((k.value, v) for k, v in KIND_LABELS.items()),
                      validators=[InputRequired("Choose what kind of evidence this is.")])
    title = StringField("Title", validators=[DataRequired(), Length(max=200)],
                        filters=[strip_text])
    description = TextAreaField("Description", validators=[Length(max=4000)],
                                filters=[strip_text])
    owner_id = SelectField("Owner", choices=[], validate_choice=False)
    tags = StringField("Tags", validators=[Length(max=400)], filters=[strip_text],
                       description="Separated by commas.")
    controls = StringField("Controls", validators=[Length(max=2000)], filters=[strip_text],
                           description="Control ids of either edition, e.g. A.9.4.2, A.8.5.")
    with_counterparts = BooleanField("Also link the matching controls of the other edition")
    issuer = StringField("Issuer", validators=[Length(max=200)], filters=[strip_text],
                         description="Third-party reports: who issued it, e.g. an auditor.")
    report_name = StringField("Report name", validators=[Length(max=200)],
                              filters=[strip_text])
    period_from = DateField("Period covered from", validators=[Optional()])
    period_to = DateField("Period covered to", validators=[Optional()])
    inherited_from_aws = BooleanField(
        "Inherited from AWS: show it on every control whose responsibility is AWS or shared")


class VersionForm(ContentFields):
    pass


class LinkForm(FlaskForm):
    controls = StringField("Control ids", validators=[DataRequired(), Length(max=2000)],
                           filters=[strip_text])
    with_counterparts = BooleanField("Also the matching controls of the other edition")


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[DataRequired("Give a reason."),
                                                 Length(max=2000)], filters=[strip_text])
