"""Small builders shared by the coverage tests."""

import json

from tests.evidence_helpers import upload_form

DECIDED = {"applicability": "applicable", "reasons": ["legal"],
           "implementation_status": "implemented", "responsibility": "company",
           "company_part": "", "aws_part": "", "owner_id": "", "review_cadence": "none",
           "notes": ""}
# The points of NIS2 6.6 (security patch management) and the 2022 controls they map to.
PATCH_POINTS = ["6.6.1.a", "6.6.1.b", "6.6.1.c", "6.6.1.d", "6.6.2"]
PATCH_CONTROLS = ["A.8.31", "A.8.32"]


def decide(client, control_id: str, **overrides) -> None:
    """Record a decision through the control form, as the lead would."""
    response = client.post(f"/controls/{control_id}/edit", data={**DECIDED, **overrides})
    assert response.status_code == 302, response.get_data(as_text=True)


def add_evidence(client, controls, **overrides) -> None:
    """Upload a small file as evidence of the controls."""
    response = client.post("/evidence/new", data=upload_form(controls=", ".join(controls),
                                                             **overrides),
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)


def coverage_json(runner) -> dict:
    result = runner.invoke(args=["nis2", "coverage", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def verdicts(report: dict) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in report["requirements"]}
