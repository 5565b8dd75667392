"""Alembic environment: run migrations on the Flask app's engine and metadata."""

from alembic import context
from flask import current_app

db = current_app.extensions["migrate"].db


def run_offline() -> None:
    """Emit SQL for the configured URL without connecting."""
    context.configure(url=db.engine.url, target_metadata=db.metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Apply migrations in one transaction on a live connection."""
    with db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=db.metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
