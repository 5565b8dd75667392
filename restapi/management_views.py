"""Risks and findings, read only."""

from dataclasses import asdict

from isms.api import ALL_ROLES, token_allow
from management.api import list_findings, list_risks
from restapi.context import edition
from restapi.paging import PAGING_HEADERS, paging_headers
from restapi.schemas import FindingFilterArgs, FindingSchema, RiskFilterArgs, RiskSchema
from restapi.spec import ApiBlueprint

bp = ApiBlueprint("restapi_management", __name__, url_prefix="/api/v1",
                  description="The ISMS around the controls: the risk register and findings.")


@bp.route("/risks", methods=["GET"], endpoint="risks")
@token_allow(ALL_ROLES)
@bp.arguments(RiskFilterArgs, location="query", as_kwargs=True)
@bp.response(200, RiskSchema(many=True), headers=PAGING_HEADERS)
def risks(page, per_page, **filters):
    """The risk register, highest level first, filtered as on its page."""
    rows, total = list_risks(edition(), filters, page, per_page)
    return [asdict(r) for r in rows], 200, paging_headers(total, page, per_page)


@bp.route("/findings", methods=["GET"], endpoint="findings")
@token_allow(ALL_ROLES)
@bp.arguments(FindingFilterArgs, location="query", as_kwargs=True)
@bp.response(200, FindingSchema(many=True), headers=PAGING_HEADERS)
def findings(page, per_page, **filters):
    """Findings (nonconformities, observations, opportunities), newest first."""
    rows, total = list_findings(filters, page, per_page)
    return [asdict(r) for r in rows], 200, paging_headers(total, page, per_page)
