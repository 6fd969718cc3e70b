"""The core and the models never import Qt: the CLI, tests and workers rely on it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("PySide6", "shiboken6", "qtawesome", "qtpy", "app.widgets")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_and_models_sources_do_not_import_qt():
    offenders = []
    for folder in ("app/core", "app/models", "app/migrations"):
        for path in (ROOT / folder).rglob("*.py"):
            for name in imported_modules(path):
                if name.startswith(FORBIDDEN):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, offenders


@pytest.mark.slow
def test_importing_the_whole_core_loads_no_qt():
    modules = sorted(
        "app.core." + p.stem for p in (ROOT / "app/core").glob("*.py") if p.stem != "__init__"
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "import app.cli, app.models\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'qtawesome', 'qtpy', 'app.widgets'))]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
