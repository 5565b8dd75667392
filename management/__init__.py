"""The management system around the controls: clauses 4-10, risks, audits, reviews, findings."""

from isms.api import ALL_ROLES, register_nav_item
from management import record_views  # noqa: F401 (registers its routes)
from management.views import bp

NAV = (  # (label, endpoint, the endpoints that highlight it, position)
    ("ISMS", "management.clauses", ("clauses", "clause", "edit_clause"), 22),
    ("Risks", "management.risks", ("risks", "risk", "new_risk", "edit_risk"), 24),
    ("Audits", "management.audits", ("audits", "audit", "new_audit", "edit_audit", "reviews",
                                     "review", "new_review"), 26),
    ("Findings", "management.findings", ("findings", "finding", "new_finding",
                                         "edit_finding"), 28),
)


def init_app(app) -> None:
    """Register the management system's pages and their navigation."""
    app.register_blueprint(bp)
    for label, endpoint, matches, position in NAV:
        register_nav_item(app, label, endpoint, ALL_ROLES,
                          [f"management.{m}" for m in matches], position=position)
