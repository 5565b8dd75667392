"""Real-world SoA layouts (tests/soa/corpus.py) import with the right counts and values."""

import json

import pytest
from sqlalchemy import select

from controls.models import ControlState
from isms.auth.models import Role, User
from isms.catalog import get_edition
from isms.db import db
from tests.soa.corpus import CORPUS, OWNERS, UNKNOWN_OWNER, decide, spanish_2022


def _run(runner, path, *options):
    return runner.invoke(args=["soa", "import", str(path), *options])


def _dry_run(runner, path, *options) -> dict:
    result = _run(runner, path, *options, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def owners(make_user):
    for name, email in OWNERS:
        make_user(Role.OWNER, email=email, name=name)


def _stored(app, edition) -> dict[str, dict]:
    with app.app_context():
        emails = {u.id: u.email for u in db.session.scalars(select(User))}
        return {s.control_id: {
            "applicability": s.applicability.value if s.applicability else None,
            "reasons": tuple(r.value for r in s.reasons), "justification": s.justification,
            "status": s.implementation_status.value if s.implementation_status else None,
            "owner": emails.get(s.owner_id), "notes": s.notes,
            "responsibility": s.responsibility.value, "company_part": s.company_part,
            "aws_part": s.aws_part,
        } for s in db.session.scalars(select(ControlState).filter_by(edition=edition))}


def _check_row(stored: dict, d, fields) -> None:
    """One control, field by field, against what its workbook row says."""
    assert stored["applicability"] == ("applicable" if d.applicable else "excluded")
    order = ("legal", "contractual", "business", "risk")
    wanted = tuple(sorted(d.reasons, key=order.index)) if "reasons" in fields else ()
    assert stored["reasons"] == wanted, d.control_id
    assert stored["justification"] == d.justification, d.control_id
    assert stored["status"] == (d.status if "status" in fields else None), d.control_id
    assert stored["owner"] == d.owner_email, d.control_id
    if d.owner_email is None:
        assert f"Owner: {UNKNOWN_OWNER}" in stored["notes"]
    if "notes" in fields:
        assert d.evidence in stored["notes"], d.control_id


@pytest.mark.parametrize("layout", [pytest.param(c, marks=pytest.mark.edition(c.edition),
                                                 id=c.name) for c in CORPUS])
def test_each_corpus_workbook_imports_with_the_right_counts_and_values(
        app, runner, owners, tmp_path, layout):
    with app.app_context():
        decisions = decide(get_edition(layout.edition).items)
    path = layout.build(tmp_path / f"{layout.name}.xlsx", decisions)
    summary = _dry_run(runner, path)
    applicable = sum(d.applicable for d in decisions)
    assert summary["edition"] == layout.edition
    assert summary["matched"] == len(decisions)
    assert (summary["applicable"], summary["not_applicable"]) == (
        applicable, len(decisions) - applicable)
    assert summary["unmatched_rows"] == [] and summary["unknown_values"] == {}
    unknown_owners = [d for d in decisions if d.owner_email is None]
    assert len(summary["warnings"]) == len(unknown_owners), summary["warnings"]
    assert all(f"no user is called '{UNKNOWN_OWNER}'" in w for w in summary["warnings"])
    decided = summary["decided"]
    assert decided["applicability"] == len(decisions)
    assert decided["justification"] == sum(bool(d.justification) for d in decisions)
    if "status" in layout.has:
        assert decided["status"] == sum(d.status is not None for d in decisions)
    assert decided["owner"] == len(decisions) - len(unknown_owners)
    if "reasons" in layout.has:
        assert decided["reasons"] == sum(bool(d.reasons) for d in decisions)
    assert None not in {summary["sheet"], summary["header_row"]}
    assert "id" in summary["columns"].values()
    assert _stored(app, layout.edition)[decisions[0].control_id]["applicability"] is None

    result = _run(runner, path)
    assert result.exit_code == 0, result.output
    stored = _stored(app, layout.edition)
    for d in decisions:
        _check_row(stored[d.control_id], d, layout.has)


@pytest.mark.edition("2022")
def test_the_combined_justification_column_fills_every_justification(app, runner, owners,
                                                                      tmp_path):
    with app.app_context():
        decisions = decide(get_edition("2022").items)
    path = CORPUS[0].build(tmp_path / "consultant.xlsx", decisions)
    summary = _dry_run(runner, path)
    columns = summary["columns"]
    assert columns["E"] == "justification" and columns["A"] is None  # the Clause column
    assert columns["B"] == "id" and columns["G"] == "owner" and columns["H"] == "notes"
    assert summary["header_row"] == 4
    with_one = sum(bool(d.justification) for d in decisions)
    assert summary["decided"]["justification"] == with_one < len(decisions)


@pytest.mark.parametrize("layout", [c for c in CORPUS if c.name == "reason_columns_2022"],
                         ids=["responsibility"])
@pytest.mark.edition("2022")
def test_separate_reason_columns_and_the_responsibility_split(app, runner, owners, tmp_path,
                                                              layout):
    with app.app_context():
        decisions = decide(get_edition("2022").items)
    assert _run(runner, layout.build(tmp_path / "r.xlsx", decisions)).exit_code == 0
    stored = _stored(app, "2022")
    assert stored["A.5.1"]["responsibility"] == "shared"
    assert stored["A.5.1"]["company_part"] == "We configure it."
    assert stored["A.5.1"]["aws_part"] == "AWS runs it."
    assert stored["A.5.2"]["responsibility"] == "company"


@pytest.mark.edition("2022")
def test_an_unknown_language_imports_after_map_and_value_options(app, runner, tmp_path):
    with app.app_context():
        decisions = decide(get_edition("2022").items)
    path = spanish_2022(tmp_path / "es.xlsx", decisions)
    first = _dry_run(runner, path)
    assert first["columns"]["C"] is None and first["decided"] == {}  # nothing understood
    maps = ["--map", "applicability=¿Aplica?", "--map", "status=D",
            "--map", "justification=Justificación", "--map", "title=B"]
    mapped = _dry_run(runner, path, *maps)
    statuses = {"Implementado": "implemented", "Parcial": "partial",
                "Planificado": "planned", "Sin iniciar": "not_started"}
    assert mapped["unknown_values"] == {
        "applicability": {"Sí": sum(d.applicable for d in decisions)},
        "status": {text: sum(d.status == value for d in decisions)
                   for text, value in statuses.items()}}
    assert mapped["warnings"][0].startswith("Applicable: 'Sí'")  # unknown values come first
    values = ["--value", "applicability:Sí=applicable"] + [
        arg for text, value in statuses.items() for arg in ("--value", f"status:{text}={value}")]
    result = _run(runner, path, *maps, *values, "--save-mapping", "Spanish SoA")
    assert result.exit_code == 0, result.output
    stored = _stored(app, "2022")
    for d in decisions:
        assert stored[d.control_id]["applicability"] == (
            "applicable" if d.applicable else "excluded")
        assert stored[d.control_id]["status"] == d.status
        assert stored[d.control_id]["justification"] == d.justification
    again = _dry_run(runner, path, "--mapping", "Spanish SoA")  # the saved mapping is reused
    assert again["unknown_values"] == {} and again["changes"] == 0
    assert again["decided"]["status"] == sum(d.status is not None for d in decisions)


@pytest.mark.parametrize("options, message", [
    (["--map", "colour=D"], "FIELD=COLUMN"), (["--value", "status:Klaar=finished"],
                                              "FIELD:TEXT=VALUE"),
    (["--mapping", "nope"], "no saved mapping called 'nope'"),
    (["--sheet", "Nope"], "no sheet named 'Nope'")])
def test_bad_options_are_clean_errors(app, runner, tmp_path, options, message):
    with app.app_context():
        decisions = decide(get_edition("2013").items)
    path = CORPUS[3].build(tmp_path / "d.xlsx", decisions)
    result = _run(runner, path, *options)
    assert result.exit_code == 1 and message in result.output, result.output
