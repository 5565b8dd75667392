"""Read and change control states; every change is audited in the caller's transaction."""

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cache
from math import ceil

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from controls.models import (
    STATE_COLUMNS,
    Applicability,
    ControlState,
    ImplementationStatus,
    InclusionReason,
    OwnerView,
    Responsibility,
    Review,
    StateView,
)
from controls.reviews import (
    ReviewStatus,
    due_soon_until,
    first_due_for,
    last_reviews,
    review_status,
    review_statuses,
)
from evidence.api import (
    EVIDENCE_STATUSES,
    best_validity,
    status_by_control,
    validity_horizon,
    validity_status,
)
from isms.api import (
    MAX_ID,
    CatalogItem,
    Role,
    User,
    db,
    get_edition,
    local_today,
    pick_arg,
    read_once,
    record_event,
    utcnow,
)
from management.api import link_control_risks, risks_for_controls

STATUS_FILTERS = {
    "undecided": "Not decided yet",
    "excluded": "Excluded",
    "not_implemented": "Applicable, not implemented",
    **{s.value: s.value.replace("_", " ").capitalize() for s in ImplementationStatus},
}
AUDITED_FIELDS = (
    "applicability", "inclusion_reasons", "justification", "implementation_status",
    "responsibility", "company_part", "aws_part", "owner_id", "review_cadence",
    "first_review_on", "notes", "risk_refs",
)
EVIDENCE_FILTERS = {"none": "Missing (applicable controls)", "expired": "Expired",
                    "expiring": "Expiring soon", "current": "Current"}
REVIEW_FILTERS = {"due": "Due soon or overdue", "overdue": "Overdue", "due_soon": "Due soon",
                  "none": "No cadence"}
ANNEX_A = "annex-a"  # the source filter's value for Annex A controls
RISK_FILTERS = {"unlinked": "Risk treatment without a linked risk", "linked": "Linked to a risk"}
SUPPLIER_EXCLUSION_WARNING = (
    "This control is operated by AWS in whole or in part. A control a supplier operates for "
    "you still applies: keep it applicable and record the supplier's part, unless the risk "
    "really does not exist."
)


@dataclass(frozen=True)
class ControlRow:
    item: CatalogItem
    state: ControlState | StateView  # a StateView unless loaded to be changed
    evidence: str = "none"
    review: ReviewStatus | None = None
    risks: tuple = ()  # management.api.RiskRef of the risks this control treats

    @property
    def lacks_linked_risk(self) -> bool:
        """Included for risk treatment, yet no risk of the register is linked."""
        return (self.state.applicability is Applicability.APPLICABLE
                and InclusionReason.RISK in self.state.reasons and not self.risks)

    @property
    def lacks_evidence(self) -> bool:
        """Only applicable controls are flagged for having no evidence."""
        return self.evidence == "none" and self.state.applicability is Applicability.APPLICABLE


@dataclass(frozen=True)
class ControlFilters:
    group: str = ""
    status: str = ""
    responsibility: str = ""
    owner: str = ""
    evidence: str = ""
    review: str = ""
    risk: str = ""
    source: str = ""  # "annex-a", or one of the other sources the controls came from
    q: str = ""

    @classmethod
    def from_args(cls, args, group_ids, sources=()) -> "ControlFilters":
        """Keep only values the list understands; anything else is ignored."""
        owner = (args.get("owner") or "").strip()
        return cls(
            group=pick_arg(args, "group", set(group_ids)),
            status=pick_arg(args, "status", STATUS_FILTERS),
            responsibility=pick_arg(args, "responsibility", {r.value for r in Responsibility}),
            # An id no database row can have is ignored like any other unknown value.
            owner=owner if owner == "none" or (owner.isdigit() and int(owner) <= MAX_ID)
            else "",
            evidence=pick_arg(args, "evidence", set(EVIDENCE_STATUSES)),
            review=pick_arg(args, "review", set(REVIEW_FILTERS)),
            risk=pick_arg(args, "risk", set(RISK_FILTERS)),
            source=pick_arg(args, "source", {ANNEX_A, *sources}),
            q=(args.get("q") or "").strip()[:100],
        )

    def as_args(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    per_page: int
    total: int
    pages: int = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "pages", max(1, ceil(self.total / self.per_page)))


