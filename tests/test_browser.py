"""The product in a real browser: the lead's first run, an owner, an auditor and an import,
with screenshots and an accessibility check of the main pages.

Chromium (Debian's, driven by Playwright) talks to a real `isms run` on loopback with a fresh
database. Without Chromium these tests are skipped and the run says so (see conftest.py).
"""

import io
import json
import re
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page, expect, sync_playwright

from isms.catalog.loader import read_rows
from tests.conftest import CHROMIUM
from tests.live_server import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
# Demo logins (controls/demo.py; public and documented in the README).
LEAD = ("lead@cloudar.example", "isms-demo-lead")
OWNER = ("cloud@cloudar.example", "isms-demo-owner")  # owns A.9, A.10, A.12 to A.14, A.16, A.17
AUDITOR = ("auditor@certifier.example", "isms-demo-auditor")  # A.5 A.6 A.9 A.12 A.16-18
AUDIT_CLAUSES = ("A.5.", "A.6.", "A.9.", "A.12.", "A.16.", "A.17.", "A.18.")
# The first-run server: a lead and an admin made with `isms user create`.
FIRST_LEAD = ("first.lead@acme.example", "first lead password")
FIRST_ADMIN = ("ceo@acme.example", "first admin password")
ANNEX_A_2013 = [r["id"] for r in read_rows("annex-a-2013.csv")]
DECISION_COLUMNS = ["ID", "Applicable", "Inclusion reasons", "Justification",
                    "Implementation status", "Responsibility", "Company part", "AWS part",
                    "Risk refs"]



def open_menu_link(page, menu: str | None, label: str) -> None:
    """Follow a main-menu link, opening its <details> menu first when it sits in one."""
    main = page.get_by_role("navigation", name="Main")
    summary = main.locator("summary", has_text=menu) if menu else None
    if summary is not None and summary.count():
        summary.first.click()
    main.get_by_role("link", name=label, exact=True).click()

def today() -> date:
    return datetime.now(ZoneInfo("Europe/Brussels")).date()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A server with the Cloudar demo: every role, decisions, evidence and reviews."""
    with live_server(tmp_path_factory.mktemp("demo"),
                     setup=((["init"], None), (["demo"], None))) as server:
        yield server


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A server right after `isms init`, with a lead and an admin and nothing else."""
    lead, admin = FIRST_LEAD, FIRST_ADMIN
    with live_server(tmp_path_factory.mktemp("fresh"), setup=(
            (["init"], None),
            (["user", "create", lead[0], "--role", "lead", "--name", "Lena Lead",
              "--password-stdin"], lead[1]),
            (["user", "create", admin[0], "--role", "admin", "--name", "Chris CEO",
              "--password-stdin"], admin[1]))) as server:
        yield server


