"""The application factory: config -> extensions -> auth/audit/errors -> features -> CLI."""

import os
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from isms import audit_views, auth, checks, cli, core, pause, security, settings, uploads
from isms.config import instance_path, load_config
from isms.db import db
from isms.db import init_app as init_db
from isms.lazy_migrate import init_migrations

csrf = CSRFProtect()
MIGRATIONS = str(Path(__file__).parent / "migrations")


def create_app(config: dict | None = None) -> Flask:
    """Build the app; never starts a scheduler or touches the database."""
    app = Flask("isms", instance_path=instance_path(config), instance_relative_config=True)
    app.url_map.converters["int"] = core.BoundedIntegerConverter  # before any route exists
    load_config(app, config)
    os.makedirs(app.instance_path, exist_ok=True)

    init_db(app)
    init_migrations(app, db, MIGRATIONS)
    auth.init_app(app)  # the guard runs before CSRF so anonymous requests meet the login page
    security.init_app(app)
    csrf.init_app(app)
    uploads.init_app(app)
    core.init_app(app)
    pause.init_app(app)
    app.register_blueprint(settings.bp)
    audit_views.init_app(app)
    checks.init_app(app)
    cli.init_app(app)
    _register_features(app)
    _template_helpers(app)
    return app


def _register_features(app: Flask) -> None:
    """The one place the shell knows its features; order follows the dependency chain."""
    import connectors
    import controls
    import coverage
    import evidence
    import management
    import restapi
    import soa

    for feature in (evidence, connectors, management, controls, coverage, soa, restapi):
        feature.init_app(app)


def _template_helpers(app: Flask) -> None:
    from isms.auth.models import Role
    from isms.history import label
    from isms.nav import (
        endpoint_url,
        home_url,
        is_current,
        is_current_entry,
        nav_for,
        nav_items_for,
        register_nav_item,
    )
    from isms.org import find_organisation

    staff = (Role.ADMIN, Role.LEAD)
    register_nav_item(app, "Users", "auth.users", staff, ["auth.users", "auth.new_user"],
                      position=90, group="Admin")
    register_nav_item(app, "Settings", "settings.organisation", staff, ["settings."],
                      position=95, group="Admin")
    register_nav_item(app, "Audit log", "audit.index", staff, ["audit."], position=85,
                      group="Audit")
    register_nav_item(app, "What doesn't add up", "checks.index", (*staff, Role.OWNER),
                      ["checks."], position=86, group="Audit")
    register_nav_item(app, "Account", "auth.account", Role, ["auth.account",
                      "auth.change_own_password", "auth.totp_setup", "auth.tokens"], position=99)

    @app.context_processor
    def _globals():
        return {"Role": Role, "organisation": find_organisation, "home_url": home_url,
                "nav_items_for": nav_items_for, "is_current": is_current,
                "nav_for": nav_for, "is_current_entry": is_current_entry,
                "endpoint_url": endpoint_url}

    app.add_template_filter(label, "label")  # the same words the audit history uses
