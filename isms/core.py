"""Health check and error pages."""

from flask import Blueprint, abort, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from sqlalchemy.exc import DataError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import BadRequest, Forbidden
from werkzeug.routing import IntegerConverter

from isms.auth.guard import public
from isms.db import db

bp = Blueprint("core", __name__)


@bp.route("/healthz")
@public
def healthz():
    """Answer 200 when the database answers, 503 when it does not; reveal nothing else."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


# Ids are 32-bit integers in the database; pages beyond this are never real.
MAX_ID = 2 ** 31 - 1
MAX_PAGE = 1_000_000
PAGING_ARGS = ("page", "per_page")


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` that stops at the largest id the database holds: larger answers 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def refuse_huge_pages():
    """A page number no list can reach answers 404 before any query is built."""
    for name in PAGING_ARGS:
        value = request.args.get(name, "")
        if value.strip().lstrip("+-").isdigit() and abs(int(value)) > MAX_PAGE:
            abort(404)


ERRORS = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your role does not allow this page or action."),
    404: ("Not found", "There is nothing at this address."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "The upload is larger than this tracker accepts."),
    500: ("Something went wrong", "The change was not saved. Try again, and tell the "
                                  "administrator if it keeps happening."),
    503: ("Unavailable", "The database is not answering. Try again in a moment."),
    507: ("No room to store", "The server has no room left to store this upload; nothing was "
                              "saved. Tell the administrator."),
}


def refused_value(error: DataError) -> str:
    """What to tell the sender of a value the database refused."""
    if "NUL" in str(error.orig):
        return ("Text may not contain the NUL character (\\0), which no keyboard types. "
                "Remove it and try again; nothing was changed.")
    return ("A value is outside what the database accepts (a number too large, a text too "
            "long or malformed); nothing was changed.")


def render_error(code: int, detail: str | None = None):
    """Render the error page for an HTTP status."""
    title, message = ERRORS.get(code, ERRORS[500])
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=title, detail=detail or message), code
    return render_template("errors/error.html", code=code, title=title,
                           message=detail or message), code


def init_app(app) -> None:
    """Register the health check and the error handlers."""
    app.register_blueprint(bp)
    app.before_request(refuse_huge_pages)

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_error(400, "The form had expired or was not sent from this site. "
                                 "Reload the page and try again.")

    for code in (404, 405, 413):
        app.register_error_handler(code, lambda error, code=code: render_error(code))

    @app.errorhandler(400)
    def _bad_request(error):
        # abort(400, "...") says what was wrong; a bare 400 keeps the generic message.
        own = error.description if error.description != BadRequest.description else None
        return render_error(400, own)

    @app.errorhandler(DataError)
    def _value_refused(error):
        # The database refused a value the request brought (PostgreSQL takes no NUL character
        # in text; an integer past its range): nothing is kept, and the sender is told why,
        # as a page or, under the API, as a problem document.
        db.session.rollback()
        app.logger.warning("value refused by the database: %s", error.orig)
        return app.handle_http_exception(BadRequest(refused_value(error)))

    @app.errorhandler(403)
    def _forbidden(error):
        # abort(403, "A.5.2 is owned by Jonas Maes.") says the real reason; bare abort(403)
        # keeps the generic message.
        own = error.description if error.description != Forbidden.description else None
        return render_error(403, own)

    @app.errorhandler(OperationalError)
    def _database_down(error):
        db.session.rollback()
        app.logger.error("database error: %s", error.orig)
        title, message = ERRORS[503]
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error=title, detail=message), 503
        # Not the usual layout: it reads the user and the organisation from the database.
        return render_template("errors/unavailable.html", code=503, title=title,
                               message=message), 503

    @app.errorhandler(500)
    def _server_error(error):
        db.session.rollback()
        return render_error(500)
