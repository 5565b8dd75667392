"""Property-based tests: no grid of cells and no form submission crashes the tracker.

Hypothesis generates mixed cell types, ragged rows, merged ranges and odd headers for the SoA
grid reader, and arbitrary field values for the forms; through the test client the answer is
never a 500. SQLite only: the point is the parsers, not the database.
"""

import io
import string
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from isms.auth.models import Role
from isms.forms import choice_values, choices, pick_arg, strip_text
from soa.grid import Cell
from soa.grid_values import read_workbook as read_grid
from soa.importer import catalogs
from soa.vocabulary import HEADERS, REASONS, RESPONSIBILITY, STATUS, YES_NO
from soa.xlsx_file import check_file, load_sheets
from tests.conftest import is_postgres

pytestmark = pytest.mark.skipif(is_postgres(), reason="the parsers, not the database: SQLite only")

CHEAP = settings(max_examples=300, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture,
                                        HealthCheck.too_slow])
THROUGH_THE_APP = settings(CHEAP, max_examples=200)

HEADER_WORDS = sorted(HEADERS)
CELL_WORDS = sorted(set(YES_NO) | set(STATUS) | set(REASONS) | set(RESPONSIBILITY))
IDS = ["A.9.1.1", "9.1.1", "A.5.1", "5.10", "A 12.4.1", "A.18.2.3 Technical review", "8.34",
       "A.5", "5", "A.99.1.1", "0.0.0", "A.9.1.1.1", " a.6.1.2 - Segregation "]
IDS_2013 = ["A.9.1.1", "A.9.1.2", "A.12.4.1", "A.18.2.3", "A.5.1.1", "10.1.1", "A.6.1.2",
            "A.9.1.1", "A.9", "A.9.1 Business requirements"]
FORMATS = ["General", "0.00", "0.0", "0", "@", "yyyy-mm-dd", "", None, "0.000000000000"]

odd_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
cell_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=False, places=3),
    st.dates(), st.datetimes(), st.sampled_from(HEADER_WORDS), st.sampled_from(CELL_WORDS),
    st.sampled_from(IDS), odd_text,
    st.builds(lambda w: w.upper() + " ?:", st.sampled_from(HEADER_WORDS)),
)
cells = st.builds(Cell, cell_values, st.sampled_from(FORMATS))
rows = st.lists(st.lists(cells, max_size=8), max_size=25)
sheet_names = st.text(alphabet=string.ascii_letters + " -", min_size=1, max_size=12)


def header_then_rows():
    """A sheet more likely to be read: a real header somewhere, ids below it."""
    header = st.lists(st.sampled_from(HEADER_WORDS), min_size=1, max_size=6)
    body = st.lists(st.lists(st.one_of(st.sampled_from(IDS), st.sampled_from(CELL_WORDS),
                                       cell_values), max_size=7), max_size=20)
    return st.tuples(rows.map(lambda r: r[:3]), header, body).map(
        lambda parts: parts[0] + [[Cell(h) for h in parts[1]]]
        + [[Cell(v) for v in row] for row in parts[2]])


sheets = st.dictionaries(sheet_names, st.one_of(rows, header_then_rows()), max_size=3)
KNOWN_VALUES = {
    "applicability": {"applicable", "excluded"}, "status": set(STATUS.values()) - {"none"},
    "responsibility": set(RESPONSIBILITY.values()),
}


def check_result(result, known) -> None:
    """What the grid reader promises whatever it was given."""
    if result.error:
        assert not result.rows
        return
    assert result.edition in known
    ids = [found.control_id for found in result.rows]
    assert len(ids) == len(set(ids))
    assert all(control_id in known[result.edition] for control_id in ids)
    for found in result.rows:
        for key, value in found.values.items():
            if key in KNOWN_VALUES:
                assert value in KNOWN_VALUES[key]
            elif key == "reasons":
                assert value and set(value) <= set(REASONS.values())
            elif key == "notes":
                assert value and all(isinstance(line, str) and line for line in value)
            else:
                assert isinstance(value, str) and value
    assert all(isinstance(warning, str) for warning in result.warnings)


@pytest.fixture
def known(app):
    with app.app_context():
        return catalogs()


