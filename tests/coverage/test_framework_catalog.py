"""The NIS2 requirements and ENISA's mapping as package data of the catalog."""

import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from isms.catalog import clause_counterpart, clause_ids, get_edition, get_framework
from isms.catalog.loader import load_catalog
from isms.catalog.models import CatalogRequirement, CatalogRequirementMapping
from isms.db import db

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "isms" / "catalog" / "data"
# The reference data sits beside the checkout (../shared/catalog, as scripts/derive_catalog.py
# expects); a worktree one level further down finds it one folder higher.
SHARED = next((base / "shared" / "catalog" for base in (ROOT.parent, ROOT.parent.parent)
               if (base / "shared" / "catalog").is_dir()), ROOT.parent / "shared" / "catalog")
UNMAPPED = ["7.2.a", "7.2.b", "7.2.c", "7.2.d", "7.2.e", "7.2.f", "7.3", "9.2.a", "9.2.b",
            *[f"9.2.c.{n}" for n in ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix",
                                     "x", "xi", "xii")], "9.3"]


def test_nis2_has_439_nodes_and_931_pairs_in_the_database(app):
    with app.app_context():
        nodes = db.session.scalar(select(func.count()).select_from(CatalogRequirement)
                                  .where(CatalogRequirement.framework == "nis2"))
        pairs = db.session.scalar(select(func.count()).select_from(CatalogRequirementMapping)
                                  .where(CatalogRequirementMapping.framework == "nis2"))
        framework = get_framework("nis2")
    assert (nodes, pairs) == (439, 931)
    assert Counter(r.level for r in framework.requirements) == {1: 13, 2: 53, 3: 164, 4: 209}
    assert [s.requirement_id for s in framework.sections] == [str(n) for n in range(1, 14)]
    assert len(framework.leaves) == 336
    assert sum(1 for r in framework.requirements if r.title) == 60
    assert framework.iso_edition == "2022" and framework.short_name == "NIS2"


def test_every_mapped_id_is_a_2022_control_or_clause(app):
    with app.app_context():
        framework = get_framework("nis2")
        controls = {i.control_id for i in get_edition("2022").items}
        known = controls | clause_ids("2022")
    mapped = {iso_id for r in framework.requirements for iso_id in r.iso_ids}
    assert mapped <= known
    assert len({i for i in mapped if i.startswith("A.")}) == 69
    assert len({i for i in mapped if not i.startswith("A.")}) == 20


def test_the_22_unmapped_leaves_lie_in_sections_7_and_9(app):
    with app.app_context():
        framework = get_framework("nis2")
    unmapped = [r.requirement_id for r in framework.leaves if not r.is_mapped]
    assert unmapped == UNMAPPED
    assert {framework.get(r).section_id for r in unmapped} == {"7", "9"}


def test_nodes_know_their_heading_section_and_readable_number(app):
    with app.app_context():
        framework = get_framework("nis2")
    point = framework.get("6.10.2.a")
    assert point.heading == "Vulnerability handling and disclosure" and point.section_id == "6"
    assert point.iso_ids == tuple(sorted(point.iso_ids, key=lambda i: (i.startswith("A."), i)))
    assert framework.get("10.2").title == "Verification of background"
    assert framework.get("4.3.2:1").label == "4.3.2 (second subparagraph)"
    assert framework.get("12.5:1").label == "12.5"
    assert [a.requirement_id for a in framework.ancestors("9.2.c.iv")] == ["9", "9.2", "9.2.c"]
    assert [r.requirement_id for r in framework.leaves_under("6.6")] == [
        "6.6.1.a", "6.6.1.b", "6.6.1.c", "6.6.1.d", "6.6.2"]
    # Clauses come before Annex A controls, each in the standard's order.
    assert framework.get("1.1.1.a").iso_ids[:4] == ("5.2", "9.3.1", "9.3.2", "9.3.3")


def test_loading_the_catalog_again_changes_nothing(app):
    with app.app_context():
        assert load_catalog() == {"changed": 0}
        db.session.rollback()


def test_clause_counterparts_follow_the_clauses_that_moved(app):
    with app.app_context():
        found = {c: getattr(clause_counterpart(c, "2022", "2013"), "clause_id", None)
                 for c in ("5.2", "6.1.2", "6.3", "9.2.1", "9.3.2", "10.1", "10.2")}
        back = clause_counterpart("10.1", "2013", "2022").clause_id
    assert found == {"5.2": "5.2", "6.1.2": "6.1.2", "6.3": None, "9.2.1": "9.2",
                     "9.3.2": "9.3", "10.1": "10.2", "10.2": "10.1"}
    assert back == "10.2"


def test_the_attribution_is_the_sentence_the_licence_asks_for(app):
    with app.app_context():
        framework = get_framework("nis2")
    assert framework.attribution.startswith(
        "Contains the ISO/IEC 27001:2022 mapping from ENISA, \"Technical Implementation "
        "Guidance on Commission Implementing Regulation (EU) 2024/2690 \u2013 Mapping table\"")
    assert "licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)" in (
        framework.attribution)
    assert framework.source_notice == ("Source: Commission Implementing Regulation (EU) "
                                       "2024/2690, © European Union, https://eur-lex.europa.eu")
    readme = SHARED / "nis2" / "README.md"
    if readme.exists():
        assert framework.attribution in readme.read_text(encoding="utf-8")


@pytest.mark.skipif(not (SHARED / "nis2").is_dir(), reason="no reference data beside the repo")
def test_the_packaged_files_are_what_the_derivation_writes(tmp_path):
    script = (ROOT / "scripts" / "derive_catalog.py").read_text(encoding="utf-8")
    copy = tmp_path / "derive.py"
    # Write into a scratch folder so the check never touches the packaged files.
    copy.write_text(script.replace(
        'OUT = Path(__file__).resolve().parent.parent / "isms" / "catalog" / "data"',
        f"OUT = Path({str(tmp_path / 'out')!r})"), encoding="utf-8")
    done = subprocess.run([sys.executable, str(copy), "--source", str(SHARED)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    for name in ("frameworks.csv", "framework-nis2.csv", "framework-nis2-mapping.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (DATA / name).read_bytes(), name
    with (DATA / "framework-nis2-mapping.csv").open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 931
