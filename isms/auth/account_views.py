"""A user's own account: password change and the optional second factor."""

from flask import Response, abort, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_user

from isms.auth.forms import CodeForm, PasswordChangeForm, PasswordConfirmForm
from isms.auth.guard import ALL_ROLES, allow
from isms.auth.services import UserError, change_password
from isms.auth.throttle import record_failure, seconds_locked, wait_message
from isms.auth.totp import (
    count_unused_recovery_codes,
    disable_totp,
    enable_totp,
    is_totp_required,
    new_secret,
    provisioning_uri,
    qr_svg,
)
from isms.auth.views import bp
from isms.db import db
from isms.forms import form_status
from isms.org import get_organisation
from isms.security import client_ip

# The secret being enrolled lives in the session until a code confirms it.
ENROLLING = "isms_totp_enrolling"


@bp.route("/account")
@allow(ALL_ROLES)
def account():
    """Show the user's sign-in settings."""
    user = current_user._get_current_object()
    return render_template(
        "auth/account.html", codes_left=count_unused_recovery_codes(user),
        totp_required=is_totp_required(user, get_organisation().require_totp),
        disable_form=PasswordConfirmForm())


@bp.route("/account/password", methods=["GET", "POST"])
@allow(ALL_ROLES, auditor_may_write=True)
def change_own_password():
    """Change one's password; every other session of this user ends."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if wait := _locked(user):
            return render_template("auth/password.html", form=form), 429, {
                "Retry-After": str(wait)}
        if not user.check_password(form.current.data):
            _count_failure(user, "password change")
            form.current.errors.append("The current password is not right.")
            return render_template("auth/password.html", form=form), 422
        try:
            change_password(user, form.current.data, form.new.data)
        except UserError as error:
            db.session.rollback()
            form.new.errors.append(str(error))
        else:
            db.session.commit()
            session.clear()  # a new session carrying the new stamp
            login_user(user)
            flash("Your password is changed; other sessions are signed out.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form), form_status(form)


@bp.route("/account/totp", methods=["GET", "POST"])
@allow(ALL_ROLES, auditor_may_write=True)
def totp_setup():
    """Enrol an authenticator app: show the secret, confirm it with a code."""
    user = current_user._get_current_object()
    if user.has_totp:
        return redirect(url_for("auth.account"))
    secret = session.get(ENROLLING) or new_secret()
    session[ENROLLING] = secret
    form = CodeForm()
    form.code.description = "The six digits your app shows now."
    if form.validate_on_submit():
        codes = enable_totp(user, secret, form.code.data)
        if codes is not None:
            db.session.commit()
            session.pop(ENROLLING, None)
            return render_template("auth/recovery_codes.html", codes=codes), 200, {
                "Cache-Control": "no-store"}
        form.code.errors.append("That code does not match; check the time on your phone.")
    uri = provisioning_uri(secret, user.email, get_organisation().name or "isms")
    return render_template("auth/totp_setup.html", form=form, secret=secret, uri=uri), \
        form_status(form)


@bp.route("/account/totp/qr.svg")
@allow(ALL_ROLES)
def totp_qr():
    """The secret being enrolled as a QR code, served from this site (no inline images)."""
    secret = session.get(ENROLLING)
    if not secret or current_user.has_totp:
        return redirect(url_for("auth.totp_setup"))
    uri = provisioning_uri(secret, current_user.email, get_organisation().name or "isms")
    return Response(qr_svg(uri), mimetype="image/svg+xml",
                    headers={"Cache-Control": "no-store"})


@bp.route("/account/totp/disable", methods=["POST"])
@allow(ALL_ROLES, auditor_may_write=True)
def totp_disable():
    """Turn the second factor off, unless the organisation requires it for this role."""
    user = current_user._get_current_object()
    if is_totp_required(user, get_organisation().require_totp):
        abort(403)
    form = PasswordConfirmForm()
    if _locked(user):
        return redirect(url_for("auth.account"))
    if form.validate_on_submit() and user.check_password(form.password.data):
        disable_totp(user, actor=str(user.id))
        db.session.commit()
        flash("The second factor is off.", "success")
    else:
        _count_failure(user, "second factor removal")
        flash("The password is not right; the second factor stays on.", "error")
    return redirect(url_for("auth.account"))


def _locked(user) -> int:
    """Seconds the account stays locked (wrong passwords here count like at sign-in)."""
    wait = seconds_locked(user.email, client_ip(), user)
    if wait:
        flash(wait_message(wait), "error")
    return wait


def _count_failure(user, reason: str) -> None:
    record_failure(user.email, client_ip(), user, reason)
    db.session.commit()
