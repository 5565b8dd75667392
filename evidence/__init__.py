"""Evidence: items, immutable hashed versions, storage (local or S3), validity, expiry."""

from flask import url_for

from evidence import files  # noqa: F401 (registers the download and purge routes)
from evidence.cli import evidence_cli
from evidence.jobs import register_jobs
from evidence.maintenance import backup_store
from evidence.storage import StorageError
from evidence.views import bp
from isms.api import (
    ALL_ROLES,
    Role,
    db,
    register_blob_store,
    register_nav_item,
    register_object_link,
    render_error,
)


def init_app(app) -> None:
    """Register evidence's pages, `isms evidence` and the hourly sweep."""
    app.register_blueprint(bp)
    app.cli.add_command(evidence_cli)

    @app.errorhandler(StorageError)
    def _storage_down(error):
        db.session.rollback()
        app.logger.error("evidence storage: %s", error)
        return render_error(503, "The evidence store is not answering; nothing was changed. "
                                 "Try again in a moment.")

    register_nav_item(app, "Evidence", "evidence.index", ALL_ROLES,
                      ["evidence.index", "evidence.new", "evidence.detail",
                       "evidence.new_version"], position=30, group="Evidence")
    register_nav_item(app, "Purges", "evidence.purges", (Role.LEAD, Role.ADMIN),
                      ["evidence.purges"], position=80, group="Evidence")
    register_jobs(app)
    register_object_link(app, "evidence", lambda item_id: url_for(
        "evidence.detail", item_id=int(item_id)) if item_id.isdigit() else None)
    register_blob_store(app, backup_store())
