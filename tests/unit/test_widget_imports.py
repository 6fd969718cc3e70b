"""The widgets share colours and helpers through public names, and know the data only through the core."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WIDGETS = ROOT / "app" / "widgets"


def app_imports(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(module, names) of every import of an ``app`` module in ``path``, at any depth."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "app" or node.module.startswith("app."):
                yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "app" or alias.name.startswith("app."):
                    yield alias.name, []


def widget_imports() -> Iterator[tuple[str, str, list[str]]]:
    """(widget module's path, imported module, names) of every import of an ``app`` module in app/widgets."""
    for path in sorted(WIDGETS.glob("*.py")):
        for module, names in app_imports(path):
            yield str(path.relative_to(ROOT)), module, names


def test_no_widget_module_imports_a_private_name():
    private = [f"{path}: {module} {name}" for path, module, names in widget_imports()
               for name in names if name.startswith("_") and not name.startswith("__")]
    assert not private


def test_no_widget_module_imports_the_models():
    models = [f"{path}: {module}" for path, module, _ in widget_imports()
              if module == "app.models" or module.startswith("app.models.")]
    assert not models


def test_the_rules_catch_what_they_forbid(tmp_path: Path):
    module = tmp_path / "bad.py"
    module.write_text("from app.widgets.panel_header import _Styled, tinted\nimport app.models.tables\n")
    assert list(app_imports(module)) == [("app.widgets.panel_header", ["_Styled", "tinted"]),
                                         ("app.models.tables", [])]
