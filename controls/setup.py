"""The first-run checklist: what a new tracker still needs, read from the data it holds."""

from dataclasses import dataclass

from sqlalchemy import func, select

from controls.models import ControlState
from isms.api import (
    DEFAULT_ORGANISATION_NAME,
    Organisation,
    Role,
    User,
    db,
    list_object_events,
    record_event,
)

# The lead's choice to decide every control by hand instead of importing a workbook.
START_FRESH = ("setup", "start-fresh")


@dataclass(frozen=True)
class SetupStep:
    key: str
    title: str
    done: bool
    detail: str


@dataclass(frozen=True)
class Checklist:
    steps: list[SetupStep]

    @property
    def done(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def complete(self) -> bool:
        return self.done == len(self.steps)

    def step(self, key: str) -> SetupStep:
        return next(step for step in self.steps if step.key == key)


def build_checklist(org: Organisation) -> Checklist:
    """Say which first-run steps are done; nothing is stored besides the start-fresh event."""
    owners = db.session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.OWNER))
    decided = db.session.scalar(
        select(func.count()).select_from(ControlState)
        .where(ControlState.edition == org.edition, ControlState.applicability.is_not(None)))
    fresh = bool(list_object_events(*START_FRESH, limit=1))
    named = org.name != DEFAULT_ORGANISATION_NAME
    return Checklist([
        SetupStep("organisation", "Name the organisation", named,
                  f"Shown on every page and in the SoA: {org.name}." if named
                  else f"It is still called “{org.name}”."),
        SetupStep("scope", "State the scope of the ISMS", bool(org.scope.strip()),
                  "The clause 4.3 scope statement, as the certificate will state it."),
        SetupStep("edition", "Choose the Annex A edition", True,
                  f"ISO/IEC 27001:{org.edition}, set when the tracker was initialised."),
        SetupStep("owners", "Invite control owners", owners > 0,
                  f"{owners} owner{'' if owners == 1 else 's'} can sign in." if owners
                  else "No control owner can sign in yet."),
        SetupStep("decisions", "Import your SoA or start fresh", decided > 0 or fresh,
                  f"{decided} controls decided." if decided
                  else ("You chose to decide each control here." if fresh
                        else "Bring the decisions of the workbook you keep, or start from an "
                             "empty Statement of Applicability.")),
    ])


def start_fresh(user: User) -> None:
    """Record that the lead will decide each control in the tracker (the caller commits)."""
    record_event("setup.start_fresh", *START_FRESH, actor=str(user.id))
