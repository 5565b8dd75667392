"""What a control learns from AWS: inherited attestations by responsibility, failing checks.

The rule lives here rather than in copied evidence links, so a control that becomes `aws` or
`shared` later shows AWS's reports at once, and one that becomes `company` stops showing them.
"""

from connectors.api import aws_tile, check_verdicts, failing_checks
from controls.models import Responsibility
from evidence.api import inherited_evidence

INHERITING = frozenset({Responsibility.AWS, Responsibility.SHARED})


def inherits_from_aws(state) -> bool:
    """Say whether a control's responsibility puts part of it with AWS."""
    return state.responsibility in INHERITING


def inherited_for(state) -> list:
    """Return the AWS reports a control inherits (none for company-only controls)."""
    return inherited_evidence("aws") if inherits_from_aws(state) else []


def failing_checks_for(edition: str, control_id: str) -> list:
    """Return the AWS checks failing or in error for one control."""
    return failing_checks(edition, [control_id]).get(control_id, [])


def failing_checks_overview(edition: str) -> list[tuple]:
    """Return each failing check once with the controls it touches, for the dashboard."""
    grouped: dict[tuple, list[str]] = {}
    for control_id, flags in sorted(failing_checks(edition).items()):
        for flag in flags:
            grouped.setdefault(flag, []).append(control_id)
    return sorted(grouped.items(), key=lambda pair: (pair[0].connection, pair[0].check_id))


def checks_for(edition: str, control_id: str) -> list:
    """Return every AWS check that gives the control evidence, with its latest verdict."""
    return check_verdicts(edition, [control_id]).get(control_id, [])


def failing_checks_of(edition: str, control_ids) -> list[tuple]:
    """Return each failing check of the given controls once, with those controls."""
    grouped: dict[tuple, list[str]] = {}
    for control_id, flags in sorted(failing_checks(edition, control_ids).items()):
        for flag in flags:
            grouped.setdefault(flag, []).append(control_id)
    return sorted(grouped.items(), key=lambda pair: (pair[0].connection, pair[0].check_id))


def dashboard_tile():
    """Return the AWS figures for the dashboard, or None when no connection exists."""
    figures = aws_tile()
    return figures if figures.connections else None
