from pathlib import Path

from tests.import_rules import find_violations

ROOT = Path(__file__).resolve().parent.parent


def test_packages_depend_one_way_and_only_through_api():
    assert find_violations(ROOT) == []


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return tmp_path


def test_a_planted_wrong_way_import_inside_a_function_is_caught(tmp_path):
    root = _plant(tmp_path, {
        "isms/__init__.py": "",
        "evidence/__init__.py": "",
        "evidence/jobs.py": "def run():\n    from controls.api import anything\n",
        "controls/__init__.py": "",
        "controls/api.py": "",
    })
    assert find_violations(root) == [
        "evidence/jobs.py:2: evidence must not import controls (wrong way) "
        "(controls.api.anything)"
    ]


def test_reaching_past_api_and_relative_imports_are_caught(tmp_path):
    root = _plant(tmp_path, {
        "isms/__init__.py": "",
        "isms/audit.py": "from ..controls import models\n",
        "controls/__init__.py": "",
        "controls/views.py": "import evidence.models\nfrom isms.api import db\n",
        "evidence/__init__.py": "",
    })
    assert find_violations(root) == [
        "controls/views.py:1: controls may use evidence only through evidence.api "
        "(evidence.models)",
        "isms/audit.py:1: isms must not import controls (wrong way) (controls.models)",
    ]


def test_only_the_app_factory_may_register_features(tmp_path):
    root = _plant(tmp_path, {
        "isms/app.py": "import controls\n",
        "isms/cli.py": "import controls\n",
        "controls/__init__.py": "",
    })
    assert find_violations(root) == [
        "isms/cli.py:1: isms must not import controls (wrong way) (controls)"
    ]


def test_connectors_sit_between_management_and_evidence(tmp_path):
    root = _plant(tmp_path, {
        "isms/__init__.py": "",
        "evidence/__init__.py": "",
        "evidence/api.py": "",
        "evidence/services.py": "from connectors.api import failing_checks\n",
        "connectors/__init__.py": "",
        "connectors/api.py": "",
        "connectors/aws/runs.py": ("from evidence.api import store_file_evidence\n"
                                   "from evidence.models import EvidenceItem\n"
                                   "from management.api import list_risks\n"),
        "management/__init__.py": "",
        "management/api.py": "from connectors.api import failing_checks\n",
    })
    assert find_violations(root) == [
        "connectors/aws/runs.py:2: connectors may use evidence only through evidence.api "
        "(evidence.models.EvidenceItem)",
        "connectors/aws/runs.py:3: connectors must not import management (wrong way) "
        "(management.api.list_risks)",
        "evidence/services.py:1: evidence must not import connectors (wrong way) "
        "(connectors.api.failing_checks)",
    ]


def test_a_planted_import_of_the_soa_from_below_is_caught(tmp_path):
    root = _plant(tmp_path, {
        "controls/__init__.py": "",
        "controls/views.py": "from soa.api import issued_versions\n",
        "soa/__init__.py": "",
        "soa/views.py": "from controls.api import list_decisions\nfrom controls import models\n",
    })
    assert find_violations(root) == [
        "soa/views.py:2: soa may use controls only through controls.api (controls.models)",
        "controls/views.py:1: controls must not import soa (wrong way) "
        "(soa.api.issued_versions)",
    ]
