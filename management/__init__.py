"""The management system around the controls: clauses 4-10, risks, audits, reviews, findings."""

from flask import url_for

from isms.api import ALL_ROLES, register_nav_item, register_object_link
from management import record_views  # noqa: F401 (registers its routes)
from management.checks import register as register_checks
from management.views import bp

NAV = (  # (label, endpoint, the endpoints that highlight it, position)
    ("ISMS clauses", "management.clauses", ("clauses", "clause", "edit_clause"), 22),
    ("Risks", "management.risks", ("risks", "risk", "new_risk", "edit_risk"), 24),
    ("Internal audits and reviews", "management.audits", (
        "audits", "audit", "new_audit", "edit_audit", "reviews", "review", "new_review"), 26),
    ("Findings", "management.findings", ("findings", "finding", "new_finding",
                                         "edit_finding"), 28),
)


def init_app(app) -> None:
    """Register the management system's pages and their navigation."""
    app.register_blueprint(bp)
    register_checks(app)
    register_object_link(app, "risk", lambda ref: url_for("management.risk", ref=ref))
    register_object_link(app, "finding", lambda ref: url_for("management.finding",
                                                             finding_ref=ref))
    register_object_link(app, "clause", lambda object_id: url_for(
        "management.clause", clause_id=object_id.split(":")[-1]))
    register_object_link(app, "internal_audit", lambda i: url_for(
        "management.audit", audit_id=int(i)) if i.isdigit() else None)
    register_object_link(app, "management_review", lambda i: url_for(
        "management.review", management_review_id=int(i)) if i.isdigit() else None)
    for label, endpoint, matches, position in NAV:
        register_nav_item(app, label, endpoint, ALL_ROLES,
                          [f"management.{m}" for m in matches], position=position,
                          group="Management")