def paginate(rows: list, page: int, per_page: int) -> Page:
    """Slice an in-memory list into one page."""
    pages = max(1, ceil(len(rows) / per_page))
    page = min(max(page, 1), pages)
    start = (page - 1) * per_page
    return Page(rows[start:start + per_page], page, per_page, len(rows))


def _state_shape(filters: ControlFilters) -> tuple[str, str, str]:
    """What of the filters changes the states' statement: status, responsibility and whether
    an owner is asked for (none, or one whose id is bound as `owner_id`)."""
    owner = filters.owner if filters.owner in ("", "none") else "one"
    return filters.status, filters.responsibility, owner


def _state_params(edition: str, filters: ControlFilters) -> dict:
    params = {"edition": edition}
    if filters.owner not in ("", "none"):
        params["owner_id"] = int(filters.owner)
    return params


def _state_filter(query, shape: tuple[str, str, str]):
    """Narrow a statement on the states' table to the filters of this shape (the table's
    columns, so a statement of plain columns stays a plain one)."""
    status, responsibility, owner = shape
    state = ControlState.__table__.c
    if status == "undecided":
        query = query.where(state.applicability.is_(None))
    elif status == "excluded":
        query = query.where(state.applicability == Applicability.EXCLUDED)
    elif status == "not_implemented":
        query = query.where(
            state.applicability == Applicability.APPLICABLE,
            state.implementation_status.is_distinct_from(ImplementationStatus.IMPLEMENTED),
        )
    elif status:
        query = query.where(state.implementation_status == ImplementationStatus(status))
    if responsibility:
        query = query.where(state.responsibility == Responsibility(responsibility))
    if owner == "none":
        query = query.where(state.owner_id.is_(None))
    elif owner:
        query = query.where(state.owner_id == bindparam("owner_id"))
    return query


@cache
def _state_ids_statement(shape: tuple[str, str, str]):
    state = ControlState.__table__.c
    return _state_filter(select(state.control_id)
                         .where(state.edition == bindparam("edition")), shape)


@cache
def _states_statement(shape: tuple[str, str, str], editable: bool):
    """The edition's states passing the filters of this shape, built once per shape: the
    model objects with their owners when `editable`, else the columns and the owner's name
    and address."""
    if editable:
        query = (select(ControlState).where(ControlState.edition == bindparam("edition"))
                 .options(joinedload(ControlState.owner)))
    else:
        query = _state_rows().where(
            ControlState.__table__.c.edition == bindparam("edition"))
    return _state_filter(query, shape)


# Where a state row's own columns end and its owner's name and address follow.
_WIDTH, _OWNER_AT = len(STATE_COLUMNS), STATE_COLUMNS.index("owner_id")


def _state_rows(*extra):
    """A select of the states' columns, their owner's name and address, then `extra`
    columns; `_state_view` reads a row back. Tables, not mapped classes: a plain row read,
    without the ORM's loading machinery."""
    table, users = ControlState.__table__, User.__table__
    return (select(table, users.c.name, users.c.email, *extra)
            .outerjoin(users, users.c.id == table.c.owner_id))


def _state_view(row) -> StateView:
    """The state in a row of `_state_rows`."""
    owner_id = row[_OWNER_AT]
    return StateView(row[:_WIDTH], None if owner_id is None
                     else OwnerView(owner_id, row[_WIDTH], row[_WIDTH + 1]))


