"""Controls: list with the page's filters, detail with its ETag, decisions, reviews."""

from dataclasses import asdict

from flask import abort

from controls.api import (
    DecisionError,
    NotAllowed,
    Stale,
    add_review,
    decide,
    get_control,
    list_controls,
    reviews_of,
)
from isms.api import ALL_ROLES, EDITORS, db, token_allow
from restapi.context import acting_user, audit_actor, edition, visible
from restapi.paging import PAGING_HEADERS, PageArgs, page_slice, paging_headers
from restapi.schemas import (
    ControlFilterArgs,
    ControlSchema,
    DecisionResultSchema,
    DecisionSchema,
    IfMatchArgs,
    NewReviewSchema,
    ReviewSchema,
)
from restapi.spec import ApiBlueprint, problem

bp = ApiBlueprint("restapi_controls", __name__, url_prefix="/api/v1/controls",
                  description="Annex A controls of the organisation's edition: decisions "
                              "and reviews.")


def _visible_control(control_id: str):
    limit = visible()
    control = get_control(edition(), control_id)
    if control is None or (limit is not None and control_id not in limit):
        abort(404, "There is no such control, or it is outside your scope.")
    return control


def _etag_headers(control) -> dict:
    return {"ETag": f'"{control.etag}"'}


@bp.route("", methods=["GET"], endpoint="list")
@token_allow(ALL_ROLES)
# An instance: webargs would build (and deep-copy the fields of) a class on every request.
@bp.arguments(ControlFilterArgs(), location="query", as_kwargs=True)
@bp.response(200, ControlSchema(many=True), headers=PAGING_HEADERS)
def list_(page, per_page, **filters):
    """List controls, filtered as on the control list, in catalog order."""
    records, total = list_controls(edition(), filters, page, per_page, visible())
    return records, 200, paging_headers(total, page, per_page)


ETAG_HEADER = {"ETag": {"schema": {"type": "string"}}}


@bp.route("/<control_id>", methods=["GET"], endpoint="detail")
@token_allow(ALL_ROLES)
@bp.response(200, ControlSchema, headers=ETAG_HEADER)
def detail(control_id):
    """Read one control's decision; its ETag guards a later change."""
    control = _visible_control(control_id)
    return asdict(control), 200, _etag_headers(control)


@bp.route("/<control_id>", methods=["PATCH"], endpoint="update")
@token_allow(EDITORS)
@bp.arguments(IfMatchArgs, location="headers", as_kwargs=True)
@bp.arguments(DecisionSchema)
@bp.response(200, DecisionResultSchema, headers=ETAG_HEADER)
def update(changes, control_id, if_match=None):
    """Change a decision with the form's rules; send If-Match with the ETag you read."""
    _visible_control(control_id)
    expected = if_match.strip().removeprefix("W/").strip('"') if if_match else None
    try:
        warnings = decide(edition(), control_id, changes, acting_user(),
                          if_match=expected, audit_actor=audit_actor())
    except NotAllowed:
        db.session.rollback()
        abort(403, "Only the lead or the control's owner changes this control.")
    except Stale:
        db.session.rollback()
        return problem(412, "The control changed since you read it; read it again and "
                            "re-apply your change.")
    except DecisionError as error:
        db.session.rollback()
        return problem(422, "The decision is not complete.", error.errors)
    db.session.commit()
    control = get_control(edition(), control_id)
    return {"control": asdict(control), "warnings": warnings}, 200, _etag_headers(control)


@bp.route("/<control_id>/reviews", methods=["GET"], endpoint="reviews")
@token_allow(ALL_ROLES)
@bp.arguments(PageArgs, location="query", as_kwargs=True)
@bp.response(200, ReviewSchema(many=True), headers=PAGING_HEADERS)
def reviews(control_id, page, per_page):
    """List a control's reviews, newest first."""
    _visible_control(control_id)
    rows = reviews_of(edition(), control_id, limit=10_000)
    return ([asdict(r) for r in page_slice(rows, page, per_page)], 200,
            paging_headers(len(rows), page, per_page))


@bp.route("/<control_id>/reviews", methods=["POST"], endpoint="new_review")
@token_allow(EDITORS)
@bp.arguments(NewReviewSchema)
@bp.response(201, ReviewSchema)
def new_review(values, control_id):
    """Record a review of the control, pinning the evidence versions looked at."""
    _visible_control(control_id)
    try:
        review = add_review(edition(), control_id, acting_user(),
                            audit_actor=audit_actor(), **values)
    except NotAllowed:
        db.session.rollback()
        abort(403, "Only the lead or the control's owner reviews this control.")
    except DecisionError as error:
        db.session.rollback()
        return problem(422, "The review cannot be recorded.", error.errors)
    db.session.commit()
    return asdict(review)
