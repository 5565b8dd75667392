"""The benchmark's bare workbook writes what the SoA export holds, without the styling."""

import io

from openpyxl import load_workbook

from benchmarks.bare_app import write_bare_workbook
from isms.auth.models import Role
from tests.evidence_helpers import upload_form


def test_the_bare_workbook_has_the_sheets_and_values_of_the_soa_export(client, login_as):
    login_as(Role.LEAD)
    client.post("/evidence/new", data=upload_form(controls="A.9.1.1 A.12.4.1"),
                content_type="multipart/form-data")
    exported = load_workbook(io.BytesIO(client.get("/soa/export.xlsx").data))
    cells = {ws.title: [list(row) for row in ws.iter_rows(values_only=True)]
             for ws in exported.worksheets}
    out = io.BytesIO()
    write_bare_workbook(out, cells)
    bare = load_workbook(io.BytesIO(out.getvalue()))
    assert bare.sheetnames == exported.sheetnames == [
        "Cover", "SoA", "Evidence", "Summary", "Mapping"]
    for sheet in bare.worksheets:
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert values == cells[sheet.title], sheet.title
    assert len(cells["SoA"]) == 115 and len(cells["Evidence"]) == 2
