"""Coverage of a framework's requirements, computed from the SoA's decisions and evidence.

A leaf requirement is `covered` when every control it maps to is applicable, implemented and
has valid evidence and every clause it maps to is done; a `gap` when one of them is excluded,
undecided or not started; `partial` otherwise; `unmapped` when the mapping gives it nothing.
On an organisation whose edition is not the mapping's, each mapped control stands for its
counterparts through Annex B (and each clause for its counterpart clause). A mapped id with no
counterpart (a control new in 2022, clause 6.3) is one the organisation's SoA holds no decision
on, so it counts as undecided: a gap until the transition.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date

from flask import current_app

from controls.api import list_control_standings
from isms.api import Framework, Requirement, clause_counterpart, counterparts
from management.api import clause_standings

VERDICTS = ("covered", "partial", "gap", "unmapped")
VALID_EVIDENCE = ("current", "expiring")  # still valid today


@dataclass(frozen=True)
class ItemStanding:
    """One control or clause of the organisation's edition, as a requirement needs it."""

    ref_id: str
    kind: str  # control | clause
    title: str
    state: str  # met | open | gap
    applicability: str | None = None
    implementation_status: str | None = None
    evidence: str = "none"  # current | expiring | expired | none
    owner_name: str | None = None
    last_reviewed_on: date | None = None
    clause_status: str | None = None
    evidence_item_ids: tuple[int, ...] = ()  # clauses: the items linked to them


@dataclass(frozen=True)
class MappedId:
    """An id of the framework's mapping and what stands for it in the organisation's edition."""

    iso_id: str
    items: tuple[ItemStanding, ...]  # empty when the edition has no counterpart


@dataclass(frozen=True)
class LeafCoverage:
    requirement: Requirement
    verdict: str
    mapped: tuple[MappedId, ...]

    @property
    def ref_ids(self) -> tuple[str, ...]:
        """The organisation's control and clause ids behind this requirement, once each."""
        return tuple(dict.fromkeys(i.ref_id for m in self.mapped for i in m.items))


