"""The real app, wrapped so the benchmark can count SQL statements per request.

`gunicorn benchmarks.counted_wsgi:app` serves exactly what `wsgi:app` serves; a SQLAlchemy
listener counts the statements each request runs (including those a streamed body runs after
the headers went out) and appends "METHOD PATH COUNT" to a per-worker file in
BENCH_QUERY_LOG_DIR once the response is closed. The app itself knows nothing of this.
"""

import os

from sqlalchemy import event

from isms import create_app
from isms.db import db

_count = [0]


def _counted(*_args) -> None:
    _count[0] += 1


class QueryCounter:
    """WSGI middleware: reset the count when a request starts, log it when it is closed."""

    def __init__(self, wsgi_app, log_dir: str):
        self.wsgi_app, self.log_dir = wsgi_app, log_dir

    def __call__(self, environ, start_response):
        _count[0] = 0
        body = self.wsgi_app(environ, start_response)
        return _Closing(body, lambda: self._log(environ))

    def _log(self, environ) -> None:
        path = os.path.join(self.log_dir, f"queries-{os.getpid()}.log")
        with open(path, "a") as out:
            out.write(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']} {_count[0]}\n")


class _Closing:
    def __init__(self, body, on_close):
        self.body, self.on_close = body, on_close

    def __iter__(self):
        return iter(self.body)

    def close(self):
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.on_close()


def build():
    """Create the app and install the counting listener on its engine."""
    flask_app = create_app()
    with flask_app.app_context():
        event.listen(db.engine, "before_cursor_execute", _counted)
    return QueryCounter(flask_app, os.environ["BENCH_QUERY_LOG_DIR"])


app = build()
