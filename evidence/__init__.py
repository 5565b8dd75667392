"""Evidence: items, versions, storage and expiry (filled in by the evidence work)."""


def init_app(app) -> None:
    """Register evidence's pages, commands and jobs (none yet)."""
