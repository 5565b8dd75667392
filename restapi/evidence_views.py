"""Evidence: list, read, create, upload a version (streamed and hashed as on the page), link."""

from dataclasses import asdict

from flask import abort, request

from evidence.api import (
    EvidenceError,
    Gone,
    NotAllowed,
    StorageError,
    get_evidence,
    link_to_controls,
    list_evidence,
    new_evidence,
    new_version,
)
from isms.api import ALL_ROLES, EDITORS, db, local_today, token_allow
from restapi.context import acting_user, audit_actor, visible
from restapi.paging import PAGING_HEADERS, paging_headers
from restapi.schemas import (
    EvidenceDetailSchema,
    EvidenceFilterArgs,
    EvidenceSchema,
    LinkInput,
    LinkResultSchema,
    NewEvidenceInput,
    VersionInput,
)
from restapi.spec import ApiBlueprint, problem

bp = ApiBlueprint("restapi_evidence", __name__, url_prefix="/api/v1/evidence",
                  description="Evidence items, their versions (files, links, statements) "
                              "and their links to controls.")
MULTIPART = "multipart/form-data"


def _refused(error):
    """Turn a refusal of the evidence services into a problem document."""
    db.session.rollback()
    if isinstance(error, EvidenceError):
        return problem(422, str(error), {error.field or "file": [str(error)]})
    if isinstance(error, NotAllowed):
        return problem(403, "Only the lead or the evidence's owner changes it.")
    if isinstance(error, Gone):
        return problem(409, "This evidence was deleted; it takes no new versions or links.")
    if isinstance(error, StorageError):
        return problem(503, f"Nothing was saved: {error}.")
    return problem(404, "There is no such evidence, or it is outside your scope.")


def _content(values) -> dict:
    upload = values.get("file")
    if upload is not None and not hasattr(upload, "stream"):
        raise EvidenceError("Send the file as a multipart file part.", "file")
    return {"stream": upload.stream if upload else None,
            "file_name": upload.filename if upload else None,
            "url": values.get("url"), "text": values.get("text")}


def _detail(item_id: int) -> dict:
    record = get_evidence(item_id, visible())
    if record is None:
        abort(404, "There is no such evidence, or it is outside your scope.")
    return asdict(record)


@bp.route("", methods=["GET"], endpoint="list")
@token_allow(ALL_ROLES)
# An instance, as on the control list: not a schema built on every request.
@bp.arguments(EvidenceFilterArgs(), location="query", as_kwargs=True)
@bp.response(200, EvidenceSchema(many=True), headers=PAGING_HEADERS)
def list_(page, per_page, **filters):
    """List live evidence, newest first, filtered as on the evidence list."""
    records, total = list_evidence(filters, page, per_page, visible())
    return records, 200, paging_headers(total, page, per_page)


@bp.route("", methods=["POST"], endpoint="create")
@token_allow(EDITORS)
@bp.arguments(NewEvidenceInput, location="multipart", content_type=MULTIPART)
@bp.response(201, EvidenceDetailSchema)
def create(values):
    """Create an evidence item with its first version and its control links."""
    try:
        item_id = new_evidence(
            acting_user(), title=values["title"], kind=values["kind"],
            controls=values["controls"], with_counterparts=values["with_counterparts"],
            collected_on=values.get("collected_on") or local_today(),
            valid_until=values.get("valid_until"), description=values["description"],
            tags=values["tags"], owner_id=values.get("owner_id"), issuer=values["issuer"],
            report_name=values["report_name"], audit_actor=audit_actor(), **_content(values))
        db.session.commit()
    except (EvidenceError, StorageError) as error:
        return _refused(error)
    return _detail(item_id), 201, {"Location": f"{request.base_url}/{item_id}"}


@bp.route("/<int(max=2147483647):item_id>", methods=["GET"], endpoint="detail")
@token_allow(ALL_ROLES)
@bp.response(200, EvidenceDetailSchema)
def detail(item_id):
    """Read an item with all its versions and their SHA-256."""
    return _detail(item_id)


@bp.route("/<int(max=2147483647):item_id>/versions", methods=["POST"], endpoint="new_version")
@token_allow(EDITORS)
@bp.arguments(VersionInput, location="multipart", content_type=MULTIPART)
@bp.response(201, EvidenceDetailSchema)
def add_version(values, item_id):
    """Add a version; the file is streamed to disk and hashed as it arrives."""
    try:
        new_version(acting_user(), item_id,
                    collected_on=values.get("collected_on") or local_today(),
                    valid_until=values.get("valid_until"), comment=values["comment"],
                    visible=visible(), audit_actor=audit_actor(), **_content(values))
        db.session.commit()
    except (EvidenceError, NotAllowed, Gone, StorageError, LookupError) as error:
        return _refused(error)
    return _detail(item_id), 201


@bp.route("/<int(max=2147483647):item_id>/links", methods=["POST"], endpoint="add_links")
@token_allow(EDITORS)
@bp.arguments(LinkInput)
@bp.response(200, LinkResultSchema)
def add_links(values, item_id):
    """Link the item to more controls (either edition; counterparts on request)."""
    try:
        added = link_to_controls(acting_user(), item_id, values["controls"],
                                 values["with_counterparts"], visible(), audit_actor())
        db.session.commit()
    except (EvidenceError, NotAllowed, Gone, LookupError) as error:
        return _refused(error)
    return {"added": added, "evidence": _detail(item_id)}
