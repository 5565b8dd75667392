"""The frameworks' coverage pages: the tree with a bar per section, each requirement's page,
and the record of how an unmapped requirement is met."""

import re
from typing import NamedTuple

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from coverage.forms import LinkEvidenceForm, RecordForm
from coverage.models import RecordStatus
from coverage.records import (
    can_edit_record,
    get_record,
    link_evidence,
    object_id,
    record_evidence,
    record_for_update,
    record_statuses,
    unlink_evidence,
    update_record,
)
from coverage.services import VERDICTS, compute_coverage, section_rows, tree_rows
from coverage.sheet import evidence_for
from evidence.api import find_items
from isms.api import (
    ALL_ROLES,
    EDITORS,
    Role,
    allow,
    choices,
    db,
    form_status,
    get_framework,
    get_organisation,
    label,
    list_assignable_owners,
    list_frameworks,
    list_object_events,
    pick_arg,
    visible_control_ids,
)

bp = Blueprint("coverage", __name__, template_folder="templates")
EVIDENCE_SHOWN = 10


def _framework(code: str):
    return get_framework(code) or abort(404)


def _coverage(framework):
    return compute_coverage(framework, get_organisation().edition, visible_control_ids())


def section_name(requirement) -> tuple[str, str]:
    """Split a printed section heading into a readable name and its Directive reference."""
    found = re.match(r"^(.*?)\s*\((ARTICLE .*)\)$", requirement.title)
    if requirement.level != 1 or not found:
        return requirement.title, ""
    words = {"ARTICLE": "Article", "DIRECTIVE": "Directive", "(EU)": "(EU)"}
    reference = " ".join(words.get(w, w.lower()) for w in found.group(2).split(" "))
    return found.group(1).capitalize(), reference


def heading_of(requirement) -> str:
    """The heading a requirement falls under, a section's in its readable form."""
    section = get_framework(requirement.framework).get(requirement.section_id)
    if requirement.heading == section.title:
        return section_name(section)[0]
    return requirement.heading


def counts_text(counts) -> str:
    """Leaves by verdict as people read them: `3 covered · 1 gap`."""
    return " · ".join(f"{counts[v]} {v}" for v in VERDICTS if counts[v])


def bar_parts(counts) -> list[tuple[str, str, str]]:
    """The stacked bar's pieces, left to right: (x, width, verdict), in percent to 2 places."""
    total, x, parts = sum(counts.values()), 0, []
    for v in VERDICTS:
        if total and counts[v]:
            width = 100 * counts[v] / total
            parts.append((f"{x:.2f}", f"{width:.2f}", v))
            x += width
    return parts


BADGES = {v: Markup('<span class="badge verdict-{0}">{1}</span>').format(v, label(v))
          for v in VERDICTS}


def verdict_badge(verdict: str) -> Markup:
    return BADGES[verdict]


def requirement_links(code: str) -> dict[str, str]:
    """The address of each requirement's page: the route's prefix built once a request, each
    id quoted as the route quotes it once a process (the catalog does not change)."""
    framework, cache = _framework(code), current_app.extensions.setdefault("coverage.ids", {})
    built, segments = cache.get(code, (None, {}))
    if built is not framework:  # first use, or the catalog was loaded again
        to_url = current_app.url_map.converters["default"](current_app.url_map).to_url
        segments = {r.requirement_id: to_url(r.requirement_id) for r in framework.requirements}
        cache[code] = (framework, segments)
    prefix = url_for("coverage.requirement", code=code, requirement_id="~")[:-1]
    return {rid: prefix + segment for rid, segment in segments.items()}


class TreeRow(NamedTuple):
    """One requirement of a section's table, as the page prints it."""

    level: int
    address: str
    label: str
    title: str
    heading: str | None  # under a verdict filter, where an untitled requirement sits
    badge: Markup | str  # a leaf's verdict; "" for a parent
    record_status: str  # an unmapped leaf's record, as people read it
    summary: str  # a parent's leaves by verdict
    maps_to: str


def tree_table(coverage, verdict: str, statuses: dict, links: dict) -> dict[str, list[TreeRow]]:
    """Each section's rows (see `tree_rows`), the values worked out once here, not per row
    in the template."""
    grouped = {}
    for section_id, rows in tree_rows(coverage, verdict).items():
        table = grouped[section_id] = []
        for node, leaf in rows:
            req = node.requirement
            record_status = ""
            if leaf is not None and leaf.verdict == "unmapped":
                record_status = label(statuses.get(req.requirement_id, "not_started"))
            table.append(TreeRow(
                req.level, links[req.requirement_id], req.label, req.title,
                heading_of(req) if verdict and not req.title else None,
                BADGES[leaf.verdict] if leaf else "", record_status,
                "" if leaf else counts_text(node.counts),
                ", ".join(req.iso_ids) if leaf else ""))
    return grouped


bp.add_app_template_global(section_name)
bp.add_app_template_global(heading_of)
bp.add_app_template_global(counts_text)
bp.add_app_template_global(bar_parts)
bp.add_app_template_global(verdict_badge)
bp.add_app_template_global(VERDICTS, "coverage_verdicts")


@bp.route("/frameworks")
@allow(ALL_ROLES)
def index():
    """Every mapped framework with its coverage at a glance."""
    return render_template("coverage/index.html",
                           coverages=[_coverage(f) for f in list_frameworks()])


