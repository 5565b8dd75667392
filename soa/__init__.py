"""The Statement of Applicability as a document: workbook, issue and approval, diff, import,
the 2013 -> 2022 transition and the offline evidence package."""

from flask import url_for

from evidence.api import cli_group
from isms.api import ALL_ROLES, register_nav_item, register_object_link
from soa import import_views, views  # noqa: F401 (they register their routes)
from soa.checks import register as register_checks
from soa.cli import package_command, soa_cli, transition_command
from soa.views import bp


def init_app(app) -> None:
    """Register the SoA pages, `isms soa`, `isms transition` and `isms evidence package`."""
    app.register_blueprint(bp)
    app.cli.add_command(soa_cli)
    app.cli.add_command(transition_command)
    cli_group().add_command(package_command)  # as `isms evidence package`
    register_nav_item(app, "Statement of Applicability", "soa.index", ALL_ROLES, ["soa."],
                      position=40, group="Controls")
    register_checks(app)
    register_object_link(app, "soa_version", lambda number: url_for(
        "soa.version", number=int(number)) if number.isdigit() else None)
