"""Requirements that dropped from covered since the last digest, for the digest and /checks."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select

from controls.api import DigestSection
from coverage.models import CoverageSnapshot
from coverage.services import compute_coverage
from isms.api import Framework, Role, User, db, get_organisation, list_frameworks

DROPPED_TO = ("partial", "gap")


@dataclass(frozen=True)
class CoverageDrop:
    framework: str
    requirement_id: str
    label: str
    heading: str
    before: str  # covered
    after: str  # partial | gap


def current_verdicts(framework: Framework, edition: str) -> dict[str, str]:
    """Return each leaf's verdict now, whatever the reader's scope."""
    return {rid: leaf.verdict for rid, leaf in compute_coverage(framework, edition).leaves.items()}


def _last_snapshot(code: str, before: date | None = None) -> CoverageSnapshot | None:
    query = select(CoverageSnapshot).where(CoverageSnapshot.framework == code)
    if before is not None:
        query = query.where(CoverageSnapshot.taken_on < before)
    return db.session.scalars(query.order_by(CoverageSnapshot.taken_on.desc()).limit(1)).first()


def _drops(framework: Framework, was: dict, now: dict) -> list[CoverageDrop]:
    found = []
    for requirement in framework.leaves:
        rid = requirement.requirement_id
        if was.get(rid) == "covered" and now.get(rid) in DROPPED_TO:
            found.append(CoverageDrop(framework.code, rid, requirement.label,
                                      requirement.heading, "covered", now[rid]))
    return found


def coverage_drops(code: str | None = None) -> list[CoverageDrop]:
    """Return the requirements that were covered at the last digest and are no longer.

    Reads only; without `code`, every framework. Nothing is reported before a first digest.
    """
    edition = get_organisation().edition
    found = []
    for framework in list_frameworks():
        if code is not None and framework.code != code:
            continue
        snapshot = _last_snapshot(framework.code)
        if snapshot is not None:
            found += _drops(framework, snapshot.verdicts,
                            current_verdicts(framework, edition))
    return found


def remember_verdicts(code: str, today: date, verdicts: dict[str, str]) -> None:
    """Keep today's verdicts for the next digest, and only the one before them besides."""
    snapshot = db.session.scalars(select(CoverageSnapshot).where(
        CoverageSnapshot.framework == code, CoverageSnapshot.taken_on == today)).first()
    if snapshot is None:
        db.session.add(CoverageSnapshot(framework=code, taken_on=today, verdicts=verdicts))
    else:
        snapshot.verdicts = verdicts
    previous = _last_snapshot(code, today)
    if previous is not None:
        db.session.execute(delete(CoverageSnapshot).where(
            CoverageSnapshot.framework == code, CoverageSnapshot.taken_on < previous.taken_on))
    db.session.flush()


def digest_sections(edition: str, today: date) -> dict[int, list[DigestSection]]:
    """Tell each lead which requirements dropped from covered since the last digest day.

    The comparison is with the verdicts of an earlier day, so running the digest twice on
    one day reports the same drops.
    """
    sections = []
    for framework in list_frameworks():
        verdicts = current_verdicts(framework, edition)
        baseline = _last_snapshot(framework.code, today)
        drops = _drops(framework, baseline.verdicts, verdicts) if baseline else []
        remember_verdicts(framework.code, today, verdicts)
        if drops:
            sections.append(DigestSection(
                f"{framework.short_name} requirements no longer covered",
                tuple(f"{d.label} {d.heading}: was covered, now {d.after}" for d in drops),
                f"/frameworks/{framework.code}"))
    if not sections:
        return {}
    leads = db.session.scalars(select(User.id).where(User.role == Role.LEAD, User.is_enabled))
    return {lead_id: list(sections) for lead_id in leads}
