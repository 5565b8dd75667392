"""Risks and findings as plain records for other packages (read only), one page at a time."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from isms.api import db
from management.models import Finding, FindingStatus
from management.risks import RiskFilters, band, risk_query


@dataclass(frozen=True)
class RiskRecord:
    ref: str
    title: str
    description: str
    asset: str
    owner_name: str | None
    likelihood: int
    impact: int
    level: int
    band: str
    treatment: str
    plan: str
    plan_status: str
    plan_due: date | None
    residual_level: int | None
    accepted_on: date | None
    controls: tuple[str, ...]
    updated_at: datetime | None


def list_risks(edition: str, args: Mapping, page: int, per_page: int):
    """Return (one page of the register with the page's filters, total), highest level first."""
    query = risk_query(RiskFilters.from_args(args), edition)
    total = _count(query)
    risks = query.limit(per_page).offset((page - 1) * per_page)
    records = []
    for risk in db.session.scalars(risks).unique():
        level = risk.likelihood * risk.impact
        residual = (risk.residual_likelihood * risk.residual_impact
                    if risk.residual_likelihood and risk.residual_impact else None)
        records.append(RiskRecord(
            risk.ref, risk.title, risk.description, risk.asset,
            risk.owner.display_name if risk.owner else None, risk.likelihood, risk.impact,
            level, band(level), risk.treatment.value, risk.plan, risk.plan_status.value,
            risk.plan_due, residual, risk.accepted_on,
            tuple(c.control_id for c in risk.controls if c.edition == edition),
            risk.updated_at))
    return records, total


@dataclass(frozen=True)
class FindingRecord:
    ref: str
    type: str
    source: str
    source_ref: str
    refs: str
    description: str
    root_cause: str
    status: str
    raised_on: date
    raised_by_name: str
    verified_on: date | None
    closed_at: datetime | None


def list_findings(args: Mapping, page: int, per_page: int):
    """Return (one page of findings, newest first, optionally of one status, total)."""
    query = select(Finding).options(joinedload(Finding.raised_by)).order_by(Finding.id.desc())
    status = (args.get("status") or "").strip()
    if status in {s.value for s in FindingStatus}:
        query = query.where(Finding.status == FindingStatus(status))
    total = _count(query)
    findings = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    return [FindingRecord(f.ref, f.type.value, f.source.value, f.source_ref, f.refs,
                          f.description, f.root_cause, f.status.value, f.raised_on,
                          f.raised_by.display_name, f.verified_on, f.closed_at)
            for f in findings], total


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(
        query.order_by(None).subquery()))
