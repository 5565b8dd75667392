"""Clauses 4-10: each requirement's status, owner, notes and evidence."""

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from evidence.api import summaries_for_items
from isms.api import Clause, Role, User, clauses, db, record_event, utcnow
from management.models import ClauseEvidence, ClauseState, ClauseStatus

AUDITED = ("status", "owner_id", "notes")


@dataclass(frozen=True)
class ClauseRow:
    clause: Clause
    state: ClauseState | None
    evidence_count: int

    @property
    def status(self) -> str:
        return self.state.status.value if self.state else ClauseStatus.NOT_STARTED.value

    @property
    def owner(self) -> User | None:
        return self.state.owner if self.state else None


def list_clause_rows(edition: str, status: str = "", owner: str = "") -> list[ClauseRow]:
    """Return every clause of the edition with its state and evidence count (two queries)."""
    states = {s.clause_id: s for s in db.session.scalars(
        select(ClauseState).where(ClauseState.edition == edition)
        .options(joinedload(ClauseState.owner)))}
    counts = dict(db.session.execute(
        select(ClauseState.clause_id, func.count(ClauseEvidence.id))
        .join(ClauseEvidence, ClauseEvidence.state_id == ClauseState.id)
        .where(ClauseState.edition == edition).group_by(ClauseState.clause_id)).all())
    rows = [ClauseRow(c, states.get(c.clause_id), counts.get(c.clause_id, 0))
            for c in clauses(edition)]
    if status:
        rows = [r for r in rows if r.status == status]
    if owner == "none":
        rows = [r for r in rows if r.owner is None]
    elif owner:
        rows = [r for r in rows if r.owner is not None and str(r.owner.id) == owner]
    return rows


def find_clause(edition: str, clause_id: str) -> Clause | None:
    return next((c for c in clauses(edition) if c.clause_id == clause_id), None)


def get_state(edition: str, clause_id: str) -> ClauseState | None:
    return db.session.scalars(
        select(ClauseState).where(ClauseState.edition == edition,
                                  ClauseState.clause_id == clause_id)
        .options(joinedload(ClauseState.owner))).one_or_none()


def state_for_update(edition: str, clause_id: str) -> ClauseState:
    """Return the clause's state, creating it (not started) the first time."""
    state = get_state(edition, clause_id)
    if state is None:
        state = ClauseState(edition=edition, clause_id=clause_id,
                            status=ClauseStatus.NOT_STARTED, notes="")
        db.session.add(state)
        db.session.flush()
    return state


def can_edit_clause(user: User, state: ClauseState | None) -> bool:
    """The lead edits every requirement; an owner the requirements they own."""
    if user.role is Role.LEAD:
        return True
    return user.role is Role.OWNER and state is not None and state.owner_id == user.id


def update_clause(state: ClauseState, values: dict, actor: User | None,
                  audit_actor: str | None = None) -> bool:
    """Apply the validated values and audit what changed; return whether anything did."""
    before = {k: getattr(state, k) for k in AUDITED}
    for name, value in values.items():
        setattr(state, name, value)
    after = {k: getattr(state, k) for k in AUDITED}
    changed = [k for k in AUDITED if before[k] != after[k]]
    if changed:
        state.updated_at = utcnow()
        record_event("clause.update", "clause", f"{state.edition}:{state.clause_id}",
                     before={k: before[k] for k in changed},
                     after={k: after[k] for k in changed},
                     actor=audit_actor or str(actor.id))
    db.session.flush()
    return bool(changed)


def clause_evidence(state: ClauseState | None) -> list:
    """Return summaries of the live evidence linked to a clause (one query each way)."""
    if state is None:
        return []
    ids = list(db.session.scalars(select(ClauseEvidence.evidence_item_id).where(
        ClauseEvidence.state_id == state.id).order_by(ClauseEvidence.id)))
    found = summaries_for_items(ids)
    return [found[i] for i in ids if i in found]


def link_evidence(state: ClauseState, item_id: int, *, actor: str) -> bool:
    """Link a live evidence item to the clause; False when it is not one or already linked."""
    if not summaries_for_items([item_id]):
        return False
    exists = db.session.scalar(select(ClauseEvidence.id).where(
        ClauseEvidence.state_id == state.id, ClauseEvidence.evidence_item_id == item_id))
    if exists:
        return False
    db.session.add(ClauseEvidence(state_id=state.id, evidence_item_id=item_id))
    record_event("clause.link_evidence", "clause", f"{state.edition}:{state.clause_id}",
                 after={"evidence_item_id": item_id}, actor=actor)
    db.session.flush()
    return True


def unlink_evidence(state: ClauseState, item_id: int, *, actor: str) -> bool:
    link = db.session.scalars(select(ClauseEvidence).where(
        ClauseEvidence.state_id == state.id,
        ClauseEvidence.evidence_item_id == item_id)).one_or_none()
    if link is None:
        return False
    db.session.delete(link)
    record_event("clause.unlink_evidence", "clause", f"{state.edition}:{state.clause_id}",
                 before={"evidence_item_id": item_id}, actor=actor)
    return True


def clause_progress(edition: str) -> Counter:
    """Count the edition's requirements by status (one query)."""
    counted = Counter({s.value: 0 for s in ClauseStatus})
    done = dict(db.session.execute(
        select(ClauseState.status, func.count(ClauseState.id))
        .where(ClauseState.edition == edition).group_by(ClauseState.status)).all())
    for status, n in done.items():
        counted[status.value] += n
    counted[ClauseStatus.NOT_STARTED.value] += len(clauses(edition)) - sum(done.values())
    return counted
