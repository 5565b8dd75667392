"""The decision form for one control."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from controls.models import (
    Applicability,
    ImplementationStatus,
    InclusionReason,
    Responsibility,
    ReviewCadence,
)
from isms.api import choice_values, choices, label, strip_text

TEXT_LIMIT = 4000

REASON_LABELS = {
    InclusionReason.LEGAL: "Legal requirement",
    InclusionReason.CONTRACTUAL: "Contractual obligation",
    InclusionReason.BUSINESS: "Business requirement or best practice",
    InclusionReason.RISK: "Risk treatment",
}
RESPONSIBILITY_LABELS = {
    Responsibility.COMPANY: "Company (security in the cloud)",
    Responsibility.AWS: "AWS (security of the cloud, inherited)",
    Responsibility.SHARED: "Shared between the company and AWS",
}
STATUS_LABELS = {s: s.value.replace("_", " ").capitalize() for s in ImplementationStatus}
CADENCE_LABELS = {c: label(c) for c in ReviewCadence}


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ControlForm(FlaskForm):
    applicability = RadioField(
        "Applicability",
        choices=choices([(Applicability.APPLICABLE.value, "Applicable (included in the SoA)"),
                         (Applicability.EXCLUDED.value, "Excluded")]),
        validators=[InputRequired("Decide whether the control applies.")],
    )
    reasons = CheckboxesField(
        "Reasons for inclusion",
        choices=choices((r.value, label) for r, label in REASON_LABELS.items()),
        description="ISO/IEC 27001 6.1.3 d) asks why each included control is needed.",
    )
    justification = TextAreaField(
        "Justification", validators=[Length(max=TEXT_LIMIT)], filters=[strip_text],
        description="Why the control is included (e.g. \"Required by customer contracts; "
                    "treats R-005\") or why it is excluded. A draft may be saved without "
                    "it; the SoA cannot be issued until every decided control has one.",
    )
    implementation_status = SelectField(
        "Implementation status",
        choices=choices([("", "-")] + [(s.value, label) for s, label in STATUS_LABELS.items()]),
        filters=[lambda value: value or ""],  # not sent means not set
    )
    responsibility = RadioField(
        "Responsibility",
        choices=choices((r.value, label) for r, label in RESPONSIBILITY_LABELS.items()),
    )
    company_part = TextAreaField("What the company does",
                                 validators=[Length(max=TEXT_LIMIT)], filters=[strip_text])
    aws_part = TextAreaField("What AWS does", validators=[Length(max=TEXT_LIMIT)],
                             filters=[strip_text])
    # Choices are checked in validate_owner_id, which also accepts a missing field.
    owner_id = SelectField("Owner", choices=choices([("", "Nobody yet")]), validate_choice=False,
                           filters=[lambda value: value or ""])
    review_cadence = SelectField(
        "Review cadence", choices=choices((c.value, label) for c, label in CADENCE_LABELS.items()))
    first_review_on = DateField(
        "First review due", validators=[Optional()],
        description="For a control not reviewed yet; empty means one cadence from today.")
    risk_refs = StringField(
        "Risks treated", validators=[Length(max=500)], filters=[strip_text],
        description="Risk register ids, e.g. R-012, R-031.")
    notes = TextAreaField("Notes", validators=[Length(max=TEXT_LIMIT)], filters=[strip_text])

    def validate_reasons(self, field):
        if self.applicability.data == Applicability.APPLICABLE and not field.data:
            raise ValidationError("Give at least one reason for including the control.")

    def validate_implementation_status(self, field):
        if self.applicability.data == Applicability.APPLICABLE and not field.data:
            raise ValidationError("Choose the implementation status.")

    def validate_owner_id(self, field):
        if field.data not in choice_values(field):
            raise ValidationError("Choose an owner from the list.")

    def values(self, may_assign_owner: bool) -> dict:
        """Return the submitted decision as model values."""
        applicability = Applicability(self.applicability.data)
        values = {
            "applicability": applicability,
            "reasons": self.reasons.data,
            "justification": self.justification.data,
            "implementation_status": (ImplementationStatus(self.implementation_status.data)
                                      if self.implementation_status.data else None),
            "responsibility": Responsibility(self.responsibility.data),
            "company_part": self.company_part.data,
            "aws_part": self.aws_part.data,
            "review_cadence": ReviewCadence(self.review_cadence.data),
            "first_review_on": self.first_review_on.data,
            "notes": self.notes.data,
            "risk_refs": self.risk_refs.data,
        }
        if may_assign_owner:
            values["owner_id"] = int(self.owner_id.data) if self.owner_id.data else None
        return values