def list_control_rows(edition: str, filters: ControlFilters | None = None, *,
                      editable: bool = False) -> list[ControlRow]:
    """Return the matching controls in catalog order, owners loaded, in one query.

    Each row's `state` is a read-only `StateView`; `editable=True` loads the model objects
    instead, for callers that change them (the demo)."""
    filters = filters or ControlFilters()
    catalog = get_edition(edition)
    needle = filters.q.lower()
    evidence = status_by_control(edition)
    last_reviewed, today = last_reviews(edition), local_today()
    states = (all_states(edition) if not editable and _state_shape(filters) == ("", "", "")
              else _load_states(edition, filters, editable))
    risks = risks_for_controls(edition, {s.control_id: s.risk_refs for s in states})
    rows, soon = [], due_soon_until(today)
    for state in states:
        item = catalog.get(state.control_id)
        if not _catalog_matches(item, filters, needle):
            continue
        row = ControlRow(item, state, evidence.get(state.control_id, "none"),
                         review_status(state, last_reviewed.get(state.control_id), today,
                                       soon), tuple(risks[state.control_id]))
        if _computed_matches(row, filters):
            rows.append(row)
    return sorted(rows, key=lambda row: row.item.position)


def page_of_control_rows(edition: str, filters: ControlFilters, page: int, per_page: int,
                         visible=None) -> tuple[list[ControlRow], int]:
    """Return one page of `list_control_rows` (only `visible` control ids when given) and
    how many rows all pages hold.

    Filters on computed values (evidence, review, risks) need every control's value, so they
    read the whole list. Otherwise the page is cut from the ids of the states that pass the
    other filters, and only its controls' states, evidence and review status are read; its
    rows' `risks` are then left empty."""
    if filters.evidence or filters.review or filters.risk:
        rows = [row for row in list_control_rows(edition, filters)
                if visible is None or row.item.control_id in visible]
        return rows[(page - 1) * per_page: page * per_page], len(rows)
    catalog = get_edition(edition)
    needle = filters.q.lower()
    matching = []
    for control_id in db.session.scalars(_state_ids_statement(_state_shape(filters)),
                                         _state_params(edition, filters)):
        item = catalog.get(control_id)
        if (visible is None or control_id in visible) and _catalog_matches(item, filters,
                                                                           needle):
            matching.append(item)
    matching.sort(key=lambda item: item.position)
    ids = [item.control_id for item in matching[(page - 1) * per_page: page * per_page]]
    if not ids:
        return [], len(matching)
    rows = {row.item.control_id: row for row in _read_rows(edition, ids)}
    return [rows[cid] for cid in ids if cid in rows], len(matching)


def _read_rows(edition: str, ids: list[str]) -> list[ControlRow]:
    """The rows of these controls (without their risks) as `_page_statement` reads them."""
    today, catalog = local_today(), get_edition(edition)
    horizon, soon = validity_horizon(today), due_soon_until(today)
    rows = []
    for row in db.session.execute(_page_statement(), {
            "edition": edition, "ids": ids, "horizon": horizon}):
        state, (best, last_reviewed) = _state_view(row), row[_WIDTH + 2:]
        rows.append(ControlRow(catalog.get(state.control_id), state,
                               validity_status(best, today, horizon).value,
                               review_status(state, last_reviewed, today, soon)))
    return rows


@cache
def _page_statement():
    """One page's states (the bound `ids`) with each owner's name and address, the best
    validity of each control's evidence and its latest review date, in one statement: read
    apart, the three cost more in overhead than in rows. The edition is written into the SQL
    (as the evidence status does) so PostgreSQL never plans the evidence part generically."""
    table, reviews = ControlState.__table__, Review.__table__
    edition = bindparam("edition", literal_execute=True)
    last_review = (select(func.max(reviews.c.reviewed_on))
                   .where(reviews.c.edition == edition,
                          reviews.c.control_id == table.c.control_id)
                   .scalar_subquery())
    return (_state_rows(best_validity(table.c.control_id, edition), last_review)
            .where(table.c.edition == edition,
                   table.c.control_id.in_(bindparam("ids", expanding=True))))


