"""Connectors: automated sources of evidence (AWS first), writing only through evidence.api."""

from connectors.aws import findings_views  # noqa: F401 (registers the findings upload)
from connectors.aws.cli import aws_cli
from connectors.aws.findings_cli import add_import_command
from connectors.aws.jobs import register_jobs
from connectors.aws.views import bp as aws_bp
from isms.api import STAFF, register_nav_item


def init_app(app) -> None:
    """Register the AWS pages, `isms aws`, the daily collection and its queued jobs."""
    app.register_blueprint(aws_bp)
    app.cli.add_command(aws_cli)
    add_import_command()
    register_nav_item(app, "AWS", "aws.index", STAFF, ["aws."], position=40, group="Evidence")
    register_jobs(app)
