"""The risk register: scoring, treatment, acceptance, control links, heat map and export."""

import re
from collections import Counter
from dataclasses import dataclass, fields
from datetime import date
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from isms.api import Role, User, db, pick_arg, record_event, utcnow
from management.models import PlanStatus, Risk, RiskControl, Treatment

RISK_REF = re.compile(r"^R-\d{3,5}$")
AUDITED = ("ref", "title", "description", "asset", "threat", "vulnerability", "owner_id",
           "likelihood", "impact", "treatment", "plan", "plan_status", "plan_due",
           "residual_likelihood", "residual_impact")
# Accepting a risk accepts these; changing one afterwards asks for a new acceptance.
ACCEPTED_FIELDS = ("likelihood", "impact", "treatment", "residual_likelihood", "residual_impact")
BANDS = ("low", "medium", "high")


class RiskError(ValueError):
    """A risk cannot be saved as given; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def risk_scale() -> int:
    return int(current_app.config["ISMS_RISK_SCALE"])


def band(level: int | None, scale: int | None = None) -> str:
    """Name the band of a level: the top fifth of the grid is low, up to a half medium."""
    if level is None:
        return ""
    top = (scale or risk_scale()) ** 2
    if level <= top / 5:
        return "low"
    return "medium" if level <= top / 2 else "high"


def _band_range(name: str, scale: int) -> tuple[int, int]:
    top = scale ** 2
    low, mid = int(top / 5), int(top / 2)
    return {"low": (1, low), "medium": (low + 1, mid), "high": (mid + 1, top)}[name]


def next_ref() -> str:
    """Propose the next free risk id (R-001, R-002 ...)."""
    numbers = [int(r[2:]) for r in db.session.scalars(select(Risk.ref)) if RISK_REF.match(r)]
    return f"R-{max(numbers, default=0) + 1:03d}"


def normalise_ref(ref: str) -> str:
    return (ref or "").strip().upper()


def save_risk(risk: Risk | None, values: dict, control_ids: list[str], edition: str,
              actor: User) -> Risk:
    """Create or update a risk with its linked controls; audit the change (the caller commits)."""
    values = dict(values)
    values["ref"] = normalise_ref(values["ref"])
    _check(values, risk)
    creating = risk is None
    if creating:
        risk = Risk(**values)
        db.session.add(risk)
        db.session.flush()
        before = {}
    else:
        before = {k: getattr(risk, k) for k in AUDITED}
        for name, value in values.items():
            setattr(risk, name, value)
    before_controls = linked_control_ids(risk, edition) if not creating else []
    set_risk_controls(risk, edition, control_ids)
    after = {k: getattr(risk, k) for k in AUDITED}
    changed = [k for k in AUDITED if before.get(k) != after[k]]
    if risk.accepted_on and any(k in changed for k in ACCEPTED_FIELDS):
        before["accepted_on"], after["accepted_on"] = risk.accepted_on, None
        risk.accepted_by_id, risk.accepted_on = None, None
        changed.append("accepted_on")
    if before_controls != control_ids:
        before["controls"], after["controls"] = before_controls, control_ids
        changed.append("controls")
    if changed or creating:
        risk.updated_at = utcnow()
        record_event("risk.create" if creating else "risk.update", "risk", risk.ref,
                     before={k: before.get(k) for k in changed if k in before},
                     after={k: after.get(k) for k in changed if k in after},
                     actor=str(actor.id))
    db.session.flush()
    return risk


def _check(values: dict, risk: Risk | None) -> None:
    scale = risk_scale()
    if not RISK_REF.match(values["ref"]):
        raise RiskError("A risk id looks like R-001.", "ref")
    clash = db.session.scalar(select(Risk.id).where(Risk.ref == values["ref"]))
    if clash is not None and (risk is None or clash != risk.id):
        raise RiskError(f"{values['ref']} is already in the register.", "ref")
    for name in ("likelihood", "impact", "residual_likelihood", "residual_impact"):
        value = values.get(name)
        if value is not None and not 1 <= value <= scale:
            raise RiskError(f"Score from 1 to {scale}.", name)
    if (values.get("residual_likelihood") is None) != (values.get("residual_impact") is None):
        field = "residual_impact" if values.get("residual_impact") is None else (
            "residual_likelihood")
        raise RiskError("Give both residual likelihood and residual impact, or neither.", field)


def linked_control_ids(risk: Risk, edition: str) -> list[str]:
    return list(db.session.scalars(select(RiskControl.control_id).where(
        RiskControl.risk_id == risk.id, RiskControl.edition == edition)
        .order_by(RiskControl.id)))


def set_risk_controls(risk: Risk, edition: str, control_ids: list[str]) -> None:
    """Make the risk's links in this edition exactly these controls."""
    have = set(linked_control_ids(risk, edition))
    wanted = list(dict.fromkeys(control_ids))
    gone = have - set(wanted)
    if gone:
        db.session.execute(delete(RiskControl).where(
            RiskControl.risk_id == risk.id, RiskControl.edition == edition,
            RiskControl.control_id.in_(gone)))
    db.session.add_all(RiskControl(risk_id=risk.id, edition=edition, control_id=c)
                       for c in wanted if c not in have)
    db.session.flush()


