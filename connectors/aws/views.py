"""AWS pages: connections, test and run now, a run's progress, a check's snapshot and history."""

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from connectors.aws.collectors.reachability import test_reach
from connectors.aws.collectors.registry import BY_ID
from connectors.aws.forms import ConnectionForm, FindingsForm
from connectors.aws.models import AwsConnection, AwsRun
from connectors.aws.queries import check_history, overview, progress, run_accounts
from connectors.aws.runs import queue_run, start_run
from connectors.aws.services import ConnectionValues, ConnectorError, save_connection, target_of
from evidence.api import inherited_evidence, read_blob
from isms.api import STAFF, Role, allow, choices, db, form_status, list_assignable_owners

bp = Blueprint("aws", __name__, url_prefix="/aws", template_folder="templates")
MANAGERS = frozenset({Role.LEAD, Role.ADMIN})
SNAPSHOT_LIMIT = 256 * 1024


@bp.route("")
@allow(STAFF)
def index():
    """List connections, their recent runs and each check's latest verdict."""
    return render_template("aws/index.html", rows=overview(), inherited=inherited_evidence("aws"),
                           checks=len(BY_ID), findings_form=FindingsForm())


def _form_page(form, connection=None):
    form.owner_id.choices = choices(
        [("", "Choose")] + [(str(u.id), u.display_name) for u in list_assignable_owners()])
    if form.validate_on_submit():
        values = ConnectionValues(
            form.name.data, form.account_id.data, form.regions.data, int(form.owner_id.data),
            form.profile.data or "", form.role_arn.data or "", form.external_id.data or "",
            form.is_enabled.data, form.is_organization.data, form.role_name.data or "",
            form.include_ids.data or "", form.exclude_ids.data or "")
        try:
            save_connection(values, connection, audit_actor=str(current_user.id))
            db.session.commit()
        except ConnectorError as error:
            db.session.rollback()
            for field, message in error.errors.items():
                getattr(form, field).errors.append(message)
        else:
            flash(f"AWS connection {values.name} saved.", "success")
            return redirect(url_for("aws.index"))
    return render_template("aws/connection_form.html", form=form,
                           connection=connection), form_status(form)


@bp.route("/connections/new", methods=["GET", "POST"])
@allow(MANAGERS)
def new_connection():
    """Add an AWS account, or a whole organization, to collect from."""
    return _form_page(ConnectionForm())


@bp.route("/connections/<int:connection_id>/edit", methods=["GET", "POST"])
@allow(MANAGERS)
def edit_connection(connection_id: int):
    """Change how an account is reached, or pause its collection."""
    connection = db.get_or_404(AwsConnection, connection_id)
    form = ConnectionForm(obj=connection)
    if not form.is_submitted():
        form.owner_id.data = str(connection.owner_id)
        form.is_organization.data = connection.is_organization
    return _form_page(form, connection)


@bp.route("/connections/<int:connection_id>/test", methods=["POST"])
@allow(MANAGERS)
def test_connection(connection_id: int):
    """Say who the credentials are and which services answer or deny, on the page."""
    connection = db.get_or_404(AwsConnection, connection_id)
    reaches = test_reach(target_of(connection), connection.is_organization)
    return render_template("aws/test.html", connection=connection, reaches=reaches)


@bp.route("/connections/<int:connection_id>/run", methods=["POST"])
@allow(MANAGERS)
def run_now(connection_id: int):
    """Start a collection in the background and show its progress."""
    connection = db.get_or_404(AwsConnection, connection_id)
    run = start_run(connection, trigger="web", actor=str(current_user.id))
    db.session.commit()
    queue_run(run.id)
    return redirect(url_for("aws.run", run_id=run.id))


@bp.route("/runs/<int:run_id>")
@allow(STAFF)
def run(run_id: int):
    """Show a run's progress (refreshing itself until done) and its accounts."""
    found = db.get_or_404(AwsRun, run_id)
    connection = db.session.get(AwsConnection, found.connection_id)
    return render_template("aws/run.html", run=found, connection=connection,
                           progress=progress(run_id), accounts=run_accounts(run_id))


@bp.route("/connections/<int:connection_id>/checks/<check_id>")
@allow(STAFF)
def check(connection_id: int, check_id: str):
    """Show a check's latest snapshot and its history of verdicts."""
    connection = db.get_or_404(AwsConnection, connection_id)
    definition = BY_ID.get(check_id) or abort(404)
    history = check_history(connection_id, check_id)
    snapshot = next((read_blob(v.storage_key, SNAPSHOT_LIMIT) for _, v in history
                     if v is not None and v.storage_key), None)
    return render_template("aws/check.html", connection=connection, check=definition,
                           history=history, snapshot=snapshot)


@bp.route("/guide")
@allow(STAFF)
def guide():
    """Show the AWS guide (docs/aws.md) as a page."""
    from markdown_it import MarkdownIt

    path = Path(current_app.root_path).parent / "docs" / "aws.md"
    if not path.is_file():
        abort(404)
    # The guide is our own file; raw HTML in it is still not rendered.
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(
        path.read_text(encoding="utf-8"))
    return render_template("aws/guide.html", html=html)