@CHEAP
@given(workbook=sheets)
def test_the_grid_reader_takes_any_grid(known, workbook):
    result = read_grid(workbook, known)
    event("controls found" if result.rows else "no controls found")
    check_result(result, known)


def write_xlsx(grid: list[list], merges: list[tuple[int, int, int, int]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in grid:
        sheet.append([_storable(v) for v in row])
    for top, left, height, width in merges:
        sheet.merge_cells(start_row=top, start_column=left, end_row=top + height,
                          end_column=left + width)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _storable(value):
    """openpyxl refuses control characters and values Excel cannot hold; keep the rest."""
    if isinstance(value, str):
        return "".join(ch for ch in value if ch.isprintable() or ch in "\n\t")
    if isinstance(value, float) and (value != value or abs(value) == float("inf")):
        return None
    if isinstance(value, datetime | date) and value.year < 1900:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
        return None
    return value


plain_values = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000),
                         st.floats(-1e6, 1e6, allow_nan=False),
                         st.dates(min_value=date(1900, 3, 1)),
                         st.sampled_from(HEADER_WORDS), st.sampled_from(CELL_WORDS),
                         st.sampled_from(IDS), odd_text)
merges = st.lists(st.tuples(st.integers(1, 12), st.integers(1, 6), st.integers(0, 3),
                            st.integers(0, 3)), max_size=4)
free_grids = st.tuples(st.lists(st.sampled_from(HEADER_WORDS), min_size=1, max_size=6),
                       st.lists(st.lists(plain_values, max_size=6), max_size=12)).map(
    lambda parts: [list(parts[0])] + parts[1])
soa_like_grids = st.tuples(  # an id column first, then odd headers and odd values beside ids
    st.lists(st.sampled_from(HEADER_WORDS), max_size=5),
    st.lists(st.tuples(st.sampled_from(IDS_2013 + IDS), st.lists(
        st.one_of(st.sampled_from(CELL_WORDS), plain_values), max_size=5)), max_size=12)).map(
    lambda parts: [["control id", *parts[0]]] + [[i, *rest] for i, rest in parts[1]])
grids = st.one_of(free_grids, soa_like_grids)


def _merged_workbook(grid, ranges, tmp_path) -> str:
    from openpyxl.utils.exceptions import IllegalCharacterError

    try:
        data = write_xlsx(grid, _disjoint(ranges))
    except IllegalCharacterError:
        data = write_xlsx([[None]], [])
    path = tmp_path / "grid.xlsx"
    path.write_bytes(data)
    return str(path)


def _cells(top, left, height, width) -> set[tuple[int, int]]:
    return {(r, c) for r in range(top, top + height + 1) for c in range(left, left + width + 1)}


def _disjoint(ranges):
    """Excel refuses overlapping merges; keep the first of any that overlap."""
    kept: list[tuple[int, int, int, int]] = []
    for top, left, height, width in ranges:
        cells = _cells(top, left, height, width)
        if len(cells) > 1 and all(cells.isdisjoint(_cells(*other)) for other in kept):
            kept.append((top, left, height, width))
    return kept


@THROUGH_THE_APP
@given(grid=grids, ranges=merges)
def test_merged_ranges_in_a_real_workbook_read_without_crashing(app, known, tmp_path, grid,
                                                               ranges):
    path = _merged_workbook(grid, ranges, tmp_path)
    with app.app_context():
        sheets_read = load_sheets(path, check_file(path))
    for rows_read in sheets_read.values():  # a merged range carries its top-left value
        assert all(isinstance(cell, Cell) for row in rows_read for cell in row)
    check_result(read_grid(sheets_read, known), known)


