"""Addresses of control pages, built from one prefix instead of a URL rule per control."""

from isms.api import endpoint_url


def control_url(control_id: str) -> str:
    """The page of a control: the list's address and the id (ids are letters, digits, . _ -,
    as isms.catalog checks), so lists of findings need no URL rule per row."""
    return f"{endpoint_url('controls.index')}/{control_id}"
