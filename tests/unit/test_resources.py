"""resource_path() finds resources/ from the source checkout and from an installed wheel.

The PyInstaller bundle is checked by packaging/smoke_test.sh, which CI runs on
the built app.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from app import APP_ID, resources
from app.resources import resource_path, resources_root

ROOT = Path(__file__).resolve().parents[2]


def test_source_checkout_uses_the_top_level_resources_folder():
    assert resources_root() == ROOT / "resources"
    svg = resource_path("icons", f"{APP_ID}.svg")
    assert svg == ROOT / "resources" / "icons" / f"{APP_ID}.svg"
    assert svg.is_file()


def test_a_missing_resource_is_named_in_the_error():
    with pytest.raises(FileNotFoundError, match="icons/no-such-icon.png"):
        resource_path("icons", "no-such-icon.png")


def _package(tmp_path: Path, *, installed: bool, checkout: bool, stray: bool = False) -> Path:
    """A fake layout around an ``app`` package folder; returns that folder."""
    package = tmp_path / "app"
    package.mkdir()
    if installed:
        (package / "_resources").mkdir()
    if checkout:
        (tmp_path / "pyproject.toml").write_text("")
    if checkout or stray:
        (tmp_path / "resources").mkdir()
    return package


def test_an_installed_package_prefers_its_own_resources(tmp_path, monkeypatch):
    package = _package(tmp_path, installed=True, checkout=True)
    monkeypatch.setattr(resources, "_PACKAGE_DIR", package)
    assert resources_root() == package / "_resources"


def test_a_stray_resources_folder_in_site_packages_is_not_taken(tmp_path, monkeypatch):
    package = _package(tmp_path, installed=False, checkout=False, stray=True)
    monkeypatch.setattr(resources, "_PACKAGE_DIR", package)
    with pytest.raises(FileNotFoundError, match="reinstall"):
        resources_root()


def _source_files(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


@pytest.mark.slow
def test_an_installed_wheel_finds_resources_and_migrations(tmp_path):
    """Build the wheel from a copy of the checkout, install it into a folder, use it from there."""
    started = time.monotonic()
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("app", "resources"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    # Build isolation fetches setuptools from the package index (PyPI).
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(tmp_path / "dist"), str(src)],
                   check=True, cwd=tmp_path, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("article_curator-*.whl")

    names = set(zipfile.ZipFile(wheel).namelist())
    missing_code = {f"app/{n}" for n in _source_files(ROOT / "app")} - names
    assert not missing_code, f"add their packages to [tool.setuptools] packages: {sorted(missing_code)}"
    missing_data = {f"app/_resources/{n}" for n in _source_files(ROOT / "resources")} - names
    assert not missing_data, sorted(missing_data)

    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--no-compile", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    code = (
        "import json, app\n"
        "from app.resources import resource_path, resources_root\n"
        "from app.core.db import migrations\n"
        f"icon = resource_path('icons', 'hicolor', '16x16', 'apps', {APP_ID + '.png'!r})\n"
        "print(json.dumps({'app': app.__file__, 'root': str(resources_root()), 'icon': str(icon),\n"
        "                  'migrations': str(migrations.MIGRATIONS_DIR), 'head': migrations.head_revision()}))\n"
    )
    # cwd and PYTHONPATH keep the checkout off sys.path: "app" must come from the wheel.
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                            cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert Path(found["app"]).is_relative_to(site)
    assert Path(found["root"]) == site / "app" / "_resources"
    assert Path(found["icon"]).is_file()
    assert Path(found["migrations"]) == site / "app" / "migrations"
    assert found["head"], "Alembic found no migration in the installed wheel"
    print(f"wheel built, installed and used in {time.monotonic() - started:.1f} s")
