"""`page` and `per_page` in, `Link` and `X-Total-Count` out."""

import marshmallow as ma
from flask import request, url_for

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200


class PageArgs(ma.Schema):
    """Which page to return; pages count from 1."""

    class Meta:
        unknown = ma.EXCLUDE  # the list's own filters are read separately

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=DEFAULT_PER_PAGE,
                                 validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


def page_slice(rows: list, page: int, per_page: int) -> list:
    """One page of an in-memory list."""
    return rows[(page - 1) * per_page: page * per_page]


def paging_headers(total: int, page: int, per_page: int) -> dict:
    """Link (first, prev, next, last) and X-Total-Count for one page of `total` rows."""
    last = max(1, -(-total // per_page))
    # Keep the filters; never let a query argument pose as a path part or a url_for option.
    args = {k: v for k, v in request.args.items()
            if k not in {"page", "per_page"} and not k.startswith("_")}
    args.update(request.view_args or {})

    def link(number: int, rel: str) -> str:
        url = url_for(request.endpoint, **{**args, "page": number, "per_page": per_page},
                      _external=True)
        return f'<{url}>; rel="{rel}"'

    links = [link(1, "first")]
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links.append(link(page + 1, "next"))
    links.append(link(last, "last"))
    return {"Link": ", ".join(links), "X-Total-Count": str(total)}


PAGING_HEADERS = {
    "Link": {"description": "first, prev, next and last pages (RFC 8288)",
             "schema": {"type": "string"}},
    "X-Total-Count": {"description": "How many rows all pages hold",
                      "schema": {"type": "string"}},
}
