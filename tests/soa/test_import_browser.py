"""The import's mapping step in Chromium: a column and a word the importer does not know are
mapped by the lead, previewed and applied."""

import io
import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from tests.test_browser import AXE, AXE_RUN, LEAD, browser, demo, flash, sign_in, upload_import

__all__ = ["browser", "demo"]  # fixtures shared with the other journeys
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def spanish_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Aplicabilidad"
    sheet.append(["Declaración de aplicabilidad"])
    sheet.append(["Control", "Nombre", "¿Aplica?", "Justificación"])
    sheet.append(["A.5.1.2", "Review of the policies for information security", "No",
                  "Covered by the yearly policy review of A.5.1.1."])
    sheet.append(["A.8.1.1", "Inventory of assets", "Sí", "Risico R-7: assets unknown."])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_lead_maps_an_unknown_column_and_word_then_applies(browser, demo):
    page = sign_in(browser, demo, LEAD)
    page.goto("/soa/import")
    upload_import(page, "aplicabilidad.xlsx", spanish_workbook())
    expect(page.locator("tr.header-row")).to_contain_text("¿Aplica?")
    # Column C ("¿Aplica?") was not understood: the lead says it is the applicability.
    page.get_by_label("Field of column C").select_option("applicability")
    page.get_by_label("Field of column D").select_option("justification")
    page.get_by_role("button", name="Preview again").click()
    word = page.get_by_label("What 'Sí' means (Applicable)")
    expect(word).to_be_visible()
    expect(page.locator("main")).to_contain_text("'Sí' (1 row) is not a value we know")
    word.select_option("applicable")
    page.get_by_role("button", name="Preview again").click()
    expect(page.get_by_label("Field of column C")).to_have_value("applicability")
    expect(page.locator("main")).not_to_contain_text("'Sí' (1 row) is not a value we know")
    page.get_by_label("Save this mapping as (optional)").fill("Spanish workbooks")
    page.get_by_role("button", name=re.compile(r"Apply \d+ changes")).click()
    expect(flash(page)).to_contain_text("Imported the decisions on 2 controls.")
    assert demo.query("SELECT control_id, applicability FROM control_states WHERE edition = "
                      "'2013' AND control_id IN ('A.5.1.2', 'A.8.1.1') ORDER BY control_id") \
        == [("A.5.1.2", "excluded"), ("A.8.1.1", "applicable")]
    page.goto("/controls/A.5.1.2")
    expect(page.locator("main")).to_contain_text("Covered by the yearly policy review")
    assert demo.query("SELECT name FROM soa_import_mappings") == [("Spanish workbooks",)]
    assert demo.files_under("imports") == []
    page.context.close()


def test_the_mapping_step_works_without_javascript_and_passes_axe(browser, demo):
    page = sign_in(browser, demo, LEAD, java_script_enabled=False)
    page.goto("/soa/import")
    upload_import(page, "sin-js.xlsx", spanish_workbook())
    page.get_by_label("Field of column C").select_option("applicability")
    page.get_by_role("button", name="Preview again").click()
    page.get_by_label("What 'Sí' means (Applicable)").select_option("applicable")
    page.get_by_role("button", name="Preview again").click()
    expect(page.locator("main")).to_contain_text("2 controls recognised (1 applicable, 1 not "
                                                 "applicable)")
    page.get_by_role("button", name="Cancel").click()
    expect(flash(page)).to_contain_text("cancelled")
    page.context.close()

    checked = sign_in(browser, demo, LEAD, bypass_csp=True)
    checked.goto("/soa/import")
    upload_import(checked, "axe.xlsx", spanish_workbook())
    checked.add_script_tag(path=str(AXE))
    found = checked.evaluate(AXE_RUN)
    assert [v for v in found if v["impact"] in ("serious", "critical")] == []
    checked.get_by_role("button", name="Cancel").click()
    checked.context.close()
    assert demo.files_under("imports") == []
