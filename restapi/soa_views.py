"""The SoA: the check that gates issuing, issued versions with their SHA-256, downloads."""

from dataclasses import asdict

from flask import Response, abort

from isms.api import ALL_ROLES, token_allow
from restapi.context import edition
from restapi.paging import PAGING_HEADERS, PageArgs, page_slice, paging_headers
from restapi.schemas import SoaCheckSchema, SoaVersionSchema
from restapi.spec import ApiBlueprint
from soa.api import check_soa, soa_version, soa_versions, soa_workbook

bp = ApiBlueprint("restapi_soa", __name__, url_prefix="/api/v1/soa",
                  description="The Statement of Applicability: readiness, issued versions.")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/check", methods=["GET"], endpoint="check")
@token_allow(ALL_ROLES)
@bp.response(200, SoaCheckSchema)
def check():
    """What stops the SoA from being issued: undecided and incomplete controls."""
    return {**check_soa(edition()).as_dict(), "edition": edition()}


@bp.route("/versions", methods=["GET"], endpoint="versions")
@token_allow(ALL_ROLES)
@bp.arguments(PageArgs, location="query", as_kwargs=True)
@bp.response(200, SoaVersionSchema(many=True), headers=PAGING_HEADERS)
def versions(page, per_page):
    """Every submitted and issued version, newest first, with the SHA-256 of its workbook."""
    rows = soa_versions()
    return ([asdict(r) for r in page_slice(rows, page, per_page)], 200,
            paging_headers(len(rows), page, per_page))


@bp.route("/versions/<int(max=2147483647):number>", methods=["GET"], endpoint="version")
@token_allow(ALL_ROLES)
@bp.response(200, SoaVersionSchema)
def version(number):
    """One version."""
    record = soa_version(number)
    if record is None:
        abort(404, "There is no such SoA version.")
    return asdict(record)


@bp.route("/versions/<int(max=2147483647):number>/workbook", methods=["GET"], endpoint="download")
@token_allow(ALL_ROLES)
@bp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX)
def download(number):
    """The exact workbook an issued version froze; its SHA-256 is in the Digest header."""
    record, workbook = soa_version(number), soa_workbook(number)
    if record is None or workbook is None:
        abort(404, "This version has not been issued, so it has no workbook.")
    return Response(workbook, mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="SoA-v{number}.xlsx"',
        "Digest": f"sha-256={record.sha256}", "ETag": f'"{record.sha256}"'})
