"""Flask-Migrate, imported on first use: Alembic is a quarter of a web worker's start-up.

A web worker never migrates, so `create_app` registers stand-ins: `app.extensions["migrate"]`
and the `isms db` command group import Flask-Migrate (and Alembic) when something first uses
them (`isms init`, `isms db ...`, `flask_migrate.upgrade()` in the tests), then behave as
Flask-Migrate's own.
"""

import click

SETTINGS = {"render_as_batch": True}


def init_migrations(app, db, directory: str) -> None:
    """Register the migration settings and the `isms db` group without importing Alembic."""
    app.extensions["migrate"] = _Settings(app, db, directory)
    app.cli.add_command(_DbGroup(app, name="db", help="Database migrations (Alembic)."))


def _load(app, db, directory: str):
    """Import Flask-Migrate, let it register itself on the app, return its settings object."""
    from flask_migrate import Migrate

    Migrate(app, db, directory=directory, **SETTINGS)
    return app.extensions["migrate"]


class _Settings:
    """Stands in for Flask-Migrate's settings until an attribute is asked for."""

    def __init__(self, app, db, directory: str):
        self._args = (app, db, directory)
        self._real = None

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._real is None:
            self._real = _load(*self._args)
        return getattr(self._real, name)


class _DbGroup(click.Group):
    """`isms db`: hands the command line to Flask-Migrate's own group, imported then."""

    def __init__(self, app, **kwargs):
        super().__init__(**kwargs)
        self._app = app

    def make_context(self, info_name, args, parent=None, **extra):
        from flask_migrate.cli import db as real_group

        self._app.extensions["migrate"].directory  # noqa: B018 (load the real settings first)
        return real_group.make_context(info_name, args, parent=parent, **extra)