def _catalog_matches(item: CatalogItem, filters: ControlFilters, needle: str) -> bool:
    """The filters on the catalog's columns (group, source, words of the id or title)."""
    if filters.group and item.group_id != filters.group:
        return False
    if filters.source and (item.source or ANNEX_A) != filters.source:
        return False
    return not needle or needle in f"{item.control_id} {item.title}".lower()


def _computed_matches(row: ControlRow, filters: ControlFilters) -> bool:
    """The filters on computed values: evidence status, review status, linked risks."""
    if filters.evidence and row.evidence != filters.evidence:
        return False
    if filters.evidence == "none" and not row.lacks_evidence:
        return False
    if filters.review and not _review_matches(row.review, filters.review):
        return False
    if filters.risk == "unlinked" and not row.lacks_linked_risk:
        return False
    return not (filters.risk == "linked" and not row.risks)


def all_states(edition: str) -> list[StateView]:
    """Every state of the edition, read-only, in one query read once per page (the dashboard's
    board and its checks, the SoA's checks, all want them)."""
    return list(read_once(("control-states", edition),
                          lambda: _load_states(edition, ControlFilters(), False)))


def _load_states(edition: str, filters: ControlFilters, editable: bool) -> list:
    """The edition's states passing the filters on their own columns, with their owners."""
    statement = _states_statement(_state_shape(filters), editable)
    params = _state_params(edition, filters)
    if editable:
        return list(db.session.scalars(statement, params))
    return [_state_view(row) for row in db.session.execute(statement, params)]


def _review_matches(status: ReviewStatus, wanted: str) -> bool:
    return status.is_due if wanted == "due" else status.status == wanted


def get_control_row(edition: str, control_id: str, *, editable: bool = True
                    ) -> ControlRow | None:
    """Return one control with its state, or None if the catalog has no such id.

    The state is the model object, ready to change; `editable=False` reads a `StateView`
    for a page that only shows it, with its evidence status and last review in the same
    statement."""
    item = get_edition(edition).get(control_id)
    if item is None:
        return None
    if not editable:  # state, evidence status and last review in one statement
        found = _read_rows(edition, [control_id])
        if not found:
            return None
        risks = risks_for_controls(edition, {control_id: found[0].state.risk_refs})
        return replace(found[0], risks=tuple(risks[control_id]))
    state = db.session.scalars(
        select(ControlState)
        .where(ControlState.edition == edition, ControlState.control_id == control_id)
        .options(joinedload(ControlState.owner))
    ).one_or_none()
    if state is None:
        return None
    last = last_reviews(edition, control_id).get(control_id)
    risks = risks_for_controls(edition, {control_id: state.risk_refs})[control_id]
    return ControlRow(item, state, status_by_control(edition, [control_id])[control_id],
                      review_status(state, last, local_today()), tuple(risks))


def ensure_control_states(edition: str) -> int:
    """Create a state with catalog defaults for every control that has none; return how many."""
    have = set(db.session.scalars(
        select(ControlState.control_id).where(ControlState.edition == edition)))
    created = 0
    for item in get_edition(edition).items:
        if item.control_id not in have:
            db.session.add(ControlState(
                edition=edition, control_id=item.control_id,
                responsibility=Responsibility(item.default_responsibility),
            ))
            created += 1
    db.session.flush()
    return created


def can_edit(user: User, state: ControlState) -> bool:
    """The lead edits every control; an owner edits the controls they own."""
    if user.role is Role.LEAD:
        return True
    return user.role is Role.OWNER and state.owner_id == user.id


def snapshot(state: ControlState) -> dict:
    """Return the audited fields of a control state."""
    return {name: getattr(state, name) for name in AUDITED_FIELDS}


