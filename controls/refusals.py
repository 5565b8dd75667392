"""Why someone may not change a control: said in words, for the 403 page."""

from controls.models import ControlState
from isms.api import Role, User


def edit_refusal(user: User, state: ControlState) -> str:
    """The real reason an edit is refused (the caller has already decided to refuse)."""
    if user.role is Role.AUDITOR:
        return "Auditors read the tracker; only the lead and the control's owner change it."
    if user.role is Role.ADMIN:
        return "Administrators manage users and settings; the lead decides on controls."
    if state.owner_id is None:
        return f"{state.control_id} has no owner yet; only the lead can change it."
    return (f"{state.control_id} is owned by {state.owner.display_name}; only they or the "
            "lead can change it.")
