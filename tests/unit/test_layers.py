"""The layers of the app import only downwards: models ← core ← widgets ← entry points.

The core and the models never import Qt: the CLI, tests and workers rely on it.
Migrations are frozen history: they import no app code, so that changing the app
cannot change what an old migration does. Within the core, the database layer
(``app/core/db``) knows nothing of importing, exporting or the operations above it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
QT = ("PySide6", "shiboken6", "qtawesome", "qtpy", "pyqtgraph")

# Lowest first; a module may import from its own layer and the ones before it. The
# package itself (``app``: version, names) and ``app.resources`` sit below them all.
LAYERS = (
    ("app.models",),
    ("app.core",),
    ("app.widgets",),
    # The command and its start-up checks, run before Qt is loaded.
    ("app.cli", "app.__main__", "app.platform_check"),
)
# Packages of the core the database layer must not import.
ABOVE_DB = ("app.core.ingest", "app.core.export", "app.core.ops")
# All a migration may import besides the standard library: no app code. Signing the stored
# articles (0012) needs MinHash itself, and numpy beneath it.
MIGRATION_IMPORTS = ("__future__", "sqlalchemy", "alembic", "datasketch", "numpy")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (functions and ``TYPE_CHECKING`` blocks too).

    ``from a.b import c`` counts as ``a.b`` and as ``a.b.c``: ``c`` may be a module.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's own package, or one above it per extra dot
                parent = package[: len(package) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def layer_of(module: str) -> int | None:
    for rank, prefixes in enumerate(LAYERS):
        if _within(module, prefixes):
            return rank
    return None


def _sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def layer_offenders() -> list[str]:
    offenders = []
    for path in _sources("app"):
        own = layer_of(module_name(path))
        if own is None:
            continue
        for name in sorted(imported_modules(path)):
            other = layer_of(name)
            if other is not None and other > own:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}, a layer above it")
    return offenders


def test_layers_import_only_downwards():
    offenders = layer_offenders()
    assert not offenders, offenders


def test_core_and_models_sources_do_not_import_qt():
    offenders = []
    for folder in ("app/core", "app/models", "app/migrations"):
        for path in _sources(folder):
            for name in imported_modules(path):
                if _within(name, QT):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, offenders


def migration_offenders() -> list[str]:
    allowed = set(MIGRATION_IMPORTS) | set(sys.stdlib_module_names)
    offenders = []
    for path in _sources("app/migrations"):
        for name in sorted(imported_modules(path)):
            if name.split(".")[0] not in allowed:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    return offenders


def test_migrations_import_no_app_code():
    offenders = migration_offenders()
    assert not offenders, offenders


def db_offenders() -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _sources("app/core/db")
        for name in sorted(imported_modules(path))
        if _within(name, ABOVE_DB)
    ]


def test_the_database_layer_imports_nothing_above_it_in_the_core():
    offenders = db_offenders()
    assert not offenders, offenders


@pytest.mark.slow
def test_importing_the_whole_core_loads_no_qt():
    modules = sorted(module_name(p) for p in _sources("app/core"))
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "import app.cli, app.models\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'qtawesome', 'qtpy', 'app.widgets'))]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
