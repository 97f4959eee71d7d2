"""The apps import only downward: directions ← kpis ← reports, with metu_strategy's
helpers beneath them all. An upward import (even one inside a function) ties the plan's
structure to what is built on it and ends in import cycles, so the source is read here
and every import checked."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each app may import the apps at or below its own level.
LEVELS = {"metu_strategy": 0, "directions": 1, "kpis": 2, "reports": 3, "notices": 4}
# The root URLconf wires every app's pages together; it is the one module above them all.
TOP_MODULES = {"metu_strategy.urls"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import statement anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def upward_imports(app: str) -> list[str]:
    wrong = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if module_name(path) in TOP_MODULES:
            continue
        for line, name in imported_modules(path):
            target = name.split(".")[0]
            if target in LEVELS and LEVELS[target] > LEVELS[app]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return wrong


@pytest.mark.parametrize("app", list(LEVELS))
def test_no_app_imports_an_app_above_it(app):
    assert upward_imports(app) == []


def test_the_check_sees_imports_inside_functions_and_relative_ones(tmp_path, monkeypatch):
    # The check itself must find what it is there to find.
    app = tmp_path / "directions"
    (app / "sub").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "sub" / "__init__.py").write_text("")
    (app / "sub" / "tree.py").write_text(
        "from directions.models import Program\n"
        "def tree():\n"
        "    from kpis.models import Kpi\n"
        "    import reports.selectors\n"
        "from .. import models\n"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert upward_imports("directions") == [
        "directions/sub/tree.py:3 imports kpis.models",
        "directions/sub/tree.py:4 imports reports.selectors",
    ]
