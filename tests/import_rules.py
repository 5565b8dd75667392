"""The one-way dependency rule, checked by reading every import in the source tree."""

import ast
from pathlib import Path

# Who may import whom: each package may use any package further down the chain.
CHAIN = ("soa", "controls", "management", "connectors", "evidence", "isms")
# The single composition point where the shell registers its features.
COMPOSITION_POINT = Path("isms", "app.py")


def _imports(tree: ast.AST, module: str):
    """Yield (line, imported module) for every import, including those inside functions."""
    package_parts = module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                yield node.lineno, f"{target}.{alias.name}" if target else alias.name


def _allowed(source_pkg: str, target: str, path: Path) -> str | None:
    """Return why an import is wrong, or None when it is allowed."""
    parts = target.split(".")
    target_pkg = parts[0]
    if target_pkg not in CHAIN or target_pkg == source_pkg:
        return None
    if CHAIN.index(target_pkg) < CHAIN.index(source_pkg):
        if path == COMPOSITION_POINT and len(parts) == 1:
            return None
        return f"{source_pkg} must not import {target_pkg} (wrong way)"
    if len(parts) < 2 or parts[1] != "api":
        return f"{source_pkg} may use {target_pkg} only through {target_pkg}.api"
    return None


def find_violations(root: Path) -> list[str]:
    """Return every import in the packages under `root` that breaks the rule."""
    problems = []
    for package in CHAIN:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if "migrations" in relative.parts:
                continue
            module = ".".join(relative.with_suffix("").parts)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, target in _imports(tree, module):
                reason = _allowed(package, target, relative)
                if reason:
                    problems.append(f"{relative}:{line}: {reason} ({target})")
    return problems