@bp.route("/frameworks/<code>")
@allow(ALL_ROLES)
def framework(code: str):
    """The framework's tree: sections with counts and a bar, filtered by verdict."""
    coverage = _coverage(_framework(code))
    verdict = pick_arg(request.args, "verdict", VERDICTS)
    links = requirement_links(code)
    return render_template(
        "coverage/framework.html", coverage=coverage, framework=coverage.framework,
        sections=section_rows(coverage), verdict=verdict, links=links,
        tree=tree_table(coverage, verdict, record_statuses(code), links))


@bp.route("/frameworks/<code>/<requirement_id>")
@allow(ALL_ROLES)
def requirement(code: str, requirement_id: str):
    """One requirement: its mapped controls and clauses with their state and evidence."""
    framework = _framework(code)
    coverage = _coverage(framework)
    node = coverage.nodes.get(requirement_id) or abort(404)
    leaf = coverage.leaves.get(requirement_id)
    record = get_record(code, requirement_id) if leaf and leaf.verdict == "unmapped" else None
    may_edit = leaf is not None and leaf.verdict == "unmapped" and can_edit_record(
        current_user, record)
    query = request.args.get("find", "").strip()[:100]
    return render_template(
        "coverage/requirement.html", coverage=coverage, framework=framework, node=node,
        leaf=leaf, ancestors=framework.ancestors(requirement_id),
        children=[coverage.nodes[c] for c in node.requirement.children if c in coverage.nodes],
        evidence=evidence_for(coverage, [leaf] if leaf else [], EVIDENCE_SHOWN),
        record=record, record_evidence=record_evidence(record), may_edit=may_edit, find=query,
        candidates=find_items(query) if may_edit and query else [],
        history=list_object_events("requirement", object_id(code, requirement_id))
        if leaf and leaf.verdict == "unmapped" else [])


def _unmapped_leaf(code: str, requirement_id: str):
    framework = _framework(code)
    found = framework.get(requirement_id)
    if found is None or not found.is_leaf or found.is_mapped:
        abort(404)  # only requirements without an ISO counterpart are recorded by hand
    return found


def _owner_choices(current_id):
    pairs = [("", "Nobody yet")] + [(str(u.id), u.display_name) for u in list_assignable_owners()]
    if current_id and str(current_id) not in {v for v, _ in pairs}:
        pairs.append((str(current_id), f"User {current_id} (no longer an owner)"))
    return choices(pairs)


@bp.route("/frameworks/<code>/<requirement_id>/edit", methods=["GET", "POST"])
@allow(EDITORS)
def edit_record(code: str, requirement_id: str):
    """Record how an unmapped requirement is met: status, owner, notes."""
    node = _unmapped_leaf(code, requirement_id)
    record = get_record(code, requirement_id)
    if not can_edit_record(current_user, record):
        abort(403)
    data = None if request.method == "POST" else {
        "status": record.status.value if record else RecordStatus.NOT_STARTED.value,
        "owner_id": str(record.owner_id or "") if record else "",
        "notes": record.notes if record else ""}
    form = RecordForm(data=data)
    form.owner_id.choices = _owner_choices(record.owner_id if record else None)
    if current_user.role is not Role.LEAD:  # owners keep the owner the lead chose
        del form.owner_id
    if form.validate_on_submit():
        values = {"status": RecordStatus(form.status.data), "notes": form.notes.data}
        if "owner_id" in form:
            values["owner_id"] = int(form.owner_id.data) if form.owner_id.data else None
        update_record(record or record_for_update(code, requirement_id), values, current_user)
        db.session.commit()
        flash(f"{node.label} saved.", "success")
        return redirect(url_for("coverage.requirement", code=code, requirement_id=requirement_id))
    return render_template("coverage/edit_record.html", form=form, node=node,
                           framework=get_framework(code),
                           coverage=_coverage(get_framework(code))), form_status(form)


@bp.route("/frameworks/<code>/<requirement_id>/evidence", methods=["POST"])
@allow(EDITORS)
def link_record_evidence(code: str, requirement_id: str):
    """Link an evidence item to an unmapped requirement's record."""
    _unmapped_leaf(code, requirement_id)
    record = get_record(code, requirement_id)
    if not can_edit_record(current_user, record):
        abort(403)
    form = LinkEvidenceForm()
    if not form.validate_on_submit():
        flash("Choose an evidence item to link.", "error")
    elif link_evidence(record or record_for_update(code, requirement_id), form.item_id.data,
                       current_user):
        db.session.commit()
        flash("Evidence linked.", "success")
    else:
        flash("That evidence item does not exist or is linked already.", "error")
    return redirect(url_for("coverage.requirement", code=code, requirement_id=requirement_id))


@bp.route("/frameworks/<code>/<requirement_id>/evidence/<int:item_id>/remove",
          methods=["POST"])
@allow(EDITORS)
def unlink_record_evidence(code: str, requirement_id: str, item_id: int):
    """Unlink an evidence item from an unmapped requirement's record."""
    _unmapped_leaf(code, requirement_id)
    record = get_record(code, requirement_id) or abort(404)
    if not can_edit_record(current_user, record):
        abort(403)
    if unlink_evidence(record, item_id, current_user):
        db.session.commit()
        flash("Evidence unlinked.", "success")
    return redirect(url_for("coverage.requirement", code=code, requirement_id=requirement_id))
