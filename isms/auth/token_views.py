"""Personal access tokens on the Account page: list, create (shown once), revoke."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from isms.audit import actor_of
from isms.auth.forms import TokenForm
from isms.auth.guard import ALL_ROLES, allow
from isms.auth.models import ApiToken
from isms.auth.tokens import TokenError, create_token, list_tokens, revoke_token
from isms.auth.views import bp
from isms.db import db, utcnow
from isms.forms import form_status


@bp.route("/account/tokens", methods=["GET", "POST"])
@allow(ALL_ROLES, auditor_may_write=True)
def tokens():
    """List the user's tokens and create a new one; its secret is shown on this answer only."""
    form = TokenForm()
    if form.validate_on_submit():
        try:
            token = create_token(current_user._get_current_object(), form.name.data,
                                 form.scope.data, form.days.data,
                                 actor=actor_of(current_user))
        except TokenError as error:
            db.session.rollback()
            getattr(form, error.field or "name").errors.append(str(error))
        else:
            db.session.commit()
            return render_template("auth/token_created.html", token=token), 200, {
                "Cache-Control": "no-store"}
    return render_template("auth/tokens.html", form=form, tokens=list_tokens(current_user.id),
                           now=utcnow()), form_status(form)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@allow(ALL_ROLES, auditor_may_write=True)
def revoke(token_id: int):
    """Revoke one of the user's own tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if revoke_token(token, actor=actor_of(current_user)):
        db.session.commit()
        flash(f"Token “{token.name}” revoked; it no longer works.", "success")
    return redirect(url_for("auth.tokens"))
