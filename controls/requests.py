"""Evidence requests: an auditor asks, the control's owner answers, the auditor decides."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from controls.models import ControlState, EvidenceRequest, RequestStatus
from evidence.api import item_reach, link_items_to_control
from isms.api import Role, User, db, record_event, utcnow


class RequestError(ValueError):
    """A request cannot be made, answered or decided; the message says why."""


def create_request(state: ControlState, auditor: User, description: str, due_on: date | None,
                   today: date) -> EvidenceRequest:
    """Ask for evidence on a control (the caller checks scope and commits)."""
    if not (description or "").strip():
        raise RequestError("Say what evidence you need.")
    if due_on is None or due_on < today:
        raise RequestError("Give a due date, today or later.")
    request = EvidenceRequest(edition=state.edition, control_id=state.control_id,
                              auditor_id=auditor.id, owner_id=state.owner_id,
                              description=description.strip()[:4000], due_on=due_on)
    db.session.add(request)
    db.session.flush()
    record_event("request.create", "evidence_request", request.id, after={
        "control": state.control_id, "due_on": due_on, "description": request.description},
        actor=str(auditor.id))
    return request


def may_answer(request: EvidenceRequest, user: User) -> bool:
    return user.role is Role.LEAD or (user.role is Role.OWNER and request.owner_id == user.id)


def answer_request(request: EvidenceRequest, user: User, item_ids, comment: str) -> None:
    """Answer with evidence items; they are linked to the control as well."""
    if not may_answer(request, user):
        raise RequestError("Only the control's owner or the lead can answer this request.")
    if request.status not in (RequestStatus.OPEN, RequestStatus.REJECTED):
        raise RequestError("This request is not waiting for an answer.")
    ids = sorted({int(i) for i in item_ids if 0 < int(i) < 2 ** 31})
    if not ids:
        raise RequestError("Choose at least one piece of evidence.")
    reach = item_reach(ids, request.edition, request.control_id)
    if len(reach) != len(ids):
        raise RequestError("Some of those evidence items do not exist or are deleted.")
    if user.role is not Role.LEAD:
        beyond = [i for i in ids if reach[i][0] != user.id and not reach[i][1]]
        if beyond:
            raise RequestError(
                "You can answer only with evidence you own or that is already linked to "
                f"{request.control_id}; not with item {', '.join(f'#{i}' for i in beyond)}.")
    linked = link_items_to_control(ids, request.edition, request.control_id,
                                   audit_actor=str(user.id))
    if linked != len(ids):
        raise RequestError("Some of those evidence items do not exist or are deleted.")
    request.status, request.evidence_item_ids = RequestStatus.ANSWERED, ids
    request.answer, request.answered_by_id, request.answered_at = (
        (comment or "").strip()[:4000], user.id, utcnow())
    record_event("request.answer", "evidence_request", request.id,
                 after={"evidence_items": ids, "answer": request.answer}, actor=str(user.id))


def decide_request(request: EvidenceRequest, auditor: User, accept: bool, comment: str) -> None:
    """The auditor who asked accepts or rejects the answer."""
    if auditor.id != request.auditor_id:
        raise RequestError("Only the auditor who asked can accept or reject.")
    if request.status is not RequestStatus.ANSWERED:
        raise RequestError("Only an answered request can be accepted or rejected.")
    if not accept and not (comment or "").strip():
        raise RequestError("Say why the answer is rejected; the owner reads it.")
    request.status = RequestStatus.ACCEPTED if accept else RequestStatus.REJECTED
    request.decision_comment, request.decided_at = (comment or "").strip()[:4000], utcnow()
    record_event("request." + request.status.value, "evidence_request", request.id,
                 after={"comment": request.decision_comment}, actor=str(auditor.id))


def list_requests(user: User, status: str | None = None) -> list[EvidenceRequest]:
    """Auditors see their own requests, owners those on their controls, the lead all."""
    query = (select(EvidenceRequest).options(joinedload(EvidenceRequest.auditor),
                                             joinedload(EvidenceRequest.owner))
             .order_by(EvidenceRequest.due_on, EvidenceRequest.id))
    if user.role is Role.AUDITOR:
        query = query.where(EvidenceRequest.auditor_id == user.id)
    elif user.role is Role.OWNER:
        query = query.where(EvidenceRequest.owner_id == user.id)
    if status:
        query = query.where(EvidenceRequest.status == RequestStatus(status))
    return list(db.session.scalars(query))


def open_requests_by_owner() -> dict[int, list[EvidenceRequest]]:
    """Open (or rejected) requests, grouped by the owner who must answer."""
    found: dict[int, list[EvidenceRequest]] = {}
    for request in db.session.scalars(select(EvidenceRequest).where(
            EvidenceRequest.status.in_([RequestStatus.OPEN, RequestStatus.REJECTED]),
            EvidenceRequest.owner_id.is_not(None)).order_by(EvidenceRequest.due_on)):
        found.setdefault(request.owner_id, []).append(request)
    return found
