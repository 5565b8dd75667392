"""A value the database refuses (a NUL character on PostgreSQL) is a 400 that says why."""

from sqlalchemy import func, select

from evidence.models import EvidenceItem
from isms.auth.models import Role, User
from isms.auth.tokens import create_token
from isms.db import db
from tests.conftest import is_postgres

REASON = "may not contain the NUL character"


def _items(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(EvidenceItem.id)))


def test_a_nul_character_is_refused_with_its_reason_and_keeps_nothing(app, client, login_as):
    login_as(Role.LEAD)
    searched = client.get("/evidence?q=a%00b")
    form = {"csrf_token": client.csrf_token(), "kind": "statement", "title": "Policy\x00",
            "text": "Approved.", "controls": "A.5.1.1", "collected_on": "2026-11-02"}
    before = _items(app)
    posted = client.post("/evidence/new", data=form, content_type="multipart/form-data")
    if is_postgres():  # PostgreSQL takes no NUL in text: refused, said, nothing kept
        for response in (searched, posted):
            assert response.status_code == 400
            assert REASON in response.get_data(as_text=True)
        assert _items(app) == before
    else:  # SQLite stores the character like any other
        assert searched.status_code == 200 and posted.status_code == 302
        assert _items(app) == before + 1


def test_the_api_answers_a_refused_value_with_a_problem_document(app, make_user, client):
    user = make_user(Role.LEAD)
    with app.app_context():
        token = create_token(db.session.get(User, user.id), "ci", "write", 30,
                             actor="system:test")
        db.session.commit()
    headers = {"Authorization": f"Bearer {token.secret}"}
    listed = client.get("/api/v1/evidence?q=%00", headers=headers)
    if is_postgres():
        assert listed.status_code == 400
        assert listed.mimetype == "application/problem+json"
        assert REASON in listed.json["detail"]
    else:
        assert listed.status_code == 200
