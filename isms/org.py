"""The organisation whose ISMS this is: name, Annex A edition, time zone, scope."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, g, has_app_context
from sqlalchemy import Boolean, Integer, String, Text, false, select
from sqlalchemy.orm import Mapped, mapped_column

from isms.db import UTCDateTime, db, utcnow

# The name `isms init` gives an organisation when none is passed; the setup checklist asks
# for the real one while this is still in place.
DEFAULT_ORGANISATION_NAME = "My organisation"


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    edition: Mapped[str] = mapped_column(String(4), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    scope: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Admins and leads must sign in with a second factor when this is on.
    require_totp: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                               server_default=false())
    # Codes of the mapped frameworks (`nis2`) whose coverage sheet the SoA workbook adds.
    soa_frameworks: Mapped[str] = mapped_column(String(200), nullable=False, default="",
                                                server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # Document control of the Statement of Applicability (its Cover sheet and issued versions).
    soa_document_id: Mapped[str] = mapped_column(String(60), nullable=False, default="ISMS-SOA",
                                                 server_default="ISMS-SOA")
    soa_classification: Mapped[str] = mapped_column(String(60), nullable=False,
                                                    default="Internal", server_default="Internal")
    soa_review_months: Mapped[int] = mapped_column(Integer, nullable=False, default=12,
                                                   server_default="12")

    @property
    def soa_framework_codes(self) -> list[str]:
        return [code for code in self.soa_frameworks.split(",") if code]


class OrganisationMissing(RuntimeError):
    """Raised when the tracker is used before `isms init`."""


def get_organisation() -> Organisation:
    """Return the organisation, once per request."""
    org = g.get("isms_org")
    if org is None:
        org = db.session.scalars(select(Organisation).order_by(Organisation.id)).first()
        if org is None:
            raise OrganisationMissing("no organisation yet: run `isms init`")
        g.isms_org = org
    return org


def keep_organisation(org: Organisation) -> None:
    """Hand `get_organisation` the organisation read along with something else (the signed-in
    user, an API token), so the request does not read it again."""
    g.isms_org = org


def find_organisation() -> Organisation | None:
    """Return the organisation or None before `isms init`."""
    try:
        return get_organisation()
    except OrganisationMissing:
        return None


def ensure_organisation(name: str, edition: str, timezone: str) -> tuple[Organisation, bool]:
    """Create the organisation unless it exists; return it and whether it was created."""
    org = find_organisation()
    if org is not None:
        return org, False
    org = Organisation(name=name, edition=edition, timezone=timezone)
    db.session.add(org)
    db.session.flush()
    g.isms_org = org
    return org, True


def is_valid_timezone(name: str) -> bool:
    """Say whether an IANA time zone name is known."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_now() -> datetime:
    """Return the current time in the organisation's time zone."""
    name = current_app.config["ISMS_TIMEZONE"]
    org = find_organisation() if has_app_context() else None
    if org is not None:
        name = org.timezone
    return utcnow().astimezone(ZoneInfo(name))
