"""The API's record schemas dump records exactly as marshmallow dumps the same values as dicts."""

from dataclasses import asdict
from datetime import UTC, date, datetime
from enum import StrEnum

from controls.api import ControlRecord, ControlSummary, ReviewRecord
from evidence.api_records import EvidenceRecord, VersionRecord
from evidence.status import EvidenceStatus
from restapi.schemas import (
    ControlSchema,
    EvidenceDetailSchema,
    EvidenceSchema,
    ReviewSchema,
)


class Tag(StrEnum):
    LEGAL = "legal"


DECIDED = dict(
    edition="2022", control_id="5.15", title="Access control", group_id="5",
    group_title="Organizational controls", applicability="applicable",
    reasons=("risk", "legal"), justification="Ärger vermeiden", implementation_status="partial",
    responsibility="shared", company_part="IAM", aws_part="", owner_id=7, owner_name="Ann",
    review_cadence="yearly", first_review_on=date(2026, 3, 1),
    next_review_on=date(2027, 3, 1), review_status="scheduled", evidence_status="current",
    risk_refs="R-1, R-2", notes="", updated_at=datetime(2026, 5, 4, 3, 2, 1, 12, tzinfo=UTC))
UNDECIDED = {**DECIDED, "applicability": None, "reasons": (), "implementation_status": None,
             "owner_id": None, "owner_name": None, "first_review_on": None,
             "next_review_on": None, "updated_at": None, "evidence_status": "none"}
# Values of other classes than the plain ones, formatted by their field as marshmallow does.
ODD = {**DECIDED, "evidence_status": EvidenceStatus.EXPIRING, "reasons": [b"risk", Tag.LEGAL],
       "owner_id": True, "title": 5.15}
FILE = VersionRecord(2, "ab" * 32, 1234, "report.pdf", "application/pdf", None,
                     date(2026, 1, 2), None, datetime(2026, 1, 2, 9, 0, tzinfo=UTC), False)
LINK = VersionRecord(1, "cd" * 32, 0, None, "text/uri-list", "https://example.com/a",
                     date(2025, 12, 1), date(2026, 12, 1), None, True)


def evidence(latest, versions=()):
    return EvidenceRecord(3, "Access review", "file", "current", 7, "Ann", ("iam", "q1"),
                          "", ("5.15", "A.9.2.5"), latest,
                          datetime(2025, 12, 1, tzinfo=UTC), versions)


def test_control_records_dump_as_their_dicts_do():
    records = [ControlSummary(**DECIDED), ControlSummary(**UNDECIDED),
               ControlRecord(**DECIDED, etag="0" * 32), ControlSummary(**ODD)]
    dumped = ControlSchema(many=True).dump(records)
    assert dumped == ControlSchema(many=True).dump([asdict(r) for r in records])
    assert list(dumped[0]) == list(ControlSchema().fields)
    assert dumped[0]["reasons"] == ["risk", "legal"] and "etag" not in dumped[2]
    assert dumped[0]["updated_at"] == "2026-05-04T03:02:01.000012+00:00"
    assert dumped[1]["first_review_on"] is None
    assert dumped[3]["evidence_status"] == "expiring" and type(dumped[3]["evidence_status"]) is str
    assert dumped[3]["reasons"] == ["risk", "legal"] and dumped[3]["owner_id"] == 1
    assert dumped[3]["title"] == "5.15"


def test_evidence_records_dump_as_their_dicts_do():
    records = [evidence(FILE), evidence(None), evidence(LINK)]
    dumped = EvidenceSchema(many=True).dump(records)
    assert dumped == EvidenceSchema(many=True).dump([asdict(r) for r in records])
    assert dumped[0]["latest"]["uploaded_at"] == "2026-01-02T09:00:00+00:00"
    assert dumped[1]["latest"] is None and dumped[2]["latest"]["is_purged"] is True
    detail = evidence(FILE, (LINK, FILE))
    assert EvidenceDetailSchema().dump(detail) == EvidenceDetailSchema().dump(asdict(detail))
    assert [v["number"] for v in EvidenceDetailSchema().dump(detail)["versions"]] == [1, 2]


def test_review_records_dump_as_their_dicts_do():
    review = ReviewRecord(4, "2022", "5.15", date(2026, 2, 3), "effective", "fine", 7, "Ann",
                          (11, 12), None, datetime(2026, 2, 3, 10, tzinfo=UTC))
    assert ReviewSchema().dump(review) == ReviewSchema().dump(asdict(review))
    assert ReviewSchema().dump(review)["evidence_version_ids"] == [11, 12]
