"""Who may put evidence on which control: the lead anywhere, an owner on what they own."""

from sqlalchemy import select, tuple_
from sqlalchemy.orm import joinedload

from controls.models import ControlState
from isms.api import Role, User, db


def refused_links(user: User, refs) -> list[str]:
    """Messages for the controls among `refs` ((edition, id) pairs) the user may not link to."""
    if user.role is Role.LEAD:
        return []
    pairs = list(dict.fromkeys(refs))
    states = db.session.scalars(
        select(ControlState).where(tuple_(ControlState.edition, ControlState.control_id)
                                   .in_(pairs)).options(joinedload(ControlState.owner)))
    refused = [s for s in states if s.owner_id != user.id]
    if not refused:
        return []
    names = "; ".join(f"{s.control_id} is owned by "
                      f"{s.owner.display_name if s.owner else 'nobody yet'}" for s in refused)
    return [f"You can link evidence only to controls you own ({names}). Ask the lead or "
            "the control's owner to link it."]
