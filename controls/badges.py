"""The small status badges of the control pages, as markup made once per value.

Each badge depends on a value from a short list (an enum, an evidence status), so its markup
is built on first use and then looked up: a table of fifty controls shows five badges a row,
and a Jinja macro call per badge cost as much as the rest of the row.
"""

from functools import cache

from markupsafe import Markup, escape

from controls.models import Applicability
from isms.api import label

EVIDENCE_WORDS = {"current": "current", "expiring": "expiring soon", "expired": "expired"}


@cache
def _applicability(value: Applicability | None) -> Markup:
    if value is None:
        return Markup('<span class="badge warn">to decide</span>')
    if value is Applicability.EXCLUDED:
        return Markup('<span class="badge muted">excluded</span>')
    return Markup('<span class="badge ok">applicable</span>')


def applicability_badge(state) -> Markup:
    return _applicability(state.applicability)


@cache
def _status(value) -> Markup:
    if value is None:
        return Markup('<span class="badge muted">-</span>')
    return Markup('<span class="badge status-{}">{}</span>').format(value.value, label(value))


def status_badge(state) -> Markup:
    return _status(state.implementation_status)


@cache
def _responsibility(value) -> Markup:
    return Markup('<span class="badge resp-{}">{}</span>').format(value.value, label(value))


def responsibility_badge(state) -> Markup:
    return _responsibility(state.responsibility)


@cache
def _evidence(status: str, flagged: bool) -> Markup:
    if flagged:
        return Markup('<span class="badge ev-none-flag">missing</span>')
    if status not in EVIDENCE_WORDS:
        return Markup('<span class="badge muted">-</span>')
    return Markup('<span class="badge ev-{}">{}</span>').format(status, EVIDENCE_WORDS[status])


def evidence_badge(row) -> Markup:
    """Missing is flagged only for applicable controls; others show a dash."""
    return _evidence(row.evidence, row.lacks_evidence)


def review_badge(review) -> Markup:
    """The next review date, flagged when overdue or due soon."""
    if review is None or review.next_due is None:
        return Markup('<span class="muted">-</span>')
    day = escape(review.next_due)
    if review.status == "overdue":
        return Markup('<span class="badge bad">overdue</span> ') + day
    if review.status == "due_soon":
        return Markup('<span class="badge warn">due soon</span> ') + day
    return day


BADGES = {f.__name__: f for f in (applicability_badge, status_badge, responsibility_badge,
                                  evidence_badge, review_badge)}
