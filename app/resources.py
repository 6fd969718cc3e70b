"""The one way to find a file under ``resources/`` (icons, sample data, ...).

The same call works in every form the app is installed in:

- a source checkout or an editable install (``pip install -e .``): the
  ``resources/`` folder beside the ``app`` package, in the checkout;
- an installed wheel (``pip install .``): ``app/_resources/``, where
  ``pyproject.toml`` maps the top-level ``resources/`` folder;
- a PyInstaller bundle: ``app/_resources/`` inside the bundle, where
  ``packaging/article_curator.spec`` copies it (the wheel's layout).

Qt-free, so the CLI and the tests use it too.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _candidates() -> list[Path]:
    installed = _PACKAGE_DIR / "_resources"  # wheel and PyInstaller bundle
    # A checkout is recognised by its pyproject.toml, so that an unrelated top-level
    # "resources" folder in site-packages (some packages install one) is never taken.
    checkout = _PACKAGE_DIR.parent / "resources"
    return [installed, checkout] if (_PACKAGE_DIR.parent / "pyproject.toml").is_file() else [installed]


def resources_root() -> Path:
    """The folder that holds the app's resources."""
    for folder in _candidates():
        if folder.is_dir():
            return folder
    tried = ", ".join(str(p) for p in _candidates())
    raise FileNotFoundError(f"The app's resources folder is missing (looked in {tried}); reinstall Article Curator.")


def resource_path(*parts: str) -> Path:
    """The path of ``resources/<parts...>``; raises FileNotFoundError naming it when missing."""
    path = resources_root().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"The resource {'/'.join(parts)} is missing from {resources_root()}; "
                                "reinstall Article Curator.")
    return path