@THROUGH_THE_APP
@given(grid=grids, ranges=merges, name=st.sampled_from(["soa.xlsx", "x", "é.XLSX", ""]))
def test_the_import_page_never_answers_500(app, client, login_as, tmp_path, grid, ranges,
                                           name):
    if not getattr(client, "signed_in", False):
        login_as(Role.LEAD)
        client.signed_in = True
    data = Path(_merged_workbook(grid, ranges, tmp_path)).read_bytes()
    response = client.post("/soa/import", data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    event(f"import answered {response.status_code}")
    assert response.status_code in (200, 400, 422), response.status_code


any_text = st.one_of(odd_text, st.text(max_size=5000), st.sampled_from(
    ["", " ", "\x00", "2026-02-30", "9999-12-31", "0001-01-01", "-1", "1e309", "<script>",
     "=HYPERLINK(\"x\")", "A.9.1.1", "A.9.1.1, A.9.9.9", "applicable", "excluded", "risk",
     "company", "aws", "shared", "quarterly", "none", "partial", "\u202e", "\U0001d518\U0001d52b"]))


@CHEAP
@given(value=st.one_of(st.none(), any_text, st.integers(), st.binary(max_size=20)),
       args=st.dictionaries(odd_text, any_text, max_size=4), allowed=st.sets(any_text))
def test_the_shared_form_helpers_take_anything(app, value, args, allowed):
    assert isinstance(strip_text(value), str)
    for name in list(args) + ["missing"]:
        picked = pick_arg(MultiDict(args), name, allowed)
        assert picked == "" or picked in allowed
    with app.app_context():
        field_choices = choices((v, v) for v in allowed)
        assert {c.value for c in field_choices} == set(allowed)

        class Field:
            choices = field_choices
        assert choice_values(Field) == set(allowed)


CONTROL_FIELDS = ["applicability", "reasons", "justification", "implementation_status",
                  "responsibility", "company_part", "aws_part", "owner_id", "review_cadence",
                  "first_review_on", "risk_refs", "notes", "unknown"]
form_values = st.lists(any_text, min_size=1, max_size=3)


def form_data(fields, valid: dict):
    """Anything in the form's fields, or a valid submission with one or two fields changed."""
    def build(parts):
        base, changes = parts
        merged = {**base, **changes}
        return MultiDict([(k, v) for k, values in merged.items()
                          for v in ([values] if isinstance(values, str) else values)])

    anything = st.dictionaries(st.sampled_from(fields), form_values, max_size=len(fields))
    changed = st.dictionaries(st.sampled_from(fields), form_values, max_size=2)
    return st.one_of(st.tuples(st.just({}), anything),
                     st.tuples(st.just(valid), changed)).map(build)


@THROUGH_THE_APP
@given(data=form_data(CONTROL_FIELDS, {
    "applicability": "applicable", "reasons": "risk", "responsibility": "company",
    "implementation_status": "partial", "review_cadence": "quarterly"}))
def test_the_control_edit_form_never_answers_500(app, client, login_as, data):
    if not getattr(client, "signed_in", False):
        login_as(Role.LEAD)
        client.signed_in = True
        client.token = client.csrf_token()
    data.setlist("csrf_token", [client.token])
    response = client.post("/controls/A.9.1.1/edit", data=data, csrf=False)
    event(f"edit answered {response.status_code}")
    assert response.status_code in (302, 400, 422), response.status_code


EVIDENCE_FIELDS = ["kind", "title", "description", "owner_id", "tags", "controls",
                   "with_counterparts", "url", "text", "collected_on", "valid_until", "comment"]
file_names = st.one_of(odd_text, st.sampled_from(["", "a.pdf", "../../etc/passwd", "x" * 300,
                                                  "nul\x00.txt", "policy.PDF"]))


@THROUGH_THE_APP
@given(data=form_data(EVIDENCE_FIELDS, {
    "kind": "statement", "title": "Access review", "text": "We reviewed it.",
    "controls": "A.9.1.1", "collected_on": date.today().isoformat()}), upload=st.one_of(
    st.none(), st.tuples(st.binary(max_size=2000), file_names)))
def test_the_evidence_form_never_answers_500(app, client, login_as, data, upload):
    if not getattr(client, "signed_in", False):
        login_as(Role.LEAD)
        client.signed_in = True
        client.token = client.csrf_token()
    data.setlist("csrf_token", [client.token])
    if upload is not None:
        data.add("file", (io.BytesIO(upload[0]), upload[1]))
    response = client.post("/evidence/new", data=data, csrf=False,
                           content_type="multipart/form-data")
    event(f"evidence answered {response.status_code}")
    assert response.status_code in (302, 400, 413, 422), response.status_code
