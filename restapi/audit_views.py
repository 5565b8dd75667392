"""The audit log, read only, with each event's hash and its predecessor's."""

from dataclasses import asdict

from isms.api import Role, list_events, token_allow
from restapi.paging import PAGING_HEADERS, paging_headers
from restapi.schemas import AuditEventSchema, AuditFilterArgs
from restapi.spec import ApiBlueprint

bp = ApiBlueprint("restapi_audit", __name__, url_prefix="/api/v1/audit-events",
                  description="The hash-chained audit log (lead and admin).")


@bp.route("", methods=["GET"], endpoint="events")
@token_allow(Role.LEAD, Role.ADMIN)
@bp.arguments(AuditFilterArgs, location="query", as_kwargs=True)
@bp.response(200, AuditEventSchema(many=True), headers=PAGING_HEADERS)
def events(page, per_page, **filters):
    """Events newest first, filtered as on the audit page (`*` matches anything)."""
    args = {("from" if k == "from_" else k): (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in filters.items()}
    rows, total = list_events(args, page, per_page)
    return [asdict(r) for r in rows], 200, paging_headers(total, page, per_page)
