"""Controls: the decision on each Annex A control, responsibility, reviews and dashboard."""

from flask import url_for

from controls import (  # noqa: F401 (they register their routes)
    proposal_views,
    request_views,
    review_views,
    setup_views,
    source_views,
)
from controls.checks import register as register_checks
from controls.cli import controls_cli, demo_command
from controls.evidence_policy import refused_links
from controls.jobs import register_jobs
from controls.services import ensure_control_states
from controls.views import HISTORY_LABELS, bp
from evidence.api import register_link_policy
from isms.api import (
    ALL_ROLES,
    Role,
    register_field_labels,
    register_home,
    register_init_step,
    register_nav_item,
    register_object_link,
)


def init_app(app) -> None:
    """Register the control pages, `isms demo` and the init step that creates states."""
    app.register_blueprint(bp)
    app.cli.add_command(demo_command)
    app.cli.add_command(controls_cli)
    register_nav_item(app, "Dashboard", "controls.dashboard", ALL_ROLES, position=10)
    register_nav_item(app, "Controls", "controls.index", ALL_ROLES,
                      ["controls.index", "controls.detail", "controls.edit", "controls.sources"],
                      position=20, group="Controls")
    register_init_step(app, ensure_control_states)
    register_jobs(app)
    register_checks(app)
    register_link_policy(app, refused_links)
    register_field_labels(app, HISTORY_LABELS)
    register_object_link(app, "control", lambda object_id: url_for(
        "controls.detail", control_id=object_id.split(":")[-1]))
    register_nav_item(app, "My work", "controls.my_work", (Role.LEAD, Role.OWNER),
                      position=15)
    register_nav_item(app, "Evidence requests", "controls.requests_list", ALL_ROLES,
                      ["controls.requests_list"], position=35, group="Audit")
    register_home(app, (Role.OWNER,), "controls.my_work")
    register_home(app, (Role.AUDITOR,), "controls.requests_list")
