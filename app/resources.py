"""The one way to find a file under ``resources/`` (icons, sample data, ...).

The same call works from a source checkout or editable install, an installed
wheel and a PyInstaller bundle; each keeps ``resources/`` in a different place.
Qt-free, so the CLI and the tests use it too.
"""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _candidates() -> list[Path]:
    found = []
    bundle = getattr(sys, "_MEIPASS", None)  # set by PyInstaller's bootloader
    if bundle:
        found.append(Path(bundle) / "resources")
    found.append(_PACKAGE_DIR.parent / "resources")  # source checkout, editable install
    return found


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
