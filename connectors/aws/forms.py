"""The AWS connection form: names how to authenticate, never takes a key."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from isms.api import choice_values, choices, strip_text


class ConnectionForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=64)], filters=[strip_text])
    account_id = StringField("Account id", validators=[DataRequired(), Length(max=12)],
                             filters=[strip_text], description="12 digits.")
    regions = StringField("Regions", validators=[DataRequired(), Length(max=500)],
                          filters=[strip_text], description="e.g. eu-west-1, us-east-1")
    profile = StringField("Named profile", validators=[Length(max=128)], filters=[strip_text],
                          description="Leave empty for the default credential chain "
                                      "(instance role, environment).")
    role_arn = StringField("Role to assume", validators=[Length(max=2048)],
                           filters=[strip_text],
                           description="arn:aws:iam::ACCOUNT:role/NAME, for another account.")
    external_id = StringField("External id", validators=[Length(max=1224)],
                              filters=[strip_text])
    owner_id = SelectField("Evidence owner", choices=[], validate_choice=False,
                           validators=[DataRequired("Choose who owns the collected evidence.")])
    is_enabled = BooleanField("Collect on schedule", default=True)
    is_organization = BooleanField(
        "Whole AWS Organization", description="The account above is the management (or "
        "delegated administrator) account; every active member account is collected.")
    role_name = StringField("Role in each member account", validators=[Length(max=64)],
                            filters=[strip_text],
                            description="Default: OrganizationAccountAccessRole.")
    include_ids = StringField("Only these accounts or OUs", validators=[Length(max=4000)],
                              filters=[strip_text],
                              description="Account ids or ou-... ids, separated by commas; "
                                          "empty for all.")
    exclude_ids = StringField("Leave out these accounts or OUs",
                              validators=[Length(max=4000)], filters=[strip_text])

    def validate_owner_id(self, field):
        if field.data not in choice_values(field):
            raise ValidationError("Choose the evidence owner from the list.")


class FindingsForm(FlaskForm):
    file = FileField("Findings file", validators=[FileRequired("Choose a file to import.")],
                     description="Prowler JSON-OCSF output, or AWS Security Hub findings "
                                 "(ASFF) as JSON.")
    format = SelectField("Format", choices=choices([("prowler-ocsf", "Prowler JSON-OCSF"),
                                                    ("asff", "Security Hub (ASFF)")]))
