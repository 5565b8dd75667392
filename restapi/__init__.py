"""The REST API at /api/v1: JSON for machines, signed in by personal access tokens only."""

from flask import Flask

from isms.api import register_api_prefix
from restapi import (
    audit_views,
    aws_views,
    controls_views,
    docs_views,
    evidence_views,
    management_views,
    oscal_views,
    soa_views,
)
from restapi.spec import API_PREFIX, IsmsApi, wrap_app_error_handlers

RESOURCES = (controls_views.bp, evidence_views.bp, soa_views.bp, management_views.bp,
             audit_views.bp, aws_views.bp, oscal_views.bp)
API_TITLE = "isms API"
API_VERSION = "v1"


def init_app(app: Flask) -> None:
    """Register the API's resources, its description and its error documents."""
    app.config.setdefault("API_TITLE", API_TITLE)
    app.config.setdefault("API_VERSION", API_VERSION)
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    api = IsmsApi(spec_kwargs={
        "info": {"description": "Controls, evidence, reviews, the SoA and the ISMS records, "
                                "for scripts and pipelines. Authenticate with a personal "
                                "access token: `Authorization: Bearer <token>`."},
        "servers": [{"url": "/"}],
    })
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "A personal access token"})
    api.spec.options["security"] = [{"bearer": []}]
    for blueprint in RESOURCES:
        api.register_blueprint(blueprint)
        app.extensions["csrf"].exempt(blueprint)  # no cookie session, so nothing to forge
    app.register_blueprint(docs_views.bp)
    app.extensions["isms_api"] = api
    register_api_prefix(app, API_PREFIX)
    wrap_app_error_handlers(app)
    app.cli.add_command(oscal_views.oscal_cli)
