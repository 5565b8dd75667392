"""Issued SoA versions as plain records, for the REST API."""

from dataclasses import dataclass
from datetime import datetime

from soa.versions import get_version, list_versions


@dataclass(frozen=True)
class SoaVersionRecord:
    number: int
    edition: str
    status: str
    change_summary: str
    submitted_by: str
    submitted_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    approver_title: str
    sha256: str | None
    previous_sha256: str | None


def _record(version) -> SoaVersionRecord:
    return SoaVersionRecord(
        version.number, version.edition, version.status.value, version.change_summary,
        version.submitted_by.display_name, version.submitted_at,
        version.approved_by.display_name if version.approved_by else None,
        version.approved_at, version.approver_title, version.sha256, version.previous_sha256)


def soa_versions() -> list[SoaVersionRecord]:
    """Every SoA version, newest first."""
    return [_record(v) for v in list_versions()]


def soa_version(number: int) -> SoaVersionRecord | None:
    """One SoA version, or None."""
    version = get_version(number)
    return _record(version) if version else None


def soa_workbook(number: int) -> bytes | None:
    """The exact workbook bytes an issued version froze, or None."""
    version = get_version(number)
    return version.workbook if version else None
