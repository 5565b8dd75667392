"""Every audit event names its actor: read every `record_event(...)` call in the source tree."""

import ast
from pathlib import Path

SKIPPED = {".venv", "venv", ".git", "node_modules", "vendor", "build", "dist"}


def _source_files(root: Path):
    for path in sorted(root.rglob("*.py")):
        if not SKIPPED.intersection(path.relative_to(root).parts):
            yield path


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _actor_problem(call: ast.Call) -> str | None:
    """Say what is wrong with a call's actor, or None when it names one."""
    actor = next((k for k in call.keywords if k.arg == "actor"), None)
    if actor is None:
        if any(k.arg is None for k in call.keywords):
            return "passes **kwargs; name the actor explicitly"
        return "passes no actor"
    value = actor.value
    if isinstance(value, ast.Constant) and not (isinstance(value.value, str)
                                                and value.value.strip()):
        return f"passes actor={value.value!r}"
    return None


def find_missing_actors(root: Path) -> list[str]:
    """Return `path:line: problem` for each record_event call without an actor."""
    found = []
    for path in _source_files(root):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called_name(node) == "record_event":
                problem = _actor_problem(node)
                if problem:
                    found.append(f"{path.relative_to(root)}:{node.lineno}: record_event {problem}")
    return found
