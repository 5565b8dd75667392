"""Login, logout and user administration."""

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from isms.auth.forms import LoginForm, UserForm
from isms.auth.guard import ALL_ROLES, allow, local_today, public, safe_next
from isms.auth.models import Role, User
from isms.auth.scope import ScopeError, expand_scope, scope_of, set_scope
from isms.auth.services import (
    UserError,
    create_user,
    get_user_by_email,
    list_users,
    note_login,
    set_enabled,
)
from isms.db import db
from isms.forms import choices, form_status
from isms.nav import home_url
from isms.org import get_organisation

bp = Blueprint("auth", __name__)

GENERIC_LOGIN_ERROR = "Invalid email or password."


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Sign a user in; one message for every wrong email or password."""
    home = home_url()
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), home))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = get_user_by_email(form.email.data)
        if user is None or not user.is_active or not user.check_password(form.password.data):
            flash(GENERIC_LOGIN_ERROR, "error")
        elif not user.is_within_window(local_today()):
            flash(f"Your auditor access runs from {user.valid_from:%d %b %Y} to "
                  f"{user.valid_until:%d %b %Y}; it is not open today.", "error")
        else:
            session.clear()  # a fresh session at login: nothing from before carries over
            login_user(user)
            note_login(user)
            db.session.commit()
            return redirect(safe_next(form.next.data, home))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@allow(ALL_ROLES, auditor_may_write=True)
def logout():
    """Sign out and forget the session."""
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
                today=local_today(),
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


@bp.route("/users/<int:user_id>/enabled", methods=["POST"])
@allow(Role.ADMIN, Role.LEAD)
def toggle_user(user_id: int):
    """Enable or disable a login; the lead may only revoke or restore auditors."""
    user = db.get_or_404(User, user_id)
    if current_user.role is Role.LEAD and user.role is not Role.AUDITOR:
        abort(403)
    if user.id == current_user.id:
        flash("You cannot disable your own account.", "error")
        return redirect(url_for("auth.users"))
    set_enabled(user, request.form.get("enabled") == "1")
    db.session.commit()
    flash(f"{user.email} is now {'enabled' if user.is_enabled else 'disabled'}.", "success")
    return redirect(url_for("auth.users"))
