"""Forms of the management system; the services check what depends on data."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from isms.api import choices, strip_text
from management.models import (
    AuditStatus,
    ClauseStatus,
    FindingSource,
    FindingType,
    InputState,
    PlanStatus,
    Treatment,
)
from management.records import REVIEW_INPUTS

TEXT = 4000


def _words(enum_cls, labels=None):
    labels = labels or {}
    return choices((m.value, labels.get(m.value, m.value.replace("_", " ").capitalize()))
                   for m in enum_cls)


def _owner_field(label: str, required_message: str | None = None):
    # Choices are filled by the view from the people who may own things.
    return SelectField(label, choices=choices([("", "Nobody yet")]),
                       filters=[lambda v: v or ""],
                       validators=[InputRequired(required_message)] if required_message else [])


def _text(label: str, limit: int = TEXT, required: str | None = None, **kwargs):
    validators = [InputRequired(required)] if required else []
    return TextAreaField(label, validators=[*validators, Length(max=limit)],
                         filters=[strip_text], **kwargs)


class ClauseForm(FlaskForm):
    status = SelectField("Status", choices=_words(ClauseStatus))
    owner_id = _owner_field("Owner")
    notes = _text("Notes", description="How the organisation meets this requirement, and "
                                       "where the documented information lives.")


class RiskForm(FlaskForm):
    ref = StringField("Risk id", validators=[InputRequired("Give the risk an id."),
                                             Length(max=16)], filters=[strip_text])
    title = StringField("Title", validators=[InputRequired("Give the risk a title."),
                                             Length(max=200)], filters=[strip_text])
    description = _text("Description")
    asset = StringField("Asset or process", validators=[Length(max=200)], filters=[strip_text])
    threat = _text("Threat", 1000)
    vulnerability = _text("Vulnerability", 1000)
    owner_id = _owner_field("Risk owner", "Choose the risk owner.")
    likelihood = IntegerField("Likelihood", validators=[InputRequired("Score the likelihood.")])
    impact = IntegerField("Impact", validators=[InputRequired("Score the impact.")])
    treatment = SelectField("Treatment", choices=_words(Treatment))
    controls = StringField(
        "Controls", validators=[Length(max=1000)], filters=[strip_text],
        description="The Annex A controls that treat this risk, e.g. A.9.2.3, A.12.4.1.")
    plan = _text("Treatment plan")
    plan_status = SelectField("Plan status", choices=_words(PlanStatus))
    plan_due = DateField("Plan due", validators=[Optional()])
    residual_likelihood = IntegerField("Residual likelihood", validators=[Optional()])
    residual_impact = IntegerField("Residual impact", validators=[Optional()])


class AuditForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired("Name the audit."), Length(max=200)],
                        filters=[strip_text])
    scope = StringField("Scope", validators=[InputRequired("Say what the audit covers."),
                                             Length(max=2000)], filters=[strip_text],
                        description="Clauses and controls, e.g. 6.1.2, 9.2, A.9.2.1.")
    auditor = StringField("Auditor", validators=[InputRequired("Name the auditor."),
                                                 Length(max=200)], filters=[strip_text])
    planned_on = DateField("Planned for", validators=[InputRequired("Give the planned date.")])
    status = SelectField("Status", choices=_words(AuditStatus))
    performed_on = DateField("Performed on", validators=[Optional()])
    summary = _text("Summary", 8000)


INPUT_WORDS = {InputState.DISCUSSED.value: "Discussed",
               InputState.NOTHING_TO_REPORT.value: "Nothing to report",
               InputState.NOT_DISCUSSED.value: "Not discussed"}


class ReviewForm(FlaskForm):
    held_on = DateField("Held on", validators=[InputRequired("Give the date of the review.")])
    attendees = _text("Attendees", 2000, "List who attended.")
    decisions = _text("Decisions", 8000,
                      description="Decisions on improvement and on changes to the ISMS.")

    def input_fields(self):
        return [(key, label, self[f"state_{key}"], self[f"notes_{key}"])
                for key, label in REVIEW_INPUTS]


for _key, _label in REVIEW_INPUTS:
    setattr(ReviewForm, f"state_{_key}", RadioField(
        _label, choices=choices(INPUT_WORDS.items()),
        validators=[InputRequired("Say whether this input was discussed.")]))
    setattr(ReviewForm, f"notes_{_key}", _text(f"Notes: {_label}"))


FINDING_TYPES = {"major_nc": "Major nonconformity", "minor_nc": "Minor nonconformity",
                 "observation": "Observation", "opportunity": "Opportunity for improvement"}
FINDING_SOURCES = {"internal_audit": "Internal audit", "certification_audit":
                   "Certification audit", "management_review": "Management review",
                   "incident": "Incident", "self_identified": "Self-identified"}


class FindingForm(FlaskForm):
    type = SelectField("Type", choices=_words(FindingType, FINDING_TYPES))
    source = SelectField("Source", choices=_words(FindingSource, FINDING_SOURCES))
    source_ref = StringField("Source reference", validators=[Length(max=100)],
                             filters=[strip_text],
                             description="The certification auditor's reference, or the "
                                         "incident number.")
    audit_id = SelectField("Internal audit", choices=choices([("", "-")]),
                           filters=[lambda v: v or ""])
    refs = StringField("Clauses and controls", validators=[Length(max=1000)],
                       filters=[strip_text], description="e.g. 9.2, A.12.4.1")
    description = _text("Description", required="Describe the finding.")
    root_cause = _text("Root cause")


class ActionForm(FlaskForm):
    description = _text("Action", 2000, "Describe the action.")
    owner_id = _owner_field("Owner", "Choose who owns the action.")
    due_on = DateField("Due on", validators=[InputRequired("Give a due date.")])


class VerifyForm(FlaskForm):
    verified_on = DateField("Verified on", validators=[InputRequired("Give the date.")])
    verification = _text("Verification of effectiveness", required=(
        "Say how effectiveness was verified and what was found."))


class ReasonForm(FlaskForm):
    reason = _text("Reason", 2000, "Give the reason for reopening.")


class LinkEvidenceForm(FlaskForm):
    item_id = IntegerField("Evidence item", validators=[InputRequired("Choose an item.")])
