import inspect
from pathlib import Path

import pytest

from isms.audit import record_event
from tests.audit_rules import find_missing_actors

ROOT = Path(__file__).resolve().parents[2]


def test_every_record_event_call_site_names_its_actor():
    assert find_missing_actors(ROOT) == []


def test_the_actor_is_a_required_keyword_of_record_event():
    actor = inspect.signature(record_event).parameters["actor"]
    assert actor.kind is inspect.Parameter.KEYWORD_ONLY
    assert actor.default is inspect.Parameter.empty


def test_a_call_without_an_actor_is_caught(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "services.py").write_text(
        "from isms.api import record_event\n"
        "def save(x):\n"
        "    record_event('x.save', 'x', 1, after={'a': 1})\n"
        "    audit.record_event('x.save', 'x', 1, actor=None)\n"
        "    record_event('x.save', 'x', 1, **extra)\n"
        "    record_event('x.save', 'x', 1, actor='')\n"
        "    record_event('x.save', 'x', 1, actor=who)\n")
    assert find_missing_actors(tmp_path) == [
        "pkg/services.py:3: record_event passes no actor",
        "pkg/services.py:4: record_event passes actor=None",
        "pkg/services.py:5: record_event passes **kwargs; name the actor explicitly",
        "pkg/services.py:6: record_event passes actor=''",
    ]


@pytest.mark.parametrize("actor", [None, "", "  "])
def test_record_event_refuses_an_empty_actor(app, actor):
    with app.app_context(), pytest.raises(ValueError, match="acting user"):
        record_event("x.save", "x", 1, actor=actor)
