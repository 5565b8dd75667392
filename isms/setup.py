"""`isms init`: migrate, load the catalog, create the organisation, run features' steps."""

from collections.abc import Callable

from flask import current_app

from isms.audit import record_event
from isms.catalog import EDITIONS, forget_catalog
from isms.catalog.loader import load_catalog
from isms.config import write_secret_key
from isms.org import DEFAULT_ORGANISATION_NAME, ensure_organisation


class SetupError(RuntimeError):
    """`isms init` cannot do what was asked; the message says why."""


def register_init_step(app, step: Callable[[str], None]) -> None:
    """Add a feature's step, called with the edition in use, to every `isms init`."""
    app.extensions.setdefault("isms.init_steps", []).append(step)


def initialise(edition: str | None, name: str = DEFAULT_ORGANISATION_NAME) -> list[str]:
    """Bring the database to a usable state; safe to run again. Return what was done."""
    if edition is not None and edition not in EDITIONS:
        raise SetupError(f"Unknown edition {edition}; choose one of {', '.join(EDITIONS)}.")
    done = []
    changed = load_catalog()["changed"]
    forget_catalog()
    done.append(f"catalog: {changed} rows added or updated")
    org, created = ensure_organisation(
        name, edition or "2013", current_app.config["ISMS_TIMEZONE"]
    )
    if created:
        record_event("organisation.create", "organisation", org.id, actor="system:init",
                     after={"name": org.name, "edition": org.edition, "timezone": org.timezone})
        done.append(f"organisation created on the {org.edition} edition")
    elif edition is not None and edition != org.edition:
        raise SetupError(
            f"The organisation already uses the {org.edition} edition; `isms init` sets it "
            "only once. Moving to another edition is the transition's job."
        )
    for step in current_app.extensions.get("isms.init_steps", []):
        step(org.edition)
    if not current_app.config["ISMS_SECRET_KEY"] and write_secret_key(current_app.instance_path):
        done.append("secret key written to the instance folder")
    return done
