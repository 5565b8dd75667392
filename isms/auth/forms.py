"""Login and user administration forms."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from isms.auth.models import Role
from isms.auth.services import MIN_PASSWORD_LENGTH
from isms.forms import choices, strip_text


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       filters=[strip_text])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    next = HiddenField()


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=64)], filters=[strip_text],
                       description="The six digits your authenticator app shows, or one of "
                                   "your recovery codes.")


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    new = PasswordField("New password", validators=[DataRequired(), Length(
        min=MIN_PASSWORD_LENGTH, max=1024,
        message=f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")],
        description=f"At least {MIN_PASSWORD_LENGTH} characters.")
    confirm = PasswordField("New password again", validators=[
        DataRequired(), EqualTo("new", message="The two new passwords differ.")])


class PasswordConfirmForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=1024)])


class ResetForm(FlaskForm):
    remove_totp = BooleanField("Also remove their second factor")


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)],
                       filters=[strip_text])
    name = StringField("Name", validators=[Length(max=120)], filters=[strip_text])
    role = SelectField("Role", choices=choices((r.value, r.value.title()) for r in Role))
    password = PasswordField(
        "Initial password",
        validators=[DataRequired(), Length(
            min=MIN_PASSWORD_LENGTH, max=1024,
            message=f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")],
        description=f"At least {MIN_PASSWORD_LENGTH} characters; share it with the user "
                    "over a separate channel.",
    )
    valid_from = DateField("Access from", validators=[Optional()],
                           description="Auditors only. Defaults to today.")
    valid_until = DateField("Access until", validators=[Optional()],
                            description="Auditors only. Defaults to 30 days after the start.")
    scope = StringField("Scope", validators=[Length(max=2000)], filters=[strip_text],
                        description="Auditors only: 'all', or clauses, themes and controls "
                                    "such as A.9, A.12.4, A.18.1.3.")

    def validate_valid_until(self, field):
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError("The access window ends before it starts.")


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=40)], filters=[strip_text],
                       description="What the token is for, e.g. the pipeline that uses it.")
    scope = SelectField("Scope", choices=choices([
        ("read", "Read: look things up"),
        ("write", "Write: also upload evidence and record decisions")]))
    days = IntegerField("Expires after (days)", default=90,
                        validators=[InputRequired(), NumberRange(1, 365)],
                        description="From 1 to 365 days.")