def can_accept(user: User, risk: Risk) -> bool:
    """Acceptance is the risk owner's decision."""
    return risk.owner_id is not None and user.id == risk.owner_id


def accept_risk(risk: Risk, actor: User, today: date) -> None:
    """Record the risk owner's acceptance of the residual risk."""
    if not can_accept(actor, risk):
        raise RiskError("Only the risk owner accepts a risk.")
    if risk.residual_level is None:
        raise RiskError("Score the residual risk before accepting it.")
    risk.accepted_by_id, risk.accepted_on = actor.id, today
    record_event("risk.accept", "risk", risk.ref, after={"accepted_on": today},
                 actor=str(actor.id))


@dataclass(frozen=True)
class RiskFilters:
    q: str = ""
    owner: str = ""
    treatment: str = ""
    plan_status: str = ""
    band: str = ""
    control: str = ""
    accepted: str = ""

    @classmethod
    def from_args(cls, args) -> "RiskFilters":
        owner = (args.get("owner") or "").strip()
        return cls(
            q=(args.get("q") or "").strip()[:100],
            owner=owner if owner == "none" or owner.isdigit() else "",
            treatment=pick_arg(args, "treatment", {t.value for t in Treatment}),
            plan_status=pick_arg(args, "plan_status", {s.value for s in PlanStatus}),
            band=pick_arg(args, "band", set(BANDS)),
            control=(args.get("control") or "").strip()[:16],
            accepted=pick_arg(args, "accepted", {"yes", "no"}),
        )

    def as_args(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def filtered(query, filters: RiskFilters, edition: str):
    """Apply the list's filters to a select over Risk."""
    if filters.q:
        needle = f"%{filters.q}%"
        query = query.where(or_(Risk.ref.ilike(needle), Risk.title.ilike(needle),
                                Risk.asset.ilike(needle)))
    if filters.owner == "none":
        query = query.where(Risk.owner_id.is_(None))
    elif filters.owner:
        query = query.where(Risk.owner_id == int(filters.owner))
    if filters.treatment:
        query = query.where(Risk.treatment == Treatment(filters.treatment))
    if filters.plan_status:
        query = query.where(Risk.plan_status == PlanStatus(filters.plan_status))
    if filters.band:
        low, high = _band_range(filters.band, risk_scale())
        level = Risk.likelihood * Risk.impact
        query = query.where(level >= low, level <= high)
    if filters.control:
        query = query.where(Risk.id.in_(select(RiskControl.risk_id).where(
            RiskControl.edition == edition, RiskControl.control_id == filters.control)))
    if filters.accepted == "yes":
        query = query.where(Risk.accepted_on.is_not(None))
    elif filters.accepted == "no":
        query = query.where(Risk.accepted_on.is_(None))
    return query


def risk_query(filters: RiskFilters, edition: str):
    """The register's rows with owners and links loaded, highest level first."""
    return filtered(select(Risk), filters, edition).options(
        joinedload(Risk.owner), joinedload(Risk.accepted_by), selectinload(Risk.controls),
    ).order_by((Risk.likelihood * Risk.impact).desc(), Risk.ref)


def get_risk(ref: str) -> Risk | None:
    return db.session.scalars(select(Risk).where(Risk.ref == normalise_ref(ref)).options(
        joinedload(Risk.owner), joinedload(Risk.accepted_by),
        selectinload(Risk.controls))).one_or_none()


@dataclass(frozen=True)
class HeatMap:
    scale: int
    cells: dict  # (likelihood, impact) -> count
    total: int

    def count(self, likelihood: int, impact: int) -> int:
        return self.cells.get((likelihood, impact), 0)


def heat_map(filters: RiskFilters, edition: str, residual: bool = False) -> HeatMap:
    """Count the filtered risks per likelihood and impact, in one grouped query."""
    lik = Risk.residual_likelihood if residual else Risk.likelihood
    imp = Risk.residual_impact if residual else Risk.impact
    base = filtered(select(lik, imp, func.count(Risk.id)), filters, edition)
    if residual:
        base = base.where(lik.is_not(None), imp.is_not(None))
    cells = {(a, b): n for a, b, n in db.session.execute(base.group_by(lik, imp))}
    return HeatMap(risk_scale(), cells, sum(cells.values()))


def band_counts(edition: str) -> Counter:
    """Count every risk by band (for the dashboard)."""
    scale, counted = risk_scale(), Counter({b: 0 for b in BANDS})
    for level, n in db.session.execute(
            select(Risk.likelihood * Risk.impact, func.count(Risk.id))
            .group_by(Risk.likelihood * Risk.impact)):
        counted[band(level, scale)] += n
    return counted


EXPORT_HEADER = ["Risk ID", "Title", "Description", "Asset or process", "Threat",
                 "Vulnerability", "Owner", "Likelihood", "Impact", "Level", "Band", "Treatment",
                 "Treatment plan", "Plan status", "Plan due", "Residual likelihood",
                 "Residual impact", "Residual level", "Accepted by", "Accepted on", "Controls"]


def export_rows(filters: RiskFilters, edition: str):
    """Yield the register as rows of cells, in list order, streamed."""
    scale = risk_scale()
    for risk in db.session.scalars(risk_query(filters, edition)):
        yield [risk.ref, risk.title, risk.description, risk.asset, risk.threat,
               risk.vulnerability, risk.owner.display_name if risk.owner else "",
               risk.likelihood, risk.impact, risk.level, band(risk.level, scale),
               risk.treatment.value, risk.plan, risk.plan_status.value.replace("_", " "),
               risk.plan_due, risk.residual_likelihood, risk.residual_impact,
               risk.residual_level, risk.accepted_by.display_name if risk.accepted_by else "",
               risk.accepted_on,
               ", ".join(c.control_id for c in risk.controls if c.edition == edition)]


@dataclass(frozen=True)
class RiskRef:
    ref: str
    title: str
    level: int
    band: str


FEW_CONTROLS = 20


def risks_by_control(edition: str, refs_by_control: dict[str, str]) -> dict[str, list[RiskRef]]:
    """Return the risks each control treats: linked ones, and ids its free text names.

    Two queries whatever the number of controls: the links, and the named ids.
    """
    scale, found = risk_scale(), {cid: {} for cid in refs_by_control}
    few = len(found) <= FEW_CONTROLS  # a page of one or a few controls: only theirs
    # Else the edition's links, kept in Python: a list of every control named them all in
    # an IN clause, which cost PostgreSQL more to plan than the links cost to read.
    params = {"edition": edition, "ids": list(found)} if few else {"edition": edition}
    for control_id, ref, title, lik, imp in db.session.execute(_links_statement(few), params):
        if control_id in found:
            found[control_id][ref] = RiskRef(ref, title, lik * imp, band(lik * imp, scale))
    named = {cid: [t.upper() for t in re.split(r"[\s,;]+", text or "") if RISK_REF.match(
        t.upper())] for cid, text in refs_by_control.items()}
    wanted = {ref for refs in named.values() for ref in refs}
    if wanted:
        known = {ref: RiskRef(ref, title, lik * imp, band(lik * imp, scale))
                 for ref, title, lik, imp in db.session.execute(
                     select(Risk.ref, Risk.title, Risk.likelihood, Risk.impact)
                     .where(Risk.ref.in_(wanted)))}
        for cid, refs in named.items():
            for ref in refs:
                if ref in known:
                    found[cid].setdefault(ref, known[ref])
    return {cid: sorted(refs.values(), key=lambda r: r.ref) for cid, refs in found.items()}


@cache
def _links_statement(few: bool):
    """The risks linked to the edition's controls (only the bound `ids` when `few`), built
    once per shape: every control page and list reads it."""
    query = (select(RiskControl.control_id, Risk.ref, Risk.title, Risk.likelihood, Risk.impact)
             .join(Risk, Risk.id == RiskControl.risk_id)
             .where(RiskControl.edition == bindparam("edition")))
    if few:
        query = query.where(RiskControl.control_id.in_(bindparam("ids", expanding=True)))
    return query


def set_control_risks(edition: str, control_id: str, refs_text: str) -> list[str]:
    """Make the control's links exactly the register ids named in the text.

    Return the words shaped like a risk id that the register does not hold (yet).
    """
    tokens = [t.upper() for t in re.split(r"[\s,;]+", refs_text or "") if t]
    risks = {r.ref: r for r in db.session.scalars(select(Risk).where(Risk.ref.in_(tokens)))}
    current = {rc.risk_id: rc for rc in db.session.scalars(select(RiskControl).where(
        RiskControl.edition == edition, RiskControl.control_id == control_id))}
    wanted = {risks[t].id for t in tokens if t in risks}
    for risk_id, link in current.items():
        if risk_id not in wanted:
            db.session.delete(link)
    db.session.add_all(RiskControl(risk_id=i, edition=edition, control_id=control_id)
                       for i in wanted if i not in current)
    db.session.flush()
    return [t for t in dict.fromkeys(tokens) if t not in risks and RISK_REF.match(t)]


def may_edit_risks(user: User) -> bool:
    return user.role is Role.LEAD
