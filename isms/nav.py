"""The main menu: each package adds its own entries, the shell only renders them."""

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: frozenset
    # Endpoints (or blueprint prefixes ending in '.') that mark this entry as the current page.
    matches: tuple[str, ...]
    position: int
    group: str = ""  # the top-level menu it sits in; empty: a top-level link of its own


@dataclass(frozen=True)
class NavEntry:
    """A top-level entry: one link, or a menu (`<details>`) of several."""

    label: str
    items: tuple[NavItem, ...]

    @property
    def is_menu(self) -> bool:
        return len(self.items) > 1


MAX_TOP_LEVEL = 8


def register_nav_item(app, label: str, endpoint: str, roles, matches=(), *,
                      position: int, group: str = "") -> None:
    """Add a menu entry for the given roles, in a group menu when `group` is given."""
    items = app.extensions.setdefault("isms.nav", [])
    items.append(NavItem(label, endpoint, frozenset(roles), tuple(matches) or (endpoint,),
                         position, group))
    items.sort(key=lambda item: item.position)


def register_home(app, roles, endpoint: str) -> None:
    """Make `endpoint` the landing page of these roles (where their work is)."""
    homes = app.extensions.setdefault("isms.homes", {})
    for role in roles:
        homes[role] = endpoint


def nav_items_for(user) -> list[NavItem]:
    """Return the entries this user may see."""
    return [i for i in current_app.extensions.get("isms.nav", []) if user.role in i.roles]


def nav_for(user) -> list[NavEntry]:
    """The user's menu: top-level links and group menus, in position order."""
    entries: dict[str, list[NavItem]] = {}
    for item in nav_items_for(user):
        entries.setdefault(item.group or f"\0{item.label}", []).append(item)
    return [NavEntry(key.lstrip("\0"), tuple(items)) for key, items in entries.items()]


def is_current_entry(entry: NavEntry, endpoint: str | None) -> bool:
    return any(is_current(item, endpoint) for item in entry.items)


def is_current(item: NavItem, endpoint: str | None) -> bool:
    endpoint = endpoint or ""
    return any(endpoint == m or (m.endswith(".") and endpoint.startswith(m))
               for m in item.matches)


def endpoint_url(endpoint: str) -> str:
    """The address of an endpoint that takes no arguments (a menu entry, a list page), built
    once per process and mount point: it never changes while the app runs."""
    urls = current_app.extensions.setdefault("isms.endpoint_urls", {})
    key = (request.script_root, endpoint)
    if key not in urls:
        urls[key] = url_for(endpoint)
    return urls[key]


def home_url() -> str:
    """Return the user's home (their role's, else the first menu entry): the landing page."""
    homes = current_app.extensions.get("isms.homes", {})
    if current_user.is_authenticated and current_user.role in homes:
        return endpoint_url(homes[current_user.role])
    items = current_app.extensions.get("isms.nav", [])
    return endpoint_url(items[0].endpoint if items else "auth.users")
