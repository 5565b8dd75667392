import re

import pytest

from isms.auth.models import Role
from tests.trust.helpers import DEMO_OWNER, sign_in


def _top_level(html: str) -> list[str]:
    nav = html.split('<nav aria-label="Main">')[1].split("</nav>")[0]
    # direct children only: links outside menus and the menus' summaries
    outside = re.sub(r"<details.*?</details>", "<MENU>", nav, flags=re.S)
    return re.findall(r"<a [^>]*>", outside) + re.findall(r"<MENU>", outside)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_at_most_eight_top_level_entries(client, login_as, role):
    login_as(role)
    page = client.get("/account").get_data(as_text=True)
    entries = _top_level(page)
    assert 1 <= len(entries) <= 8, entries
    assert "<script" not in page.split('<nav aria-label="Main">')[1].split("</nav>")[0]


def test_menus_are_details_elements_that_work_without_javascript(client, login_as):
    login_as(Role.LEAD)
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<details class="menu">\s*<summary[^>]*>Audit</summary>', page)
    assert 'href="/audit"' in page and 'href="/checks"' in page


def test_each_role_lands_where_its_work_is(client, make_user, login):
    owner = make_user(Role.OWNER)
    assert client.post("/login", data={"email": owner.email, "password": owner.password}
                       ).headers["Location"] == "/my"
    client.post("/logout")
    auditor = make_user(Role.AUDITOR, scope="A.5")
    assert client.post("/login", data={"email": auditor.email, "password": auditor.password}
                       ).headers["Location"] == "/requests"
    page = client.get("/requests").get_data(as_text=True)
    assert "Your scope:" in page
    client.post("/logout")
    lead = make_user(Role.LEAD)
    assert client.post("/login", data={"email": lead.email, "password": lead.password}
                       ).headers["Location"] == "/"


def test_a_403_says_who_owns_the_control(app, client, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    sign_in(client, *DEMO_OWNER)  # Jonas Maes owns A.9; Elise Janssens owns A.7
    response = client.get("/controls/A.7.1.1/edit")
    assert response.status_code == 403
    text = response.get_data(as_text=True)
    assert "A.7.1.1 is owned by Elise Janssens" in text
    assert "your role does not allow" not in text.lower()


def test_a_403_by_role_names_the_roles_allowed(client, login_as):
    login_as(Role.OWNER)
    response = client.get("/audit")
    assert response.status_code == 403
    assert "for the admin or the lead; you are signed in as owner" in response.get_data(
        as_text=True)