def sign_in(browser, server, login, viewport=DESKTOP, **options) -> Page:
    """Open a new browser context and sign in; return its page on the landing page."""
    context = browser.new_context(base_url=server.base, viewport=viewport, **options)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(login[0])
    page.get_by_label("Password").fill(login[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def flash(page: Page):
    return page.locator("p.flash")


def control_ids(page: Page) -> list[str]:
    return page.locator("table.controls tbody td:first-child a").all_inner_texts()


def soa_workbook(rows, columns=DECISION_COLUMNS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Statement of Applicability"
    sheet.append(["Acme ISMS", None, "SoA as kept in Excel"])
    sheet.append([])
    sheet.append(columns)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload_import(page: Page, name: str, content: bytes) -> None:
    """Upload a workbook on the import page and wait for its preview."""
    page.locator("#file").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": content}])
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", name=f"Preview: {name}")).to_be_visible()


def download(page: Page, locator) -> bytes:
    with page.expect_download() as info:
        locator.click()
    return Path(info.value.path()).read_bytes()


def raise_request(page: Page, control_id: str, text: str) -> None:
    page.goto(f"/controls/{control_id}")
    page.get_by_label("What do you need?").fill(text)
    page.get_by_label("Due on").fill((today() + timedelta(days=10)).isoformat())
    page.get_by_role("button", name="Send the request").click()
    expect(flash(page)).to_contain_text("request")


def test_lead_first_run_to_an_issued_soa(browser, fresh):
    page = sign_in(browser, fresh, FIRST_LEAD)
    # First run: the dashboard sends the lead through the setup checklist.
    panel = page.locator(".setup-panel")
    expect(panel).to_contain_text("Finish setting up: 1 of 5 done")
    panel.get_by_role("link", name="Continue the setup").click()
    expect(page).to_have_url(re.compile(r"/setup$"))
    expect(page.locator("#step-edition")).to_contain_text("ISO/IEC 27001:2013")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "setup-checklist-desktop.png"), full_page=True)
    page.get_by_role("link", name="Open the settings for the organisation").click()
    page.get_by_label("Organisation name").fill("Acme Cloud")
    page.get_by_label("Scope of the ISMS").fill("The Acme SaaS platform on AWS and its staff.")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/setup$"))
    for step in ("organisation", "scope", "edition"):
        expect(page.locator(f"#step-{step} .badge")).to_have_text("Done")
    page.get_by_role("link", name="Invite an owner").click()
    page.get_by_label("Email").fill("olga@acme.example")
    page.get_by_label("Name").fill("Olga Owner")
    page.get_by_label("Role").select_option("owner")
    page.get_by_label("Initial password").fill("an owner password")
    page.get_by_role("button", name="Create").click()
    expect(flash(page)).to_contain_text("olga@acme.example can now sign in as owner")
    page.goto("/setup")
    page.get_by_role("link", name="Import an SoA workbook").click()
    shared = "Acme configures IAM; AWS runs the identity service."
    upload_import(page, "acme-soa.xlsx", soa_workbook([
        ["A.9.1.1", "Yes", "Risk", None, "Planned", "Shared", shared, "AWS IAM", "R-001"],
        ["A.12.1.2", "Yes", "Risk", None, "Not started", "Shared", "Change tickets",
         "AWS change management", None],
        ["A.12.1.1", "Yes", "Risk", None, "Implemented", "Shared", "Runbooks", "AWS", None],
        ["A.9.1.2", "Yes", "Legal", None, "Partial", "Company", "VPN rules", None, None],
        ["A.11.1.6", "No", None, "No deliveries: no office, servers at AWS.", None, "AWS",
         None, None, None],
    ]))
    page.get_by_role("button", name=re.compile(r"Apply \d+ changes")).click()
    expect(flash(page)).to_contain_text("Imported the decisions on 5 controls")
    page.goto("/setup")
    expect(page.get_by_role("heading", name="Everything is in place")).to_be_visible()
    page.get_by_role("link", name="go to the dashboard").click()
    expect(page.get_by_role("heading", name="Acme Cloud", level=1)).to_be_visible()
    expect(page.locator(".setup-panel")).to_have_count(0)

    # Controls that are shared and not implemented; the filter stays in the address.
    open_menu_link(page, "Controls", "Controls")
    page.get_by_label("Status").select_option("not_implemented")
    page.get_by_label("Responsibility").select_option("shared")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=not_implemented.*responsibility=shared"))
    expect(page.get_by_label("Status")).to_have_value("not_implemented")
    expect(page.get_by_label("Responsibility")).to_have_value("shared")
    assert control_ids(page) == ["A.9.1.1", "A.12.1.2"]
    page.reload()
    assert control_ids(page) == ["A.9.1.1", "A.12.1.2"]

    # Edit the decision: applicability, status and the two responsibility texts.
    page.get_by_role("link", name="A.9.1.1").click()
    page.get_by_role("link", name="Edit decision").click()
    page.locator("input[name=applicability][value=applicable]").check()
    page.locator("input[name=reasons][value=contractual]").check()
    page.get_by_label("Implementation status").select_option("partial")
    company = "Acme defines the access control policy and reviews IAM roles quarterly."
    aws = "AWS operates IAM and attests it in its SOC 2 report."
    page.locator("textarea[name=company_part]").fill(company)
    page.locator("textarea[name=aws_part]").fill(aws)
    page.get_by_role("button", name="Save decision").click()
    expect(flash(page).first).to_contain_text("A.9.1.1 saved.")
    expect(page.get_by_text(company, exact=True)).to_be_visible()
    expect(page.locator(".badge.status-partial")).to_have_text("Partial")

    # Evidence with a valid-until date.
    valid_until = today() + timedelta(days=180)
    page.get_by_role("link", name="Add evidence").click()
    page.locator("input[name=kind][value=file]").check()
    page.get_by_label("Title").fill("Access control policy v2")
    expect(page.locator("input[name=controls]")).to_have_value("A.9.1.1")
    page.locator("input[name=file]").set_input_files(files=[{
        "name": "access-control-policy.txt", "mimeType": "text/plain",
        "buffer": b"Access is granted on need to know.\n"}])
    page.get_by_label("Collected on").fill(today().isoformat())
    page.get_by_label("Valid until").fill(valid_until.isoformat())
    page.get_by_role("button", name="Save evidence").click()
    expect(page.get_by_role("heading", name=re.compile("Access control policy v2"))).to_be_visible()
    expect(page.locator("main")).to_contain_text(valid_until.isoformat())

    # A review that looked at that evidence.
    page.goto("/controls/A.9.1.1")
    page.get_by_role("link", name="Record a review").click()
    page.get_by_label("Reviewed on").fill(today().isoformat())
    page.locator("input[name=outcome][value=effective]").check()
    page.get_by_label("What was checked").fill("Walked through the policy with the CTO.")
    page.locator("input[name=evidence_versions]").first.check()
    page.get_by_role("button", name="Record review").click()
    expect(page.get_by_text("Walked through the policy with the CTO.")).to_be_visible()

    # The SoA cannot be issued while controls are undecided or unjustified: the page says so.
    open_menu_link(page, "Controls", "Statement of Applicability")
    expect(page.get_by_role("heading", name="Not ready to issue")).to_be_visible()
    expect(page.locator("#readiness a[href='/controls/A.5.1.1/edit']")).to_be_visible()
    # The rest of the decisions, and the justifications the first import lacked.
    imported = {"A.9.1.1", "A.12.1.2", "A.12.1.1", "A.9.1.2", "A.11.1.6"}
    rest = [[cid, None, None, f"Why {cid} applies to Acme.", None] if cid in imported else
            [cid, "Yes", "Risk", f"Treats the risks of {cid}.", "Implemented"]
            for cid in ANNEX_A_2013]
    page.get_by_role("link", name="Import a workbook").click()
    upload_import(page, "acme-rest.xlsx", soa_workbook(rest, columns=[
        "ID", "Applicable", "Inclusion reasons", "Justification", "Implementation status"]))
    page.get_by_role("button", name=re.compile(r"Apply \d+ changes")).click()
    expect(flash(page)).to_contain_text("Imported the decisions on 114 controls")

    # Submit the SoA; a second person (the admin) approves; download the issued workbook.
    open_menu_link(page, "Controls", "Statement of Applicability")
    expect(page.get_by_role("heading", name="Not ready to issue")).to_have_count(0)
    page.get_by_label("Change summary").fill("First issue after the import.")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_role("heading", name="Version 1 is waiting for approval")).to_be_visible()
    expect(page.get_by_role("button", name="Approve and issue")).to_have_count(0)
    approver = sign_in(browser, fresh, FIRST_ADMIN)
    approver.goto("/soa")
    approver.get_by_label("Approving as").fill("CEO")
    approver.get_by_role("button", name="Approve and issue").click()
    expect(flash(approver)).to_contain_text("Version 1 issued.")
    approver.context.close()
    page.reload()
    issued = download(page, page.get_by_role("link", name="Download", exact=True))
    book = load_workbook(io.BytesIO(issued))
    cover = dict(book["Cover"].iter_rows(min_row=2, values_only=True))
    assert (cover["Organisation"], cover["Status"], cover["Version"]) == (
        "Acme Cloud", "Issued", 1)
    assert cover["Approved by"] == "Chris CEO (CEO)"
    sheet = book["SoA"]
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r, strict=True))
            for r in sheet.iter_rows(min_row=2, values_only=True)}
    row = rows["A.9.1.1"]
    assert (row["Applicable"], row["Implementation status"], row["Responsibility"]) == (
        "Yes", "Partial", "Shared")
    assert (row["Company part"], row["AWS part"]) == (company, aws)
    assert row["Inclusion reasons"] == "Contractual, Risk"
    assert row["Evidence"].startswith("Access control policy v2 (v1, ")
    assert row["Evidence status"] == "Current"
    assert row["Justification"] == "Why A.9.1.1 applies to Acme."
    assert str(row["Last review"])[:10] == today().isoformat()
    assert rows["A.11.1.6"]["Applicable"] == "No"
    page.context.close()


