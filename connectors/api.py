"""What other packages may ask of connectors: AWS check verdicts per control, the tile, demo."""

from datetime import date

from connectors.aws.demo import add_demo_connection as _add_demo_connection
from connectors.aws.queries import CheckVerdict, Tile, tile, verdicts_by_control


def check_verdicts(edition: str, control_ids=None) -> dict[str, list[CheckVerdict]]:
    """Return each control's AWS checks with their verdict over all accounts, in one query."""
    return verdicts_by_control(edition, control_ids)


def failing_checks(edition: str, control_ids=None) -> dict[str, list[CheckVerdict]]:
    """Return the AWS checks failing or in error (any account), per control, in one query."""
    return verdicts_by_control(edition, control_ids, failing_only=True)


def aws_tile() -> Tile:
    """Return the dashboard's AWS figures: checks passing, failing, erroring; accounts; last run."""
    return tile()


def add_demo_connection(owner_id: int, today: date) -> int:
    """Add the demo's AWS connection with two recorded runs; return its id (caller commits)."""
    return _add_demo_connection(owner_id, today)


__all__ = ["CheckVerdict", "Tile", "add_demo_connection", "aws_tile", "check_verdicts",
           "failing_checks"]
