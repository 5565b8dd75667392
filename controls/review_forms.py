"""Forms for recording a review and its follow-up actions."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from controls.forms import CheckboxesField
from controls.models import ReviewOutcome
from isms.api import choice_values, choices, strip_text

OUTCOME_LABELS = {
    ReviewOutcome.EFFECTIVE: "Effective",
    ReviewOutcome.NEEDS_IMPROVEMENT: "Needs improvement",
    ReviewOutcome.NOT_EFFECTIVE: "Not effective",
}
FOLLOW_UP_ROWS = 3


class FollowUpForm(Form):
    title = StringField("Action", validators=[Length(max=200)], filters=[strip_text])
    owner_id = SelectField("Owner", choices=[], validate_choice=False,
                           filters=[lambda value: value or ""])
    due_on = DateField("Due on", validators=[Optional()])

    @property
    def is_blank(self) -> bool:
        return not (self.title.data or self.owner_id.data or self.due_on.data)

    def validate(self, extra_validators=None) -> bool:
        """A row is either empty or complete: action, owner and due date."""
        valid = super().validate(extra_validators)
        if self.is_blank:
            return valid
        missing = [(self.title, "Describe the action."),
                   (self.owner_id, "A follow-up needs an owner."),
                   (self.due_on, "A follow-up needs a due date.")]
        for field, message in missing:
            if not field.data and not field.errors:
                field.errors.append(message)
                valid = False
        if self.owner_id.data and self.owner_id.data not in choice_values(self.owner_id):
            self.owner_id.errors.append("Choose an owner from the list.")
            valid = False
        return valid


class ReviewForm(FlaskForm):
    reviewed_on = DateField("Reviewed on", validators=[InputRequired("Give the date.")])
    outcome = RadioField("Outcome", choices=choices(
        (o.value, label) for o, label in OUTCOME_LABELS.items()),
        validators=[InputRequired("Choose the outcome.")])
    notes = TextAreaField("What was checked", validators=[Length(max=4000)],
                          filters=[strip_text])
    evidence_versions = CheckboxesField("Evidence looked at", choices=[], coerce=int,
                                        description="The versions are pinned to this record.")
    follow_ups = FieldList(FormField(FollowUpForm), min_entries=FOLLOW_UP_ROWS,
                           max_entries=FOLLOW_UP_ROWS)

    def set_owner_choices(self, owners) -> None:
        options = choices([("", "-")] + [(str(u.id), u.display_name) for u in owners])
        for row in self.follow_ups:
            row.form.owner_id.choices = options


class ReviewEditForm(FlaskForm):
    outcome = ReviewForm.outcome
    notes = ReviewForm.notes
