"""Fixtures for the API: tokens for users of each role, and a client that sends them."""

from dataclasses import dataclass

import pytest

from isms.auth.models import Role, User
from isms.auth.tokens import create_token
from isms.db import db


@dataclass(frozen=True)
class TokenUser:
    id: int
    email: str
    role: Role
    secret: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.secret}"}


@pytest.fixture
def make_token(app, make_user):
    """Create a user of a role (or take one) and a token for them; return both."""

    def make(role=Role.LEAD, token_scope="write", user=None, days=90, name="pipeline",  # noqa: S107
             **user_kwargs) -> TokenUser:
        user = user or make_user(role, **user_kwargs)
        with app.app_context():
            token = create_token(db.session.get(User, user.id), name, token_scope, days,
                                 actor="system:test")
            db.session.commit()
        return TokenUser(user.id, user.email, user.role, token.secret)

    return make


@pytest.fixture
def api(client):
    """Call the API with a token: api.get(token, path, ...), api.patch(...), ..."""

    class Caller:
        def __getattr__(self, method):
            def call(token: TokenUser | None, path: str, headers=None, **kwargs):
                sent = {**(token.headers if token else {}), **(headers or {})}
                kwargs.setdefault("csrf", False) if method == "post" else None
                return getattr(client, method)(path, headers=sent, **kwargs)

            return call

    return Caller()
