"""AWS pages: connections with their last run and checks, a check's snapshot and history."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from evidence.aws_forms import ConnectionForm
from evidence.aws_models import AwsConnection
from evidence.aws_queries import check_history, inherited_reports, overview
from evidence.aws_services import ConnectionValues, save_connection
from evidence.collectors.aws.registry import BY_ID
from evidence.services import EvidenceError
from evidence.storage import get_storage
from isms.api import (
    STAFF,
    Role,
    actor_of,
    allow,
    choices,
    db,
    form_status,
    list_assignable_owners,
)

bp = Blueprint("aws", __name__, url_prefix="/aws", template_folder="templates")
MANAGERS = frozenset({Role.LEAD, Role.ADMIN})
SNAPSHOT_LIMIT = 256 * 1024


@bp.route("")
@allow(STAFF)
def index():
    """List connections, their last run and each check's latest verdict."""
    return render_template("aws/index.html", rows=overview(), inherited=inherited_reports("aws"),
                           checks=len(BY_ID))


def _form_page(form, connection=None):
    form.owner_id.choices = choices(
        [("", "Choose")] + [(str(u.id), u.display_name) for u in list_assignable_owners()])
    if form.validate_on_submit():
        values = ConnectionValues(
            form.name.data, form.account_id.data, form.regions.data, int(form.owner_id.data),
            form.profile.data or "", form.role_arn.data or "", form.external_id.data or "",
            form.is_enabled.data)
        try:
            save_connection(values, connection, audit_actor=actor_of(current_user))
            db.session.commit()
        except EvidenceError as error:
            db.session.rollback()
            getattr(form, error.field or "name").errors.append(str(error))
        else:
            flash(f"AWS connection {values.name} saved.", "success")
            return redirect(url_for("aws.index"))
    return render_template("aws/connection_form.html", form=form,
                           connection=connection), form_status(form)


@bp.route("/connections/new", methods=["GET", "POST"])
@allow(MANAGERS)
def new_connection():
    """Add an AWS account to collect from."""
    return _form_page(ConnectionForm())


@bp.route("/connections/<int:connection_id>/edit", methods=["GET", "POST"])
@allow(MANAGERS)
def edit_connection(connection_id: int):
    """Change how an account is reached, or pause its collection."""
    connection = db.get_or_404(AwsConnection, connection_id)
    form = ConnectionForm(obj=connection)
    if not form.is_submitted():
        form.owner_id.data = str(connection.owner_id)
    return _form_page(form, connection)


@bp.route("/connections/<int:connection_id>/checks/<check_id>")
@allow(STAFF)
def check(connection_id: int, check_id: str):
    """Show a check's latest snapshot and its history of verdicts."""
    connection = db.get_or_404(AwsConnection, connection_id)
    definition = BY_ID.get(check_id) or abort(404)
    history = check_history(connection_id, check_id)
    snapshot = next((_read(v) for _, v in history if v is not None and v.storage_key), None)
    return render_template("aws/check.html", connection=connection, check=definition,
                           history=history, snapshot=snapshot)


def _read(version) -> str:
    """Return the stored snapshot text (small JSON, read whole)."""
    with get_storage().open(version.storage_key) as stream:
        return stream.read(SNAPSHOT_LIMIT).decode("utf-8", errors="replace")