def test_owner_sees_their_work_answers_a_request_and_cannot_edit_others(browser, demo):
    auditor = sign_in(browser, demo, AUDITOR)
    raise_request(auditor, "A.12.4.1", "The CloudTrail configuration of the production account.")
    auditor.context.close()

    page = sign_in(browser, demo, OWNER)
    open_menu_link(page, None, "My work")
    mine = page.locator("main a[href^='/controls/']").all_inner_texts()
    owned = ("A.9.", "A.10.", "A.12.", "A.13.", "A.14.", "A.16.", "A.17.")
    assert mine and all(text.startswith(owned) for text in mine), mine
    requests = page.locator("section", has=page.get_by_role("heading",
                                                            name="Evidence requests to answer"))
    expect(requests).to_contain_text("A.12.4.1: The CloudTrail configuration")
    requests.get_by_role("link", name=re.compile("A.12.4.1")).click()
    card = page.locator("section.card", has_text="The CloudTrail configuration")
    card.get_by_label("Comment").fill("The trail and its bucket policy are in the wiki.")
    card.locator("input[name=evidence]").first.check()  # picked by title, never by number
    card.get_by_role("button", name="Send the answer").click()
    card = page.locator("section.card", has_text="The CloudTrail configuration")
    expect(card.locator(".badge").last).to_have_text("answered")

    # A control the lead owns: no edit button, and the edit page is refused.
    page.goto("/controls/A.5.1.1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("A.5.1.1")
    expect(page.get_by_role("link", name="Edit decision")).to_have_count(0)
    assert page.goto("/controls/A.5.1.1/edit").status == 403
    page.goto("/controls/A.9.1.1")
    expect(page.get_by_role("link", name="Edit decision")).to_be_visible()
    page.context.close()


FORBIDDEN_FOR_AUDITORS = re.compile(
    r"^(Edit|Edit decision|Add evidence|Add a version|Record a review|Import a workbook|"
    r"Move to 2022|Delete evidence|Link|Unlink.*|Request purge|Submit for approval|"
    r"Approve and issue|Withdraw|Invite.*|Send the answer)$")


def assert_read_only(page: Page) -> None:
    names = [*page.get_by_role("link").all_inner_texts(),
             *page.get_by_role("button").all_inner_texts()]
    assert not [n for n in names if FORBIDDEN_FOR_AUDITORS.match(n.strip())], names


def test_auditor_reads_in_scope_asks_downloads_and_is_cut_off(browser, demo):
    page = sign_in(browser, demo, AUDITOR)
    assert_read_only(page)
    open_menu_link(page, "Controls", "Controls")
    ids = control_ids(page)
    assert len(ids) > 20 and all(cid.startswith(AUDIT_CLAUSES) for cid in ids), ids
    assert_read_only(page)
    assert page.goto("/controls/A.7.1.1").status == 404
    page.goto("/controls/A.9.2.5")
    assert_read_only(page)
    evidence = page.locator("section.card", has=page.get_by_role("heading", name=re.compile(
        "^Evidence")))
    evidence.get_by_role("link", name="Access review ticket SEC-142").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Access review ticket SEC-142")
    assert_read_only(page)
    raise_request(page, "A.9.2.5", "The last two quarterly access reviews, signed off.")
    open_menu_link(page, "Audit", "Evidence requests")
    expect(page.locator("main")).to_contain_text("The last two quarterly access reviews")
    assert_read_only(page)

    open_menu_link(page, "Evidence", "Evidence")
    package = download(page, page.get_by_role("link", name="Download the evidence package"))
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        names = archive.namelist()
    assert {"manifest.csv", "SHA256SUMS", "index.html"} <= {n.split("/")[-1] for n in names}
    assert_read_only(page)
    open_menu_link(page, "Controls", "Statement of Applicability")
    assert_read_only(page)

    lead = sign_in(browser, demo, LEAD)
    lead.goto("/users")
    try:
        lead.get_by_role("button", name=f"Disable {AUDITOR[0]}").click()
        expect(flash(lead)).to_contain_text(f"{AUDITOR[0]} is now disabled")
        open_menu_link(page, "Controls", "Controls")
        expect(page).to_have_url(re.compile(r"/login"))
        expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    finally:
        lead.goto("/users")
        lead.get_by_role("button", name=f"Enable {AUDITOR[0]}").click()
        lead.context.close()
        page.context.close()


def test_import_previews_then_the_control_list_reflects_it(browser, demo):
    page = sign_in(browser, demo, LEAD)
    page.goto("/soa")
    page.get_by_role("link", name="Import a workbook").click()
    workbook = soa_workbook([
        ["A.5.1.2", "No", None, "Reviewed with the policy set under A.5.1.1.", None,
         "Company", None, None, None],
        ["A.8.1.1", "Yes", "Risk", None, "Implemented", "Company", "CMDB", None, None],
    ])
    # Progress feedback: the form is held back (default prevented after the page's own
    # handler ran) so the busy state can be read; then the page is loaded again.
    page.locator("#file").set_input_files(files=[{
        "name": "board-soa.xlsx", "mimeType": "application/octet-stream", "buffer": workbook}])
    page.evaluate("window.addEventListener('submit', e => e.preventDefault())")
    page.get_by_role("button", name="Preview the import").click()
    button = page.locator("form[data-busy] button[type=submit]")
    expect(button).to_be_disabled()
    expect(button).to_have_text("Reading the workbook…")
    expect(page.locator("#busy-status")).to_have_text("Reading the workbook…")
    page.reload()
    expect(page.get_by_role("button", name="Preview the import")).to_be_enabled()
    upload_import(page, "board-soa.xlsx", workbook)
    expect(page.get_by_role("heading", name="Preview: board-soa.xlsx")).to_be_visible()
    expect(page.locator("main")).to_contain_text("A.5.1.2")
    page.get_by_role("button", name=re.compile(r"Apply \d+ changes")).click()
    expect(flash(page)).to_contain_text("Imported the decisions on")
    page.get_by_label("Status").select_option("excluded")
    page.get_by_role("button", name="Filter").click()
    assert "A.5.1.2" in control_ids(page)
    page.goto("/controls/A.5.1.2")
    expect(page.locator("main")).to_contain_text("Reviewed with the policy set under A.5.1.1.")
    page.context.close()


# The six pages of the issue, then the management system's, each with the rows that must be
# on screen before it is photographed.
PAGES = (
    ("dashboard", LEAD, "/", "section.tiles a.tile", 8),
    ("control-list", LEAD, "/controls", "table.controls tbody tr", 25),
    ("control-detail", LEAD, "/controls/A.9.2.5", "section.card table.data tbody tr", 2),
    ("evidence", LEAD, "/evidence", "table.data tbody tr", 10),
    ("soa", LEAD, "/soa", "table.data tbody tr", 20),
    ("clauses", LEAD, "/isms", "table.data tbody tr", 35),
    ("risks", LEAD, "/risks", "table.data tbody tr", 15),
    ("finding", LEAD, "/findings/F-001", "table.data tbody tr", 2),
    ("management-review", LEAD, "/management-reviews", "table.data tbody tr", 1),
    ("auditor-view", AUDITOR, "/controls", "table.controls tbody tr", 25),
)


def visit(page: Page, path: str, rows: str, at_least: int) -> None:
    page.goto(path)
    expect(page.locator(rows).first).to_be_visible()
    count = page.locator(rows).count()
    assert count >= at_least, f"{path}: {count} rows of {rows}"


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_screenshots_of_the_main_pages_filled_with_demo_data(browser, demo, width):
    ARTIFACTS.mkdir(exist_ok=True)
    viewport = DESKTOP if width == "desktop" else PHONE
    pages = {}
    for name, login, path, rows, at_least in PAGES:
        if login not in pages:
            pages[login] = sign_in(browser, demo, login, viewport=viewport)
        page = pages[login]
        visit(page, path, rows, at_least)
        target = ARTIFACTS / f"{name}-{width}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000
    for page in pages.values():
        page.context.close()


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_axe_finds_no_serious_or_critical_violations(browser, demo, width):
    """axe-core runs in a context of its own that bypasses the CSP; the app's stays strict."""
    report, pages = {}, {}
    for name, login, path, rows, at_least in PAGES:
        if login not in pages:
            pages[login] = sign_in(browser, demo, login, bypass_csp=True,
                                   viewport=DESKTOP if width == "desktop" else PHONE)
        page = pages[login]
        visit(page, path, rows, at_least)
        page.add_script_tag(path=str(AXE))
        report[name] = page.evaluate(AXE_RUN)
    # The check itself works: a field without a label on the last page is caught.
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', "
                  "'<input id=planted>')")
    planted = {v["id"]: v["impact"] for v in page.evaluate(AXE_RUN)}
    assert planted.get("label") == "critical", planted
    for page in pages.values():
        page.context.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-report-{width}.json").write_text(json.dumps(report, indent=2))
    serious = {name: [v for v in found if v["impact"] in ("serious", "critical")]
               for name, found in report.items()}
    assert {name: found for name, found in serious.items() if found} == {}


def test_keyboard_focus_is_visible_and_pages_read_without_javascript(browser, demo):
    page = sign_in(browser, demo, LEAD)
    page.goto("/controls")
    page.keyboard.press("Tab")
    focused = page.evaluate("""() => { const e = document.activeElement;
        const s = getComputedStyle(e);
        return {text: e.textContent.trim(), style: s.outlineStyle, width: s.outlineWidth}; }""")
    assert focused["text"] == "Skip to content"
    assert focused["style"] != "none" and focused["width"] != "0px", focused
    # Every form field on the main forms has a label.
    for path in ("/controls", "/controls/A.9.1.1/edit", "/evidence/new", "/soa", "/settings"):
        page.goto(path)
        unlabelled = page.evaluate("""() => [...document.querySelectorAll(
            'input:not([type=hidden]), select, textarea')].filter(e => !e.labels.length
            && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
            .map(e => e.name)""")
        assert unlabelled == [], (path, unlabelled)
    page.context.close()

    # Reading needs no JavaScript: sign in and read the lead's pages with it switched off.
    page = sign_in(browser, demo, LEAD, java_script_enabled=False)
    for _name, login, path, rows, at_least in PAGES:
        if login == LEAD:
            visit(page, path, rows, at_least)
    page.context.close()
