"""Who is asking and what they may see, for the API's views."""

from flask import g
from flask_login import current_user

from isms.api import get_organisation, visible_control_ids


def acting_user():
    """The token's user (services take the actor as an argument)."""
    return current_user._get_current_object()


def audit_actor() -> str:
    """The audit actor of this request: the user's id and the token's name."""
    return g.isms_actor


def edition() -> str:
    """The organisation's current Annex A edition."""
    return get_organisation().edition


def visible():
    """The control ids an auditor may see, or None for no limit."""
    return visible_control_ids()
