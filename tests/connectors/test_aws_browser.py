"""Run now in a real browser: a lead tests a connection, starts a run against moto, and the
page (refreshing itself, no JavaScript needed) shows it complete."""

import pytest
from playwright.sync_api import expect

from tests.aws_helpers import REGION, Account, new_account_id
from tests.aws_setups import SETUPS
from tests.live_server import LEAD_EMAIL, LEAD_PASSWORD, WITH_LEAD, live_server
from tests.test_browser import browser, sign_in  # noqa: F401 (the module's browser fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_run_now_starts_a_run_and_the_page_shows_it_complete(browser, aws_endpoint,  # noqa: F811
                                                             tmp_path):
    account = Account(aws_endpoint, new_account_id())
    SETUPS["s3-versioning"](account, False)
    setup = (*WITH_LEAD, (["aws", "add-connection", "prod", "--account", account.id,
                           "--regions", REGION, "--owner", LEAD_EMAIL,
                           "--role-arn", f"arn:aws:iam::{account.id}:role/isms-read"], None))
    with live_server(tmp_path, setup=setup, ISMS_AWS_ENDPOINT_URL=aws_endpoint,
                     AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                     AWS_DEFAULT_REGION=REGION) as server:
        page = sign_in(browser, server, (LEAD_EMAIL, LEAD_PASSWORD))
        page.goto("/aws")
        expect(page.get_by_text("Last run: never")).to_be_visible()

        # Each answer is a real call to moto: on a busy machine the page takes a while.
        page.get_by_role("button", name="Test connection").click(timeout=180_000)
        expect(page.get_by_role("heading", name="Test of prod")).to_be_visible()
        identity = page.get_by_role("row").filter(has_text="STS identity")
        expect(identity).to_contain_text("reachable")
        expect(identity).to_contain_text(account.id)
        expect(page.get_by_role("row").filter(has_text="S3")).to_contain_text("reachable")

        page.goto("/aws")
        page.get_by_role("button", name="Run now").click(timeout=180_000)
        expect(page.get_by_role("heading", name="Collection of prod")).to_be_visible()
        expect(page.get_by_text("Finished")).to_be_visible(timeout=180_000)
        expect(page.locator("main")).to_contain_text("Accounts: 1 of 1")
        expect(page.get_by_role("row").filter(has_text=account.id)).to_contain_text("ok")

        page.get_by_role("link", name="Back to AWS").click()
        expect(page.get_by_role("row").filter(
            has_text="S3 buckets keep object versions")).to_contain_text("Fail")
