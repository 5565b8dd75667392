"""Clause and control references as people type them: '6.1.2, A.9.2.1'."""

import re

from isms.api import clause_ids, get_edition


class RefError(ValueError):
    """Some references name no clause or control of the edition."""


def split_refs(text: str) -> list[str]:
    """Split free text on commas, semicolons and white space."""
    return [t for t in re.split(r"[\s,;]+", (text or "").strip()) if t]


def parse_refs(text: str, edition: str, *, clauses: bool = True) -> list[str]:
    """Return the canonical clause and control ids in the text, in order, or raise RefError."""
    catalog, known_clauses = get_edition(edition), clause_ids(edition)
    found, unknown = [], []
    for token in split_refs(text):
        if clauses and token in known_clauses:
            found.append(token)
            continue
        control = token if token.upper().startswith("A.") else f"A.{token}"
        control = "A." + control[2:]
        if catalog.get(control):
            found.append(control)
        else:
            unknown.append(token)
    if unknown:
        kinds = "clause or control" if clauses else "control"
        raise RefError(f"Not a {kinds} of ISO/IEC 27001:{edition}: {', '.join(unknown)}.")
    return list(dict.fromkeys(found))


def control_refs(refs) -> list[str]:
    """Keep the Annex A control ids among canonical refs."""
    return [r for r in refs if r.startswith("A.")]
