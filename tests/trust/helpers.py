"""Small helpers shared by the trust tests."""

from sqlalchemy import select

from controls.models import ControlState
from isms.db import db

DEMO_LEAD = ("lead@cloudar.example", "isms-demo-lead")
DEMO_OWNER = ("cloud@cloudar.example", "isms-demo-owner")
DEMO_AUDITOR = ("auditor@certifier.example", "isms-demo-auditor")


def sign_in(client, email: str, password: str) -> None:
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


def edit_form(app, control_id: str, edition: str = "2013", **changes) -> dict:
    """The control's edit form as stored now, with some fields changed."""
    with app.app_context():
        state = db.session.scalars(select(ControlState).filter_by(
            edition=edition, control_id=control_id)).one()
        data = {
            "applicability": state.applicability.value if state.applicability else "",
            "reasons": [r.value for r in state.reasons],
            "justification": state.justification,
            "implementation_status": (state.implementation_status.value
                                      if state.implementation_status else ""),
            "responsibility": state.responsibility.value,
            "company_part": state.company_part, "aws_part": state.aws_part,
            "owner_id": str(state.owner_id or ""),
            "review_cadence": state.review_cadence.value,
            "first_review_on": state.first_review_on.isoformat() if state.first_review_on else "",
            "notes": state.notes, "risk_refs": state.risk_refs,
        }
    data.update(changes)
    return data


def control_state(app, control_id: str, edition: str = "2013") -> ControlState:
    with app.app_context():
        state = db.session.scalars(select(ControlState).filter_by(
            edition=edition, control_id=control_id)).one()
        db.session.expunge(state)
        return state
