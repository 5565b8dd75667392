"""Make an SoA ready to issue in tests: every control decided, justified and with a status."""

from sqlalchemy import select

from controls.models import Applicability, ControlState, ImplementationStatus
from isms.db import db


def decide_every_control(app, edition: str = "2013") -> None:
    """Fill what the gate asks for on every control that lacks it; keep what is decided."""
    with app.app_context():
        for state in db.session.scalars(select(ControlState).filter_by(edition=edition)):
            if state.applicability is None:
                state.applicability = Applicability.APPLICABLE
            if not state.justification:
                state.justification = f"Needed for {state.control_id}: treats R-001."
            if state.applicability is Applicability.APPLICABLE:
                if not state.inclusion_reasons:
                    state.inclusion_reasons = "risk"
                if state.implementation_status is None:
                    state.implementation_status = ImplementationStatus.PLANNED
        db.session.commit()


def write_ready_workbook(path, edition: str = "2013"):
    """An SoA workbook deciding and justifying every control, for `isms soa import`."""
    from openpyxl import Workbook

    from isms.catalog.loader import read_rows

    book = Workbook()
    sheet = book.active
    sheet.append(["ID", "Applicable", "Inclusion reasons", "Justification",
                  "Implementation status"])
    for row in read_rows(f"annex-a-{edition}.csv"):
        sheet.append([row["id"], "Yes", "Risk", f"Treats the risks of {row['id']}.",
                      "Implemented"])
    book.save(path)
    return path
