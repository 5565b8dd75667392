"""An owner cannot reach another owner's objects by changing an id in the URL."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from isms.audit import AuditEvent
from isms.auth.models import Role, User
from isms.db import db

CONTROL = "A.9.1.1"


@pytest.fixture
def theirs(app, make_user):
    """Objects that belong to one owner: a control, evidence, a review, a follow-up, a request."""
    from controls.models import ControlState, FollowUp, ReviewOutcome
    from controls.requests import create_request
    from controls.reviews import NewFollowUp, record_review
    from evidence.models import EvidenceKind, EvidenceVersion
    from evidence.services import Content, create_item

    owner = make_user(Role.OWNER)
    auditor = make_user(Role.AUDITOR)
    today = date.today()
    with app.app_context():
        state = db.session.scalars(select(ControlState).filter_by(
            edition="2013", control_id=CONTROL)).one()
        state.owner_id = owner.id
        user = db.session.get(User, owner.id)
        item = create_item(title="Theirs", kind=EvidenceKind.FILE, owner_id=owner.id,
                           content=Content(stream=io.BytesIO(b"theirs"), file_name="t.txt"),
                           collected_on=today, valid_until=None, today=today,
                           actor_id=owner.id, refs=[("2013", CONTROL)],
                           audit_actor=str(owner.id))
        db.session.flush()
        version = db.session.scalars(select(EvidenceVersion).filter_by(item_id=item.id)).one()
        review = record_review(state, user, reviewed_on=today, notes="checked",
                               outcome=ReviewOutcome.EFFECTIVE, version_ids=[version.id],
                               today=today, follow_ups=[NewFollowUp("Fix", owner.id, today)],
                               audit_actor=str(owner.id))
        db.session.flush()
        request = create_request(state, db.session.get(User, auditor.id), "Show me",
                                 today + timedelta(days=5), today)
        db.session.commit()
        follow_up = db.session.scalar(select(FollowUp.id).filter_by(review_id=review.id))
        return {"item": item.id, "review": review.id, "follow_up": follow_up,
                "request": request.id}


def _event_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.parametrize("method,url", [
    ("GET", "/controls/A.9.1.1/edit"),
    ("POST", "/controls/A.9.1.1/edit"),
    ("GET", "/controls/A.9.1.1/reviews/new"),
    ("POST", "/controls/A.9.1.1/reviews/new"),
    ("GET", "/reviews/{review}/edit"),
    ("POST", "/reviews/{review}/edit"),
    ("POST", "/follow-ups/{follow_up}/done"),
    ("GET", "/evidence/{item}/versions/new"),
    ("POST", "/evidence/{item}/versions/new"),
    ("POST", "/evidence/{item}/links"),
    ("POST", "/evidence/{item}/links/2013/A.9.1.1/delete"),
    ("POST", "/evidence/{item}/delete"),
    ("POST", "/requests/{request}/answer"),
])
def test_another_owner_is_refused_and_nothing_changes(app, client, login_as, theirs, method,
                                                      url):
    login_as(Role.OWNER)  # a second owner, who owns nothing
    before = _event_count(app)
    data = {"csrf_token": client.csrf_token(), "notes": "mine now", "reason": "mine",
            "controls": "A.5.1.1", "answer": "mine", "applicability": "applicable",
            "outcome": "effective", "reviewed_on": date.today().isoformat()}
    response = client.open(url.format(**theirs), method=method,
                           data=data if method == "POST" else None)
    assert response.status_code == 403
    assert _event_count(app) == before


def test_the_owner_themselves_may_use_the_same_pages(app, client, login, theirs):
    with app.app_context():
        from controls.models import ControlState

        owner_id = db.session.scalars(select(ControlState.owner_id).filter_by(
            edition="2013", control_id=CONTROL)).one()
        email = db.session.get(User, owner_id).email
    from tests.conftest import UserInfo

    login(UserInfo(owner_id, email, Role.OWNER))
    for url in ("/controls/A.9.1.1/edit", "/controls/A.9.1.1/reviews/new",
                f"/reviews/{theirs['review']}/edit", f"/evidence/{theirs['item']}/versions/new"):
        assert client.get(url).status_code == 200, url
