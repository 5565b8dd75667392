"""What other packages may ask of controls (nothing below controls may call it)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from controls.models import ControlState
from controls.reviews import last_reviews
from isms.api import db, get_edition


@dataclass(frozen=True)
class ControlStanding:
    control_id: str
    title: str
    applicability: str | None  # applicable | excluded | None while undecided
    implementation_status: str | None  # not_started | planned | partial | implemented
    owner_name: str | None
    last_reviewed_on: date | None


def control_standings(edition: str) -> dict[str, ControlStanding]:
    """Return each control's decision, status, owner and last review (two queries)."""
    catalog, reviewed = get_edition(edition), last_reviews(edition)
    states = db.session.scalars(select(ControlState).where(ControlState.edition == edition)
                                .options(joinedload(ControlState.owner)))
    return {s.control_id: ControlStanding(
        s.control_id, catalog.get(s.control_id).title,
        s.applicability.value if s.applicability else None,
        s.implementation_status.value if s.implementation_status else None,
        s.owner.display_name if s.owner else None, reviewed.get(s.control_id))
        for s in states}


@dataclass(frozen=True)
class DigestSection:
    """A few lines a package further up adds to one person's daily digest."""

    title: str
    lines: tuple[str, ...]
    link: str = ""  # a path on this site, such as /frameworks/nis2


DigestProvider = Callable[[str, date], dict[int, list[DigestSection]]]


def register_digest_section(app, provider: DigestProvider) -> None:
    """Add a provider, called with (edition, local date), of sections per user id."""
    app.extensions.setdefault("controls.digest_sections", []).append(provider)


__all__ = [
    "ControlStanding",
    "DigestProvider",
    "DigestSection",
    "control_standings",
    "register_digest_section",
]
