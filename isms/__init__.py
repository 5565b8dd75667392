"""isms: the app shell and the standard (catalog, auth, audit, scheduler, CLI)."""

from isms.app import create_app

__all__ = ["create_app"]
