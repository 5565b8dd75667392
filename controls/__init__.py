"""Controls: the decision on each Annex A control, responsibility, dashboard and SoA."""

from controls.cli import demo_command
from controls.services import ensure_control_states
from controls.views import bp
from isms.api import register_init_step


def init_app(app) -> None:
    """Register the control pages, `isms demo` and the init step that creates states."""
    app.register_blueprint(bp)
    app.cli.add_command(demo_command)
    register_init_step(app, ensure_control_states)
