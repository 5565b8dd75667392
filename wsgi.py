"""WSGI entry point: `gunicorn wsgi:app`."""

from isms import create_app

app = create_app()
