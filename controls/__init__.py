"""Controls: the decision on each Annex A control, responsibility, dashboard and SoA."""

from controls import (  # noqa: F401 (they register their routes)
    request_views,
    review_views,
    setup_views,
    soa_import_views,
    soa_views,
)
from controls.cli import demo_command
from controls.jobs import register_jobs
from controls.services import ensure_control_states
from controls.soa_cli import package_command, soa_cli, transition_command
from controls.views import bp
from evidence.api import cli_group
from isms.api import ALL_ROLES, Role, register_init_step, register_nav_item


def init_app(app) -> None:
    """Register the control pages, `isms demo` and the init step that creates states."""
    app.register_blueprint(bp)
    app.cli.add_command(demo_command)
    app.cli.add_command(soa_cli)
    app.cli.add_command(transition_command)
    cli_group().add_command(package_command)  # as `isms evidence package`
    register_nav_item(app, "Dashboard", "controls.dashboard", ALL_ROLES, position=10)
    register_nav_item(app, "Controls", "controls.index", ALL_ROLES,
                      ["controls.index", "controls.detail", "controls.edit"], position=20)
    register_init_step(app, ensure_control_states)
    register_jobs(app)
    register_nav_item(app, "My work", "controls.my_work", (Role.LEAD, Role.OWNER),
                      position=15)
    register_nav_item(app, "Requests", "controls.requests_list", ALL_ROLES,
                      ["controls.requests_list"], position=35)
    register_nav_item(app, "SoA", "controls.soa", ALL_ROLES, ["controls.soa", "controls.soa_diff"],
                      position=40)