def update_control(state: ControlState, values: dict, actor: User | None,
                   audit_actor: str | None = None) -> list[str]:
    """Apply a validated decision, audit what changed, and return warnings for the user.

    The event names `audit_actor` when given (a job, the CLI), else the acting user.
    """
    if audit_actor is None and actor is None:
        raise ValueError("update_control needs the acting user or an audit actor.")
    before = snapshot(state)
    excluded = values.get("applicability") == Applicability.EXCLUDED
    chosen_first_review = values.pop("first_review_on", None)
    for name, value in values.items():
        if name == "reasons":
            state.reasons = [] if excluded else value
        else:
            setattr(state, name, value)
    if chosen_first_review or state.review_cadence != before["review_cadence"] or (
            state.first_review_on is None):
        state.first_review_on = first_due_for(state, chosen_first_review, local_today())
    if excluded:
        state.implementation_status = None
    after = snapshot(state)
    changed = [k for k in AUDITED_FIELDS if before[k] != after[k]]
    if changed:
        state.updated_at = utcnow()
        state.updated_by_id = actor.id if actor else None
        record_event(
            "control.update", "control", f"{state.edition}:{state.control_id}",
            before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
            actor=audit_actor or str(actor.id),
        )
    warnings = exclusion_warnings(state)
    if "risk_refs" in values:
        unknown = link_control_risks(state.edition, state.control_id, state.risk_refs)
        if unknown and "risk_refs" in changed:  # said once, when someone writes the ids
            warnings.append(f"Not in the risk register (yet): {', '.join(unknown)}. "
                            "They stay as text and link once the risk exists.")
    return warnings



def risk_refs_text(row: ControlRow) -> str:
    """The control's risks as one text: register ids linked to it, then any other words."""
    linked = [r.ref for r in row.risks]
    others = [t for t in re.split(r"[\s,;]+", row.state.risk_refs or "")
              if t and t.upper() not in linked]
    return ", ".join([*linked, *dict.fromkeys(others)])


def exclusion_warnings(state: ControlState) -> list[str]:
    """Warn when a control AWS operates, wholly or partly, is excluded."""
    if (state.applicability is Applicability.EXCLUDED
            and state.responsibility in (Responsibility.AWS, Responsibility.SHARED)):
        return [SUPPLIER_EXCLUSION_WARNING]
    return []


@dataclass(frozen=True)
class Dashboard:
    total: int
    applicability: Counter
    status: Counter
    responsibility: Counter
    groups: list  # (group id, title, total, implemented, excluded)
    unowned: int
    evidence: Counter  # applicable controls by evidence status
    reviews: Counter  # by review status


def build_dashboard(edition: str) -> Dashboard:
    """Count the edition's controls by decision, status, responsibility and group (the states
    in one query, read once for the counts and the review statuses)."""
    catalog = get_edition(edition)
    states = all_states(edition)
    applicability, status, responsibility = Counter(), Counter(), Counter()
    per_group = {gid: [0, 0, 0] for gid, _ in catalog.groups}
    unowned = 0
    evidence_status, evidence = status_by_control(edition), Counter()
    reviews = Counter(s.status for s in review_statuses(edition, states, local_today()).values())
    for state in states:
        appl, impl = state.applicability, state.implementation_status
        applicability[appl.value if appl else "undecided"] += 1
        if appl is Applicability.APPLICABLE:
            status[impl.value if impl else "not_started"] += 1
            evidence[evidence_status.get(state.control_id, "none")] += 1
        responsibility[state.responsibility.value] += 1
        counts = per_group[catalog.get(state.control_id).group_id]
        counts[0] += 1
        counts[1] += impl is ImplementationStatus.IMPLEMENTED
        counts[2] += appl is Applicability.EXCLUDED
        unowned += state.owner_id is None
    groups = [(gid, title, *per_group[gid]) for gid, title in catalog.groups]
    return Dashboard(len(states), applicability, status, responsibility, groups, unowned,
                     evidence, reviews)
