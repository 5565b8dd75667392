"""Login, logout and user administration."""

import time

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from isms.auth.forms import CodeForm, LoginForm, ResetForm, UserForm
from isms.auth.guard import ALL_ROLES, allow, local_today, public, safe_next
from isms.auth.models import Role, User, load_user
from isms.auth.scope import ScopeError, expand_scope, scope_of, set_scope
from isms.auth.services import (
    UserError,
    create_user,
    get_user_by_email,
    list_users,
    normalise_email,
    note_login,
    password_matches,
    reset_password,
    set_enabled,
)
from isms.auth.throttle import record_failure, seconds_locked, wait_message
from isms.auth.totp import accept_code, disable_totp, use_recovery_code
from isms.db import db
from isms.forms import choices, form_status
from isms.nav import home_url
from isms.org import get_organisation
from isms.security import client_ip

bp = Blueprint("auth", __name__)

GENERIC_LOGIN_ERROR = "Invalid email or password."
# The session key that holds a sign-in waiting for its second factor, and for how long.
PENDING = "isms_pending_login"
PENDING_SECONDS = 300


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Sign a user in; one message for every wrong email or password."""
    home = home_url()
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), home))
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    email, ip = normalise_email(form.email.data), client_ip()
    user = get_user_by_email(email)
    wait = seconds_locked(email, ip, user)
    if wait:
        return _too_many(form, wait)
    matches = password_matches(user, form.password.data)  # as slow for unknown emails
    if user is None or not user.is_active or not matches:
        record_failure(email, ip, user, "password")
        db.session.commit()
        flash(GENERIC_LOGIN_ERROR, "error")
    elif not user.is_within_window(local_today()):
        flash(f"Your auditor access runs from {user.valid_from:%d %b %Y} to "
              f"{user.valid_until:%d %b %Y}; it is not open today.", "error")
    elif user.has_totp:
        session.clear()
        session[PENDING] = {"user": user.get_id(), "at": int(time.time()),
                            "next": form.next.data or ""}
        return redirect(url_for("auth.login_code"))
    else:
        return _finish_login(user, form.next.data)
    return render_template("auth/login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
@public
def login_code():
    """Ask for the second factor of a user whose password was right a moment ago."""
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash("Sign in again.", "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("auth/login_code.html", form=form), form_status(form)
    ip = client_ip()
    wait = seconds_locked(user.email, ip, user)
    if wait:
        session.pop(PENDING, None)
        return _too_many(form, wait, "auth/login_code.html")
    if accept_code(user, form.code.data) or use_recovery_code(user, form.code.data):
        return _finish_login(user, session[PENDING]["next"])
    record_failure(user.email, ip, user, "second factor")
    db.session.commit()
    form.code.errors.append("That code is not right.")
    return render_template("auth/login_code.html", form=form), 422


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    user = load_user(pending["user"])
    return user


def _too_many(form, wait: int, template: str = "auth/login.html"):
    flash(wait_message(wait), "error")
    response = make_response(render_template(template, form=form), 429)
    response.headers["Retry-After"] = str(wait)
    return response


def _finish_login(user: User, next_url: str | None):
    session.clear()  # a fresh session at login: nothing from before carries over
    login_user(user)
    note_login(user)
    db.session.commit()
    return redirect(safe_next(next_url, home_url()))


@bp.route("/logout", methods=["POST"])
@allow(ALL_ROLES, auditor_may_write=True)
def logout():
    """Sign out and end the session on the server: a copied cookie no longer works."""
    # The stamp in every session cookie of this user stops matching (other devices too).
    current_user.session_stamp += 1
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/users")
@allow(Role.ADMIN, Role.LEAD)
def users():
    """List users; admins manage everyone, the lead invites owners and auditors."""
    users = list_users()
    scopes = {u.id: len(scope_of(u.id)) for u in users if u.role is Role.AUDITOR}
    return render_template("auth/users.html", users=users, scopes=scopes)


@bp.route("/users/new", methods=["GET", "POST"])
@allow(Role.ADMIN, Role.LEAD)
def new_user():
    """Create a user; the lead may only invite control owners and auditors."""
    form = UserForm()
    if current_user.role is Role.LEAD:
        form.role.choices = choices([(Role.OWNER.value, "Owner"),
                                     (Role.AUDITOR.value, "Auditor")])
    if form.validate_on_submit():
        try:
            scope = (expand_scope(form.scope.data, get_organisation().edition)
                     if form.role.data == Role.AUDITOR.value else [])
            user = create_user(
                form.email.data, Role(form.role.data), form.password.data, name=form.name.data,
                valid_from=form.valid_from.data, valid_until=form.valid_until.data,
                today=local_today(), actor=str(current_user.id),
            )
            set_scope(user, scope)
        except ScopeError as error:
            form.scope.errors.append(str(error))
        except UserError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{user.email} can now sign in as {user.role.value}.", "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form), form_status(form)


def _managed_user(user_id: int) -> User:
    """Return a user the current admin or lead may manage: the lead manages auditors only."""
    user = db.get_or_404(User, user_id)
    if current_user.role is Role.LEAD and user.role is not Role.AUDITOR:
        abort(403)
    return user


@bp.route("/users/<int:user_id>/enabled", methods=["POST"])
@allow(Role.ADMIN, Role.LEAD)
def toggle_user(user_id: int):
    """Enable or disable a login; the lead may only revoke or restore auditors."""
    user = _managed_user(user_id)
    if user.id == current_user.id:
        flash("You cannot disable your own account.", "error")
        return redirect(url_for("auth.users"))
    set_enabled(user, request.form.get("enabled") == "1", actor=str(current_user.id))
    db.session.commit()
    flash(f"{user.email} is now {'enabled' if user.is_enabled else 'disabled'}.", "success")
    return redirect(url_for("auth.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@allow(Role.ADMIN, Role.LEAD)
def reset_user_password(user_id: int):
    """Give a user a temporary password (shown once); the lead may only reset auditors."""
    user = _managed_user(user_id)
    if user.id == current_user.id:
        flash("Change your own password from your account page.", "error")
        return redirect(url_for("auth.users"))
    form = ResetForm()
    if not form.validate_on_submit():
        abort(400)
    temporary = reset_password(user, actor=str(current_user.id))
    if form.remove_totp.data:
        disable_totp(user, actor=str(current_user.id))
    db.session.commit()
    response = make_response(render_template("auth/temporary_password.html", user=user,
                                             temporary=temporary))
    response.headers["Cache-Control"] = "no-store"
    return response
