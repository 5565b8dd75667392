"""The connection form: every error at once, organizations with their role and filters."""

from sqlalchemy import func, select

from connectors.aws.models import AwsConnection
from isms.auth.models import Role
from isms.db import db


def _form(owner_id, **changes):
    return {"name": "org", "account_id": "123456789012", "regions": "eu-west-1",
            "owner_id": str(owner_id), "role_arn": "", "external_id": "", "profile": "",
            "is_enabled": "y", "role_name": "", "include_ids": "", "exclude_ids": "",
            **changes}


def test_every_field_error_is_shown_at_once_and_nothing_is_saved(app, client, login_as):
    lead = login_as(Role.LEAD)
    response = client.post("/aws/connections/new", data=_form(
        lead.id, account_id="12345", regions="mars-1", role_arn="arn:aws:s3:::bucket",
        include_ids="123456789012"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("12 digits", "region names", "valid IAM role ARN",
                    "Only an organization includes"):
        assert message in html
    assert "Please correct 4 fields" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(AwsConnection.id))) == 0


def test_an_organization_keeps_its_role_name_and_account_filters(app, client, login_as):
    lead = login_as(Role.LEAD)
    response = client.post("/aws/connections/new", data=_form(
        lead.id, is_organization="y", include_ids="ou-ab12-cdef3456, 111122223333",
        exclude_ids="222233334444"))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        org = db.session.scalars(select(AwsConnection)).one()
        assert (org.kind, org.role_name) == ("organization", "OrganizationAccountAccessRole")
        assert org.include_ids == "ou-ab12-cdef3456,111122223333"
        assert org.exclude_ids == "222233334444"
    bad = client.post("/aws/connections/new", data=_form(
        lead.id, name="other", is_organization="y", include_ids="ou-x, nope"))
    assert bad.status_code == 422 and "OU ids" in bad.get_data(as_text=True)
    page = client.get("/aws").get_data(as_text=True)
    assert "organization, management account 123456789012" in page
    assert "Run now" in page and "Test connection" in page and "AWS guide" in page
    assert "Automated AWS evidence" in client.get("/aws/guide").get_data(as_text=True)
