"""Any SoA this tool exports, restyled the way people restyle spreadsheets, imports to the
same decisions: header moved down, columns reordered, headers in another language, ids
without "A."."""

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from controls.api import (
    Applicability,
    ImplementationStatus,
    Responsibility,
    apply_decision,
    list_decisions,
)
from isms.auth.models import Role
from isms.catalog import get_edition
from isms.db import db
from soa.grid import Options
from soa.importer import plan_import
from soa.versions import cover_rows
from soa.workbook import write_workbook
from tests.conftest import is_postgres
from tests.soa.corpus import decide

pytestmark = pytest.mark.skipif(is_postgres(), reason="the reader, not the database")

# Our export's headers in the other languages people write them in (unknown ones are kept).
RENAMES = {
    "ID": ("Nr.", "Réf.", "Nr.", "Control ref"),
    "Control": ("Maatregel", "Mesure de sécurité", "Maßnahme", "Control title"),
    "Applicable": ("Van toepassing", "Applicable", "Anwendbar", "In scope?"),
    "Inclusion reasons": ("Redenen", "Raisons", "Gründe", "Reasons for inclusion"),
    "Justification": ("Rechtvaardiging", "Justification", "Begründung", "Rationale"),
    "Implementation status": ("Status implementatie", "Statut de mise en œuvre",
                              "Umsetzungsstatus", "Current status"),
    "Responsibility": ("Verantwoordelijkheid", "Responsabilité", "Verantwortlichkeit",
                       "Responsible party"),
    "Company part": ("Deel bedrijf", "Part de l'entreprise", "Anteil Unternehmen",
                     "Customer responsibility"),
    "AWS part": ("Deel AWS", "Part AWS", "Anteil AWS", "Provider responsibility"),
    "Risk refs": ("Risico's", "Risques", "Risiken", "Linked risks"),
    "Owner": ("Eigenaar", "Propriétaire", "Verantwortlicher", "Control owner"),
}
LANGUAGES = ("nl", "fr", "de", "en")


def _decide_everything(owner_id: int) -> dict[str, dict]:
    """Give every control a varied decision; return them as the importer would write them."""
    wanted = {}
    for n, d in enumerate(decide(get_edition("2013").items)):
        values = {"applicability": Applicability.APPLICABLE if d.applicable
                  else Applicability.EXCLUDED, "justification": d.justification,
                  "responsibility": list(Responsibility)[n % 3],
                  "company_part": f"We do part {n}." if n % 3 else "",
                  "aws_part": f"AWS does part {n}." if n % 3 == 2 else "",
                  "risk_refs": f"R-{n:03d}" if n % 4 == 0 else ""}
        if d.applicable:
            values["reasons"] = list(d.reasons)
            values["implementation_status"] = ImplementationStatus(d.status)
        if n % 2:
            values["owner_id"] = owner_id
        apply_decision("2013", d.control_id, values, None, audit_actor="system:test")
        wanted[d.control_id] = values
    db.session.commit()
    return wanted


def _restyle(data: bytes, title_rows: int, order: list[int], language: int,
             strip: bool) -> bytes:
    """The SoA sheet as someone else keeps it: only that sheet, restyled."""
    sheet = load_workbook(io.BytesIO(data))["SoA"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header, body = rows[0], rows[1:]
    header = [RENAMES.get(h, (h,) * 4)[language] for h in header]
    if strip:
        body = [[str(r[0]).removeprefix("A."), *r[1:]] for r in body]
    book = Workbook()
    out = book.active
    out.title = "Our SoA"
    for n in range(title_rows):
        out.append(["Statement of Applicability, as kept by the security team"] if n == 0
                   else [])
    for row in [header, *body]:
        out.append([row[i] if i < len(row) else None for i in order])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _as_stored(values: dict) -> dict:
    """Comparable form of a decision's values."""
    return {k: (sorted(str(r) for r in v) if k == "reasons" else str(getattr(v, "value", v)))
            for k, v in values.items() if v not in ("", None, [])}


def test_a_restyled_export_imports_to_the_same_decisions(app, make_user, tmp_path):
    owner = make_user(Role.OWNER, email="olga@acme.example", name="Olga Owner")
    with app.app_context():
        wanted = _decide_everything(owner.id)
        exported = io.BytesIO()
        write_workbook(exported, "2013", cover_rows(None))
        width = len(next(load_workbook(io.BytesIO(exported.getvalue()))["SoA"].iter_rows(
            max_row=1, values_only=True)))
        before = {d.control_id: d for d in list_decisions("2013")}

    @settings(max_examples=25, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(title_rows=st.integers(0, 4), order=st.permutations(range(width)),
           language=st.integers(0, len(LANGUAGES) - 1), strip=st.booleans())
    def imports_the_same(title_rows, order, language, strip):
        path = tmp_path / "restyled.xlsx"
        path.write_bytes(_restyle(exported.getvalue(), title_rows, list(order), language,
                                  strip))
        with app.app_context():
            plan = plan_import(str(path), Options())
            assert plan.summary()["matched"] == len(wanted)
            assert plan.grid.unmatched == [] and plan.grid.unknown_values == {}
            assert plan.changes == [], plan.changes[:5]  # the same decisions as stored
            for control_id, values in plan.updates:
                read = _as_stored(values)
                expected = _as_stored(wanted[control_id])
                if wanted[control_id]["applicability"] is Applicability.EXCLUDED:
                    expected.pop("reasons", None)
                assert read == expected, (control_id, read, expected)
            assert plan.summary()["header_row"] == title_rows + 1
        assert before  # the stored decisions were not touched by planning

    imports_the_same()
