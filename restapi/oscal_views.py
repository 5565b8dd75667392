"""OSCAL exports at /api/v1/oscal/<model> and as `isms oscal export MODEL --out FILE.json`."""

import json

import click
import marshmallow as ma
from flask import Response
from flask.cli import AppGroup

from isms.api import ALL_ROLES, EDITIONS, STAFF, get_organisation, token_allow
from restapi.oscal_documents import build_catalog, build_profile
from restapi.oscal_results import build_results
from restapi.oscal_ssp import NothingToExport, build_ssp
from restapi.spec import ApiBlueprint, problem

BUILDERS = {"catalog": build_catalog, "profile": build_profile, "ssp": build_ssp,
            "assessment-results": build_results}
bp = ApiBlueprint("restapi_oscal", __name__, url_prefix="/api/v1/oscal",
                  description="OSCAL 1.1 documents (JSON): catalog, profile (the SoA), system "
                              "security plan, assessment results.")
oscal_cli = AppGroup("oscal", help="OSCAL exports.")
DOCUMENT = {"type": "object", "description": "An OSCAL document (JSON)"}


class EditionArgs(ma.Schema):
    edition = ma.fields.String(validate=ma.validate.OneOf(sorted(EDITIONS)), metadata={
        "description": "Annex A edition; default: the organisation's"})


def export(model: str, edition: str | None = None) -> dict:
    """Build one OSCAL document for the edition (default: the organisation's)."""
    return BUILDERS[model](edition or get_organisation().edition)


def _answer(document: dict) -> Response:
    return Response(json.dumps(document, indent=1, ensure_ascii=False),
                    mimetype="application/json")


def _route(model: str, roles, summary: str):
    @token_allow(roles)
    @bp.arguments(EditionArgs, location="query", as_kwargs=True)
    @bp.response(200, DOCUMENT)
    def view(edition=None):
        try:
            return _answer(export(model, edition))
        except NothingToExport as error:
            return problem(409, str(error))

    view.__doc__ = summary
    view.__name__ = model.replace("-", "_")
    bp.route(f"/{model}", methods=["GET"], endpoint=view.__name__)(view)


_route("catalog", ALL_ROLES, "The Annex A catalog: groups and controls, identifiers and titles.")
_route("profile", ALL_ROLES, "The SoA: the applicable controls, each decision as properties.")
_route("ssp", STAFF, "The system security plan: company and AWS components, implementations.")
_route("assessment-results", STAFF, "AWS check results and reviews as observations and "
                                     "findings.")


@oscal_cli.command("export")
@click.argument("model", type=click.Choice(list(BUILDERS)))
@click.option("--edition", type=click.Choice(sorted(EDITIONS)),
              help="Annex A edition (default: the organisation's).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="The JSON file to write.")
def export_command(model, edition, out_path):
    """Write an OSCAL document: catalog, profile, ssp or assessment-results."""
    try:
        document = export(model, edition)
    except NothingToExport as error:
        raise click.ClickException(str(error)) from error
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1, ensure_ascii=False)
    click.echo(f"Wrote the OSCAL {model} to {out_path}.")
