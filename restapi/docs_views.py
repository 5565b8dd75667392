"""The OpenAPI description and a page that lists every operation, both public."""

from flask import Blueprint, current_app, jsonify, render_template

from isms.api import public

bp = Blueprint("restapi", __name__, url_prefix="/api/v1", template_folder="templates")


def spec_dict() -> dict:
    """The OpenAPI 3 description of this app's API."""
    return current_app.extensions["isms_api"].spec.to_dict()


@bp.route("/openapi.json")
@public
def openapi():
    """The OpenAPI 3 description (it tells what exists, never any data)."""
    return jsonify(spec_dict())


@bp.route("/docs")
@public
def docs():
    """Every operation with its parameters and answers, readable without any script."""
    spec = spec_dict()
    operations = [(path, method.upper(), operation)
                  for path, methods in spec["paths"].items()
                  for method, operation in methods.items() if method != "parameters"]
    return render_template("restapi/docs.html", spec=spec, operations=operations)
