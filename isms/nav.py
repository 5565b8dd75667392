"""The main menu: each package adds its own entries, the shell only renders them."""

from dataclasses import dataclass

from flask import current_app, url_for


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: frozenset
    # Endpoints (or blueprint prefixes ending in '.') that mark this entry as the current page.
    matches: tuple[str, ...]
    position: int


def register_nav_item(app, label: str, endpoint: str, roles, matches=(), *,
                      position: int) -> None:
    """Add a menu entry for the given roles; the lowest position is the home page."""
    items = app.extensions.setdefault("isms.nav", [])
    items.append(NavItem(label, endpoint, frozenset(roles), tuple(matches) or (endpoint,),
                         position))
    items.sort(key=lambda item: item.position)


def nav_items_for(user) -> list[NavItem]:
    """Return the entries this user may see."""
    return [i for i in current_app.extensions.get("isms.nav", []) if user.role in i.roles]


def is_current(item: NavItem, endpoint: str | None) -> bool:
    endpoint = endpoint or ""
    return any(endpoint == m or (m.endswith(".") and endpoint.startswith(m))
               for m in item.matches)


def home_url() -> str:
    """Return the URL of the first menu entry, the landing page after login."""
    items = current_app.extensions.get("isms.nav", [])
    return url_for(items[0].endpoint) if items else url_for("auth.users")
