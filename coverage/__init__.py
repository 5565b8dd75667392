"""Coverage of frameworks mapped to ISO/IEC 27001 (NIS2 first), computed from the SoA."""

from controls.api import register_digest_section
from coverage.cli import register_commands
from coverage.drops import digest_sections
from coverage.views import bp
from isms.api import ALL_ROLES, register_nav_item


def init_app(app) -> None:
    """Register the coverage pages, `isms <framework> coverage` and the digest section."""
    app.register_blueprint(bp)
    register_commands(app)
    register_digest_section(app, digest_sections)
    register_nav_item(app, "Frameworks", "coverage.index", ALL_ROLES, ["coverage."],
                      position=45, group="Controls")
