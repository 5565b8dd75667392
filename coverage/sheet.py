"""A framework's coverage as a worksheet: one row per leaf requirement, streamed."""

from collections.abc import Iterator
from dataclasses import dataclass

from coverage.records import RecordSummary, records_by_requirement
from coverage.services import Coverage, LeafCoverage, compute_coverage
from evidence.api import EvidenceSummary, latest_for_controls, summaries_for_items
from isms.api import Framework, get_framework, get_organisation

SHEET_EVIDENCE = 5  # newest items named per control; the rest are counted


@dataclass(frozen=True)
class EvidenceRefs:
    controls: dict  # control id -> (newest EvidenceSummary list, how many in all)
    items: dict  # evidence item id -> EvidenceSummary (clauses' and records' items)


@dataclass(frozen=True)
class SheetRow:
    requirement: str
    heading: str
    iso_ids: str
    verdict: str
    evidence: str

    def cells(self) -> list[str]:
        return [self.requirement, self.heading, self.iso_ids, self.verdict, self.evidence]


def evidence_for(coverage: Coverage, leaves, limit: int,
                 records: dict | None = None) -> EvidenceRefs:
    """Read the evidence behind some leaves: a fixed number of queries, whatever the amount."""
    control_ids, item_ids = [], []
    for leaf in leaves:
        for mapped in leaf.mapped:
            for item in mapped.items:
                (control_ids.append(item.ref_id) if item.kind == "control"
                 else item_ids.extend(item.evidence_item_ids))
        if records and leaf.requirement.requirement_id in records:
            item_ids.extend(records[leaf.requirement.requirement_id].evidence_item_ids)
    return EvidenceRefs(latest_for_controls(coverage.edition, control_ids, limit),
                        summaries_for_items(item_ids))


def _describe(item: EvidenceSummary) -> str:
    status = "" if item.status == "current" else f" ({item.status})"
    return f"#{item.id} {item.title}{status}"


def evidence_text(leaf: LeafCoverage, refs: EvidenceRefs, record: RecordSummary | None) -> str:
    """Name the evidence behind a leaf, one line per control or clause that has some."""
    lines = []
    for mapped in leaf.mapped:
        for item in mapped.items:
            if item.kind == "control":
                newest, total = refs.controls.get(item.ref_id, ([], 0))
            else:
                newest = [refs.items[i] for i in item.evidence_item_ids if i in refs.items]
                total = len(newest)
            if newest:
                more = f" (+{total - len(newest)} more)" if total > len(newest) else ""
                line = f"{item.ref_id}: {'; '.join(_describe(e) for e in newest)}{more}"
                if line not in lines:
                    lines.append(line)
    if record is not None:
        found = [refs.items[i] for i in record.evidence_item_ids if i in refs.items]
        if found:
            lines.append("; ".join(_describe(e) for e in found))
    return "\n".join(lines)


def iso_text(leaf: LeafCoverage, coverage: Coverage) -> str:
    """The mapped ids; on another edition each with the ids that stand for it there."""
    if not coverage.via_annex_b:
        return ", ".join(m.iso_id for m in leaf.mapped)
    return ", ".join(f"{m.iso_id} ({', '.join(i.ref_id for i in m.items) or 'none'})"
                     for m in leaf.mapped)


def sheet_rows(code: str, edition: str | None = None) -> Iterator[SheetRow]:
    """Yield one row per leaf requirement, in document order, for an edition (default: the
    organisation's)."""
    framework = get_framework(code)
    coverage = compute_coverage(framework, edition or get_organisation().edition)
    records = records_by_requirement(code)
    refs = evidence_for(coverage, coverage.leaves.values(), SHEET_EVIDENCE, records)
    for rid, leaf in coverage.leaves.items():
        requirement = leaf.requirement
        yield SheetRow(requirement.label, requirement.heading, iso_text(leaf, coverage),
                       leaf.verdict, evidence_text(leaf, refs, records.get(rid)))


def sheet_header(framework: Framework, edition: str) -> list[str]:
    mapped = f"Mapped ISO/IEC 27001:{framework.iso_edition} ids"
    if edition != framework.iso_edition:
        mapped += f" (their {edition} counterparts, Annex B)"
    return ["Requirement", "Heading", mapped, "Verdict", "Evidence"]
