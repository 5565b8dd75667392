"""Form fields carry ARIA attributes only when they have something to say."""

import re

import pytest

from isms.auth.models import Role

FORMS = ("/controls/A.9.1.1/edit", "/evidence/new", "/risks/new", "/findings/new",
         "/internal-audits/new", "/management-reviews/new", "/isms/4.1/edit", "/users/new",
         "/settings")


@pytest.mark.parametrize("path", FORMS)
def test_no_field_says_none(client, login_as, path):
    login_as(Role.LEAD)
    html = client.get(path).get_data(as_text=True)
    assert re.search(r"<(input|select|textarea)", html), path
    assert '="None"' not in html


def test_a_field_in_error_points_at_its_message(client, login_as):
    login_as(Role.LEAD)
    html = client.post("/risks/new", data={"ref": "R-001"}).get_data(as_text=True)
    field = re.search(r'<input[^>]*id="title"[^>]*>', html).group(0)
    assert 'aria-describedby="title-errors"' in field and 'aria-invalid="true"' in field
    assert 'id="title-errors"' in html
