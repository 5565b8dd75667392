"""Response headers that every page carries, the idle session timeout, the client address."""

import ipaddress
import time

from flask import current_app, flash, g, redirect, request, session, url_for
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
    if g.get("isms_api_token") or not current_user.is_authenticated:
        return None  # API requests carry a token, not a session
    now = int(time.time())
    last = session.get("isms_seen", now)
    if now - last > current_app.config["ISMS_IDLE_MINUTES"] * 60:
        logout_user()
        session.clear()
        flash("You were signed out after a period of inactivity.", "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    session["isms_seen"] = now
    return None


def client_ip() -> str:
    """Return the client's address: X-Forwarded-For counts only when a trusted proxy sent it."""
    remote = request.remote_addr or ""
    trusted = trusted_networks(current_app.config["ISMS_TRUSTED_PROXIES"])
    if not _is_within(remote, trusted):
        return remote
    hops = [hop.strip() for header in request.headers.getlist("X-Forwarded-For")
            for hop in header.split(",") if hop.strip()]
    # Walk back from the nearest hop; the first one that is not our own proxy is the client.
    for hop in reversed(hops):
        if not _is_within(hop, trusted):
            return hop[:64]
    return hops[0][:64] if hops else remote


def trusted_networks(setting: str) -> tuple:
    """Parse ISMS_TRUSTED_PROXIES: addresses or networks separated by commas or spaces."""
    return tuple(ipaddress.ip_network(part, strict=False)
                 for part in setting.replace(",", " ").split())


def _is_within(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def init_app(app) -> None:
    """Register the headers and the idle timeout; a malformed proxy list stops the start."""
    trusted_networks(app.config["ISMS_TRUSTED_PROXIES"])
    app.after_request(add_security_headers)
    app.before_request(expire_idle_sessions)
