"""One guard for every request: a route is reachable only as its declaration allows."""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user, logout_user

from isms.auth.models import Role
from isms.auth.token_guard import enforce_token
from isms.auth.totp import is_totp_required
from isms.org import find_organisation, local_now

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Endpoints Flask creates for us; they serve only files from the static folders.
BUILTIN_PUBLIC = frozenset({"static"})
# Pages a user may still reach while they owe a new password or a second factor.
DETOUR_PAGES = frozenset({"auth.logout", "auth.change_own_password", "auth.totp_setup",
                          "auth.totp_qr"})


@dataclass(frozen=True)
class Access:
    """Who may use a view; attached to the view function by a decorator."""

    public: bool = False
    roles: frozenset = frozenset()
    auditor_may_write: bool = False
    # Public, but the view must refuse any request without a valid secret token.
    token_only: bool = False
    # An API route: a personal access token (Authorization: Bearer) is the only credential.
    api: bool = False


ALL_ROLES = frozenset(Role)
STAFF = frozenset({Role.ADMIN, Role.LEAD, Role.OWNER})
EDITORS = frozenset({Role.LEAD, Role.OWNER})


def _declare(access: Access) -> Callable:
    def decorate(view):
        view.isms_access = access
        return view

    return decorate


def public(view):
    """Declare a view reachable without login."""
    return _declare(Access(public=True))(view)


def token_public(view):
    """Declare a view reachable without login because a secret token in its URL guards it."""
    return _declare(Access(public=True, token_only=True))(view)


def allow(*roles: Role, auditor_may_write: bool = False) -> Callable:
    """Declare the roles that may use a view; auditors may POST only where said here."""
    return _declare(Access(roles=_flatten(roles), auditor_may_write=auditor_may_write))


def _flatten(roles) -> frozenset:
    flat = frozenset(r for group in roles for r in (group if isinstance(group, frozenset)
                                                     else (group,)))
    if not flat:
        raise ValueError("a declaration needs at least one role; use @public for open views")
    return flat


def token_allow(*roles: Role) -> Callable:
    """Declare an API route for the roles given; only a bearer token signs its requests in.

    A read token may use safe methods only; auditors never write, whatever their token.
    """
    return _declare(Access(roles=_flatten(roles), api=True))


def register_api_prefix(app, prefix: str) -> None:
    """Say that paths under `prefix` belong to the API, so unknown ones answer 404, not login."""
    app.extensions.setdefault("isms_api_prefixes", []).append(prefix.rstrip("/") + "/")


def is_api_path() -> bool:
    """Say whether this request's path lies under a registered API prefix."""
    prefixes = current_app.extensions.get("isms_api_prefixes", [])
    return any(request.path.startswith(p) or request.path + "/" == p for p in prefixes)


def access_for(endpoint: str | None) -> Access | None:
    """Return the declaration of an endpoint, or None when it has none."""
    if endpoint in BUILTIN_PUBLIC or (endpoint or "").endswith(".static"):
        return Access(public=True)
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "isms_access", None)


def enforce():
    """Stop the request unless the endpoint's declaration lets this user through."""
    access = access_for(request.endpoint)
    if access is not None and access.public:
        return None
    if access is not None and access.api:
        return enforce_token(access)
    if request.endpoint is None and is_api_path():
        return None  # routing answers 404 or 405; cookies never open the API
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=_current_path()))
    if not current_user.is_within_window(local_today()):
        logout_user()
        flash("Your auditor access window is closed.", "error")
        return redirect(url_for("auth.login"))
    if request.endpoint is None:
        return None  # let routing answer 404 or 405 for a signed-in user
    if access is None or current_user.role not in access.roles:
        abort(403, _role_reason(access))
    if (current_user.role is Role.AUDITOR and request.method not in SAFE_METHODS
            and not access.auditor_may_write):
        abort(403, "Auditors read the tracker; this would change it.")
    return _detour()


def _role_reason(access: Access | None) -> str:
    if access is None or not access.roles:
        return "This page is not open to anyone signed in."
    roles = [r.value for r in Role if r in access.roles]
    return (f"This is for the {' or the '.join(roles)}; you are signed in as "
            f"{current_user.role.value}.")


def _detour():
    """Send a user who owes a new password or a second factor to that page first."""
    if request.endpoint in DETOUR_PAGES:
        return None
    if current_user.must_change_password:
        flash("Choose a new password before you go on.", "info")
        return redirect(url_for("auth.change_own_password"))
    org = find_organisation()
    if (not current_user.has_totp and org is not None
            and is_totp_required(current_user, org.require_totp)):
        flash("Your organisation asks you to set up a second factor before you go on.", "info")
        return redirect(url_for("auth.totp_setup"))
    return None


def _current_path() -> str:
    path = request.full_path
    return path[:-1] if path.endswith("?") else path


def safe_next(target: str | None, fallback: str) -> str:
    """Return `target` if it is a path on this site, else `fallback`."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def local_today():
    """Return today's date in the organisation's time zone."""
    return local_now().date()
