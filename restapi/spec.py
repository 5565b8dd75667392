"""flask-smorest fitted to the shell: problem documents, multipart bodies, one spec per app.

flask-smorest plugs into our own Flask app as an extension (APIFlask would replace the app
class the shell builds), generates the OpenAPI 3 description from marshmallow schemas and the
view signatures, and validates requests with webargs.
"""

import http

import marshmallow as ma
from flask import current_app, jsonify, request
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response
from sqlalchemy.exc import OperationalError
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from isms.api import db

PROBLEM = "application/problem+json"
API_PREFIX = "/api/v1"


class ProblemSchema(ma.Schema):
    """An error as RFC 9457 problem details, with the fields at fault."""

    type = ma.fields.String(metadata={"description": "Always about:blank: the status says it"})
    title = ma.fields.String(required=True, metadata={"description": "The status in words"})
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(metadata={"description": "What went wrong, for people"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Raw(),
        metadata={"description": "Field name -> messages, for refused input"})


class MultipartParser(FlaskParser):
    """webargs with one more location: the fields and files of a multipart/form-data body."""

    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req, schema):
        data = req.form.copy()
        data.update(req.files)
        return self._makeproxy(data, schema)


class ApiBlueprint(Blueprint):
    """A smorest blueprint that knows multipart bodies."""

    ARGUMENTS_PARSER = MultipartParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING, "multipart": "multipart/form-data"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_error_handler(HTTPException, http_problem)
        self.register_error_handler(OperationalError, _database_down)


def _database_down(error):
    db.session.rollback()
    return problem(503, "The database is not answering. Try again in a moment.")


class IsmsApi(Api):
    """The API's spec and errors; the shell's pages keep their own error handling."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        """Errors are answered by `problem`, registered on the API's blueprints only."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error, as a problem document", "schema": ProblemSchema}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def problem(status: int, detail: str | None = None, errors: dict | None = None,
            headers: dict | None = None):
    """Return an application/problem+json response."""
    body = {"type": "about:blank", "title": http.HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    response.headers.update(headers or {})
    return response


def http_problem(error: HTTPException):
    """Turn any HTTP error raised in the API (or by its guard) into a problem document."""
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if isinstance(errors, dict) and len(errors) == 1 and next(iter(errors)) in (
            "json", "query", "multipart", "headers", "form", "files"):
        location, inner = next(iter(errors.items()))  # webargs nests errors by location
        errors = inner if isinstance(inner, dict) else {location: inner}
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    detail = data.get("message") or (error.description if error.code != 422 else
                                     "Some fields are not valid.")
    return problem(error.code or 500, detail, errors, headers)


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX + "/") or request.path == API_PREFIX


def wrap_app_error_handlers(app) -> None:
    """The shell's error pages answer API paths with problem documents instead.

    Flask prefers a handler registered for a status code anywhere over a blueprint's handler
    for a class, so the shell's own handlers are wrapped rather than shadowed.
    """
    for code, handlers in list(app.error_handler_spec[None].items()):
        if code is None:
            continue
        for exception_class, previous in list(handlers.items()):
            handlers[exception_class] = _api_aware(previous)


def _api_aware(previous):
    def handler(error):
        if not is_api_request():
            return previous(error)
        if getattr(error, "code", 500) >= 500:
            db.session.rollback()
        if getattr(error, "code", 500) == 500:
            current_app.logger.error("API request failed: %s", error)
            return problem(500, "Something went wrong; nothing was changed.")
        return http_problem(error)

    return handler
