"""Controls: the decision on each Annex A control, responsibility, reviews and dashboard."""

from controls import (  # noqa: F401 (they register their routes)
    request_views,
    review_views,
    setup_views,
    source_views,
)
from controls.cli import controls_cli, demo_command
from controls.jobs import register_jobs
from controls.services import ensure_control_states
from controls.views import bp
from isms.api import ALL_ROLES, Role, register_init_step, register_nav_item


def init_app(app) -> None:
    """Register the control pages, `isms demo` and the init step that creates states."""
    app.register_blueprint(bp)
    app.cli.add_command(demo_command)
    app.cli.add_command(controls_cli)
    register_nav_item(app, "Dashboard", "controls.dashboard", ALL_ROLES, position=10)
    register_nav_item(app, "Controls", "controls.index", ALL_ROLES,
                      ["controls.index", "controls.detail", "controls.edit", "controls.sources"],
                      position=20)
    register_init_step(app, ensure_control_states)
    register_jobs(app)
    register_nav_item(app, "My work", "controls.my_work", (Role.LEAD, Role.OWNER),
                      position=15)
    register_nav_item(app, "Requests", "controls.requests_list", ALL_ROLES,
                      ["controls.requests_list"], position=35)
