"""What an auditor may see: the controls the lead put in scope, by catalog id."""

import re

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import delete, select

from isms.auth.models import AuditorScope, Role, User
from isms.catalog import EDITIONS, counterparts, get_edition
from isms.db import db


class ScopeError(ValueError):
    """A scope could not be understood; the message says why."""


def expand_scope(text: str, edition: str) -> list[str]:
    """Turn 'A.9, A.12.4, A.5.15' or 'all' into control ids (clauses/themes expand)."""
    tokens = [t for t in re.split(r"[\s,;]+", (text or "").strip()) if t]
    if not tokens:
        raise ScopeError("Choose what the auditor may see: 'all', clauses, themes or controls.")
    catalog = get_edition(edition)
    if [t.lower() for t in tokens] == ["all"]:
        return [i.control_id for i in catalog.items]
    chosen, unknown = [], []
    for token in tokens:
        ref = token if token.upper().startswith("A.") else f"A.{token}"
        ref = "A." + ref[2:]
        matches = [i.control_id for i in catalog.items
                   if i.control_id == ref or i.group_id == ref or i.objective_id == ref]
        if not matches:
            other = get_edition("2022" if edition == "2013" else "2013")
            matches = [ref] if other.get(ref) else []
        (chosen.extend(matches) if matches else unknown.append(token))
    if unknown:
        raise ScopeError(f"Not a clause, theme or control: {', '.join(unknown)}.")
    return list(dict.fromkeys(chosen))


def set_scope(user: User, control_ids) -> None:
    """Replace an auditor's scope (the caller commits)."""
    db.session.execute(delete(AuditorScope).where(AuditorScope.user_id == user.id))
    db.session.add_all(AuditorScope(user_id=user.id, control_id=c) for c in control_ids)


def scope_of(user_id: int) -> list[str]:
    return list(db.session.scalars(select(AuditorScope.control_id).where(
        AuditorScope.user_id == user_id).order_by(AuditorScope.control_id)))


def visible_control_ids() -> frozenset[str] | None:
    """The control ids (both editions) the current user may see, or None for no limit."""
    if not has_request_context() or not current_user.is_authenticated or (
            current_user.role is not Role.AUDITOR):
        return None
    if "isms_scope" not in g:
        ids = set(scope_of(current_user.id))
        for control_id in list(ids):  # a scope chosen in 2013 still holds after 2022
            edition = "2013" if control_id.count(".") == 3 else "2022"
            if edition in EDITIONS:
                ids.update(c.control_id for c in counterparts(edition, control_id))
        g.isms_scope = frozenset(ids)
    return g.isms_scope


def may_see(control_id: str) -> bool:
    """Say whether the current user may see this control."""
    visible = visible_control_ids()
    return visible is None or control_id in visible


def set_auditor_scope(user: User, text: str, edition: str) -> None:
    """Set an auditor's scope from 'all' or clause, theme and control ids."""
    set_scope(user, expand_scope(text, edition))
