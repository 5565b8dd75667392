from collections import Counter

from sqlalchemy import func, select

from isms.catalog import counterparts, get_edition
from isms.catalog.loader import default_for_2022, read_rows
from isms.catalog.models import CatalogAlias, CatalogControl, CatalogMapping
from isms.db import db


def test_the_2013_edition_has_14_clauses_35_objectives_and_114_controls(app):
    with app.app_context():
        edition = get_edition("2013")
        assert len(edition.items) == 114
        assert len(edition.groups) == 14
        assert len({i.objective_id for i in edition.items}) == 35
        assert edition.items[0].control_id == "A.5.1.1"
        assert edition.items[-1].control_id == "A.18.2.3"


def test_the_2022_edition_has_93_controls_in_four_themes(app):
    with app.app_context():
        edition = get_edition("2022")
        assert len(edition.items) == 93
        themes = Counter(i.group_title for i in edition.items)
        assert themes == {"Organizational": 37, "People": 8, "Physical": 14, "Technological": 34}
        assert all(i.control_id.startswith(i.group_id + ".") for i in edition.items)


def test_the_mapping_has_115_pairs_and_11_new_controls_whose_ends_all_exist(app):
    with app.app_context():
        rows = db.session.scalars(select(CatalogMapping)).all()
        ids_2013 = {i.control_id for i in get_edition("2013").items}
        ids_2022 = {i.control_id for i in get_edition("2022").items}
    assert len(rows) == 126
    assert sum(1 for r in rows if r.id_2013) == 115
    assert sum(1 for r in rows if r.id_2013 is None) == 11
    assert all(r.id_2022 in ids_2022 for r in rows)
    assert all(r.id_2013 in ids_2013 for r in rows if r.id_2013)
    # Every 2013 control has a home in 2022, and every 2022 control a row in the mapping.
    assert {r.id_2013 for r in rows if r.id_2013} == ids_2013
    assert {r.id_2022 for r in rows} == ids_2022


def test_counterparts_follow_the_mapping_both_ways(app):
    with app.app_context():
        assert [c.control_id for c in counterparts("2013", "A.18.2.3")] == ["A.5.36", "A.8.8"]
        assert {c.control_id for c in counterparts("2022", "A.5.1")} == {"A.5.1.1", "A.5.1.2"}
        assert counterparts("2022", "A.5.7") == ()  # threat intelligence is new in 2022


def test_aliases_point_at_known_clauses_objectives_or_controls(app):
    with app.app_context():
        known = {("2013", i.control_id) for i in get_edition("2013").items}
        known |= {("2013", i.group_id) for i in get_edition("2013").items}
        known |= {("2013", i.objective_id) for i in get_edition("2013").items}
        known |= {("2022", i.control_id) for i in get_edition("2022").items}
        aliases = db.session.scalars(select(CatalogAlias)).all()
    assert len(aliases) == 17
    assert all((a.edition, a.ref_id) in known for a in aliases)


def test_2022_default_responsibility_is_derived_from_the_mapped_2013_controls(app):
    with app.app_context():
        by_2013 = {i.control_id: i.default_responsibility for i in get_edition("2013").items}
        for item in get_edition("2022").items:
            sources = {by_2013[c.control_id] for c in counterparts("2022", item.control_id)}
            if not sources:
                assert item.default_responsibility == "company", item.control_id
            elif len(sources) == 1:
                assert item.default_responsibility == sources.pop(), item.control_id
            else:
                assert item.default_responsibility == "shared", item.control_id
    assert Counter(by_2013.values()) == {"company": 93, "shared": 20, "aws": 1}


def test_default_for_2022_rule():
    assert default_for_2022(set()) == "company"
    assert default_for_2022({"aws"}) == "aws"
    assert default_for_2022({"company", "shared"}) == "shared"


def test_init_twice_leaves_no_duplicates(app, runner):
    for _ in range(2):
        result = runner.invoke(args=["init"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CatalogControl)) == 207
        assert db.session.scalar(select(func.count()).select_from(CatalogMapping)) == 126
        duplicates = db.session.execute(
            select(CatalogControl.edition, CatalogControl.control_id)
            .group_by(CatalogControl.edition, CatalogControl.control_id)
            .having(func.count() > 1)
        ).all()
    assert duplicates == []
    assert "catalog: 0 rows added or updated" in result.output


def test_packaged_catalog_holds_ids_and_titles_only():
    headers = set(read_rows("annex-a-2013.csv")[0]) | set(read_rows("annex-a-2022.csv")[0])
    assert headers <= {"id", "clause_id", "clause_title", "objective_id", "objective_title",
                       "title", "theme", "default_responsibility", "aws_evidence"}
