"""AWS collection runs, read only."""

from dataclasses import asdict

from connectors.api import list_aws_runs
from isms.api import STAFF, token_allow
from restapi.paging import PAGING_HEADERS, PageArgs, paging_headers
from restapi.schemas import AwsRunSchema
from restapi.spec import ApiBlueprint

bp = ApiBlueprint("restapi_aws", __name__, url_prefix="/api/v1/aws",
                  description="Read-only AWS checks: the collection runs and their verdicts.")


@bp.route("/runs", methods=["GET"], endpoint="runs")
@token_allow(STAFF)
@bp.arguments(PageArgs, location="query", as_kwargs=True)
@bp.response(200, AwsRunSchema(many=True), headers=PAGING_HEADERS)
def runs(page, per_page):
    """Collection runs, newest first, with how many checks passed, failed or erred."""
    rows, total = list_aws_runs(page, per_page)
    return [asdict(r) for r in rows], 200, paging_headers(total, page, per_page)
