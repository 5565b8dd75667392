"""Controls from other sources (ISO/IEC 27001 6.1.3 b): add a ready set or a custom control."""

from controls.services import ensure_control_states
from isms.api import (
    CONTROL_SETS,
    CatalogError,
    User,
    add_control_set,
    add_custom_control,
    get_organisation,
    record_event,
)

RESERVED_IDS = {"sources"}  # /controls/<id> would be this page, not the control


def _actor(actor: User | None, audit_actor: str | None) -> str | None:
    return audit_actor or (str(actor.id) if actor else None)


def enable_control_set(key: str, actor: User | None, audit_actor: str | None = None) -> list[str]:
    """Add a ready set (e.g. iso27017) with undecided states; return the ids added."""
    added = add_control_set(key)
    if added:
        edition = get_organisation().edition
        ensure_control_states(edition)
        record_event("controls.add_set", "control_set", key,
                     after={"source": CONTROL_SETS[key].source, "controls": added,
                            "edition": edition}, actor=_actor(actor, audit_actor))
    return added


def add_control(control_id: str, title: str, source: str, actor: User | None,
                audit_actor: str | None = None) -> str:
    """Add one custom control with an undecided state; return its id."""
    if control_id.strip().lower() in RESERVED_IDS:
        raise CatalogError(f"{control_id.strip()} is taken by a page; choose another id.")
    control_id = add_custom_control(control_id, title, source)
    edition = get_organisation().edition
    ensure_control_states(edition)
    record_event("controls.add", "control", f"{edition}:{control_id}",
                 after={"title": title.strip(), "source": source.strip()},
                 actor=_actor(actor, audit_actor))
    return control_id