@dataclass(frozen=True)
class NodeCoverage:
    requirement: Requirement
    counts: Counter  # leaves by verdict
    verdict: str  # rolled up from the leaves

    @property
    def leaves(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Coverage:
    framework: Framework
    edition: str
    leaves: dict  # requirement id -> LeafCoverage, only those the reader may see
    nodes: dict  # requirement id -> NodeCoverage, nodes with at least one visible leaf

    @property
    def via_annex_b(self) -> bool:
        return self.edition != self.framework.iso_edition

    @property
    def edition_used(self) -> str:
        return f"{self.edition} via Annex B" if self.via_annex_b else self.edition

    @property
    def counts(self) -> dict[str, int]:
        """The visible leaves by verdict, every verdict present."""
        found = Counter(leaf.verdict for leaf in self.leaves.values())
        return {verdict: found[verdict] for verdict in VERDICTS}


def _value(choice) -> str | None:
    return choice.value if choice is not None else None


def control_state(decision) -> str:
    """Met, open or gap for one control of the organisation's SoA."""
    if decision.applicability != "applicable":
        return "gap"  # undecided or excluded
    if decision.implementation_status in (None, "not_started"):
        return "gap"
    if decision.implementation_status == "implemented" and decision.evidence in VALID_EVIDENCE:
        return "met"
    return "open"


def clause_state(status: str) -> str:
    return {"done": "met", "not_started": "gap"}.get(status, "open")


def leaf_verdict(mapped: tuple[MappedId, ...]) -> str:
    """Roll one leaf's mapped ids into its verdict."""
    if not mapped:
        return "unmapped"
    states = [i.state for m in mapped for i in m.items]
    if "gap" in states or not all(m.items for m in mapped):
        return "gap"
    return "covered" if all(s == "met" for s in states) else "partial"


def node_verdict(counts: Counter) -> str:
    """A parent is covered (or a gap) when all its mapped leaves are; partial in between."""
    mapped = {v: n for v, n in counts.items() if v != "unmapped" and n}
    if not mapped:
        return "unmapped"
    return next(iter(mapped)) if len(mapped) == 1 else "partial"


class _Standings:
    """Everything the verdicts need, read once: a handful of queries whatever the data."""

    def __init__(self, edition: str):
        self.edition = edition
        self.controls = list_control_standings(edition)
        self.clauses = clause_standings(edition)

    def control(self, control_id: str) -> ItemStanding:
        decision = self.controls.get(control_id)
        if decision is None:  # no decision record at all: undecided
            return ItemStanding(control_id, "control", control_id, "gap")
        return ItemStanding(
            control_id, "control", decision.title, control_state(decision),
            _value(decision.applicability), _value(decision.implementation_status),
            decision.evidence, decision.owner_name or None, decision.last_reviewed_on)

    def clause(self, clause_id: str) -> ItemStanding:
        standing = self.clauses[clause_id]
        return ItemStanding(clause_id, "clause", standing.title, clause_state(standing.status),
                            owner_name=standing.owner_name, clause_status=standing.status,
                            evidence_item_ids=standing.evidence_item_ids)


@dataclass(frozen=True)
class _Plan:
    """A framework's mapping read in one edition; catalog data only, so built once a process."""

    framework: Framework
    leaves: tuple[Requirement, ...]
    refs: dict  # mapped iso id -> ((kind, ref id), ...) standing for it in the edition
    controls: dict  # leaf id -> the edition's control ids behind it
    below: tuple  # (node, ids of the leaves at or below it), in document order


def _refs(iso_id: str, iso_edition: str, edition: str) -> tuple[tuple[str, str], ...]:
    if iso_id.startswith("A."):
        if iso_edition == edition:
            return (("control", iso_id),)
        return tuple(("control", c.control_id) for c in counterparts(iso_edition, iso_id))
    if iso_edition == edition:
        return (("clause", iso_id),)
    other = clause_counterpart(iso_id, iso_edition, edition)
    return (("clause", other.clause_id),) if other else ()


def _plan(framework: Framework, edition: str) -> _Plan:
    plans = current_app.extensions.setdefault("coverage.plans", {})
    plan = plans.get((framework.code, edition))
    if plan is not None and plan.framework is framework:  # not after a catalog reload
        return plan
    leaves = framework.leaves
    refs = {iso_id: _refs(iso_id, framework.iso_edition, edition)
            for leaf in leaves for iso_id in leaf.iso_ids}
    below: dict[str, list[str]] = {}
    for leaf in leaves:
        node_id = leaf.requirement_id
        while node_id is not None:
            below.setdefault(node_id, []).append(leaf.requirement_id)
            node_id = framework.get(node_id).parent_id
    plan = plans[(framework.code, edition)] = _Plan(
        framework, leaves, refs,
        {leaf.requirement_id: tuple(ref for i in leaf.iso_ids for kind, ref in refs[i]
                                    if kind == "control") for leaf in leaves},
        tuple((r, tuple(below[r.requirement_id])) for r in framework.requirements
              if r.requirement_id in below))
    return plan


def compute_coverage(framework: Framework, edition: str, visible=None) -> Coverage:
    """Compute every leaf's verdict and each node's roll-up for the organisation's edition.

    `visible` (control ids, or None for no limit) keeps an auditor to their scope: a leaf
    shows only when every control behind it is in scope, so no verdict leaks the rest.
    """
    plan = _plan(framework, edition)
    standings = _Standings(edition)
    items: dict[tuple[str, str], ItemStanding] = {}
    mapped_ids = {}
    for iso_id, refs in plan.refs.items():
        for ref in refs:
            if ref not in items:
                items[ref] = (standings.control if ref[0] == "control"
                              else standings.clause)(ref[1])
        mapped_ids[iso_id] = MappedId(iso_id, tuple(items[ref] for ref in refs))
    leaves, by_ids = {}, {}  # many leaves map to the same ids: their verdict is worked out once
    for requirement in plan.leaves:
        rid = requirement.requirement_id
        if visible is None or all(c in visible for c in plan.controls[rid]):
            found = by_ids.get(requirement.iso_ids)
            if found is None:
                mapped = tuple(mapped_ids[i] for i in requirement.iso_ids)
                found = by_ids[requirement.iso_ids] = (leaf_verdict(mapped), mapped)
            leaves[rid] = LeafCoverage(requirement, *found)
    return Coverage(framework, edition, leaves, _roll_up(plan, leaves, visible is None))


def _roll_up(plan: _Plan, leaves: dict, every_leaf: bool) -> dict:
    """Count each node's visible leaves by verdict; nodes without one are left out."""
    verdicts = {rid: leaf.verdict for rid, leaf in leaves.items()}
    # A leaf counts itself once: the leaves of one verdict share one count (read, never changed)
    alone = {verdict: Counter({verdict: 1}) for verdict in VERDICTS}
    nodes = {}
    for requirement, below in plan.below:
        rid = requirement.requirement_id
        if rid in verdicts:
            verdict = verdicts[rid]
            nodes[rid] = NodeCoverage(requirement, alone[verdict], verdict)
            continue
        found = Counter(map(verdicts.__getitem__, below) if every_leaf
                        else [verdicts[r] for r in below if r in verdicts])
        if found:
            nodes[rid] = NodeCoverage(requirement, found, node_verdict(found))
    return nodes


def section_rows(coverage: Coverage) -> list[NodeCoverage]:
    """The sections the reader may see, in document order."""
    return [coverage.nodes[s.requirement_id] for s in coverage.framework.sections
            if s.requirement_id in coverage.nodes]


def tree_rows(coverage: Coverage, verdict: str = "") -> dict[str, list]:
    """Group the visible nodes below each section as (node, leaf or None), in document order;
    with a verdict, only the leaves that have it."""
    grouped: dict[str, list] = {}
    for requirement in coverage.framework.requirements:
        node = coverage.nodes.get(requirement.requirement_id)
        if node is None or requirement.parent_id is None:
            continue
        leaf = coverage.leaves.get(requirement.requirement_id)
        if verdict and (leaf is None or leaf.verdict != verdict):
            continue
        grouped.setdefault(requirement.section_id, []).append((node, leaf))
    return grouped
