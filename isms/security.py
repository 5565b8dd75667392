"""Response headers that every page carries, and the idle session timeout."""

import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user

# No inline script or style anywhere: the pages need nothing but their own files.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


def add_security_headers(response):
    """Set the policies on every response (downloads keep their stricter sandbox policy)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config["ISMS_BASE_URL"].startswith("https://"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def expire_idle_sessions():
    """Sign a user out after ISMS_IDLE_MINUTES without a request."""
    if not current_user.is_authenticated:
        return None
    now = int(time.time())
    last = session.get("isms_seen", now)
    if now - last > current_app.config["ISMS_IDLE_MINUTES"] * 60:
        logout_user()
        session.clear()
        flash("You were signed out after a period of inactivity.", "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    session["isms_seen"] = now
    return None


def init_app(app) -> None:
    """Register the headers and the idle timeout."""
    app.after_request(add_security_headers)
    app.before_request(expire_idle_sessions)
