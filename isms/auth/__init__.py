"""Users, roles, login and the guard that every request passes."""

from flask import request, url_for
from flask_login import LoginManager, current_user

from isms.audit import actor_of, record_event
from isms.auth import (  # noqa: F401 (they add the account pages to the blueprint)
    account_views,
    token_views,
)
from isms.auth.cli import token_cli, user_cli
from isms.auth.guard import enforce
from isms.auth.models import Role, User, load_user
from isms.auth.views import bp
from isms.db import db
from isms.history import register_object_link

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


login_manager.user_loader(load_user)


def init_app(app) -> None:
    """Wire login, the guard, the auth pages and `isms user`."""
    login_manager.init_app(app)
    app.register_blueprint(bp)
    app.before_request(enforce)
    app.after_request(record_auditor_reads)
    app.cli.add_command(user_cli)
    app.cli.add_command(token_cli)
    register_object_link(app, "user", _user_link)


__all__ = ["Role", "User", "init_app"]


def _user_link(user_id: str) -> str | None:
    """People link to the user list only for those who may open it."""
    if current_user.is_authenticated and current_user.role in (Role.ADMIN, Role.LEAD):
        return url_for("auth.users") + f"#user-{user_id}"
    return None


def record_auditor_reads(response):
    """Every page an auditor reads and every file they download is an audit event."""
    if (request.method == "GET" and response.status_code == 200 and request.endpoint
            and request.endpoint != "static" and current_user.is_authenticated
            and current_user.role is Role.AUDITOR):
        download = "attachment" in response.headers.get("Content-Disposition", "")
        record_event("auditor.download" if download else "auditor.view", "page",
                     request.full_path.rstrip("?")[:128], actor=actor_of(current_user))
        db.session.commit()
    return response
