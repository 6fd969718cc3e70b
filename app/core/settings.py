"""User settings: declared once, typed, versioned, stored as JSON in the config folder.

Window geometry and dock layout are Qt's business (QSettings); everything else
a user chooses lives here, so the CLI and the GUI agree on it.
"""

from __future__ import annotations

import getpass
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from app.core.changes import ChangeKind, Changes
from app.core.ingest.fetch_options import MB, FetchOptions
from app.core.paths import config_dir

SCHEMA_VERSION = 1
DEFAULT_VERDICTS = ("unverified", "true", "false", "misleading", "other")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some sandboxes
        return "annotator"


@dataclass
class Settings:
    annotator: str = field(default_factory=_os_user)
    fetch_timeout: float = FetchOptions.timeout
    fetch_concurrency: int = FetchOptions.concurrency
    fetch_max_mb: float = FetchOptions.max_bytes / MB
    extract_workers: int = 0
    verdicts: list[str] = field(default_factory=lambda: list(DEFAULT_VERDICTS))
    recent_datasets: list[str] = field(default_factory=list)
    last_dataset: str = ""
    show_key_hint: bool = True
    show_suggestions: bool = True  # suggested spans over the open article (View ▸ Show Suggestions)
    # Where span suggestions come from: "dataset" (its own labels) or "spacy:<pipeline name or folder>",
    # the dataset's suggestions first and the pipeline's beside them (app.core.suggest.spacy_source).
    suggestion_source: str = "dataset"
    # How alike two articles' 5-word shingles must be (Jaccard, 0..1) for them to be near copies
    # (app.core.quality.near_copies). A change applies to articles imported afterwards; re-cluster
    # the dataset for the rest.
    near_copy_threshold: float = 0.8
    schema_version: int = SCHEMA_VERSION

    def remember_dataset(self, location: str, keep: int = 8) -> None:
        self.recent_datasets = [location] + [d for d in self.recent_datasets if d != location][: keep - 1]
        self.last_dataset = location


def update_settings(settings: Settings, **values: Any) -> Changes:
    """Set these values on ``settings`` (in memory; ``save_settings`` writes them) and say which changed."""
    changed = []
    for name, value in values.items():
        if not hasattr(settings, name):
            raise AttributeError(f"There is no setting called {name}.")
        if getattr(settings, name) != value:
            setattr(settings, name, value)
            changed.append(name)
    return Changes.of(ChangeKind.SETTINGS_CHANGED, settings=changed) if changed else Changes()


def settings_path() -> Path:
    return config_dir() / "settings.json"


def load_settings(path: Path | None = None) -> Settings:
    """Settings from disk; unknown keys are ignored and bad values fall back to defaults."""
    path = path or settings_path()
    try:
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Settings()
    defaults = Settings()
    values = {}
    for f in fields(Settings):
        if f.name in raw and isinstance(raw[f.name], type(getattr(defaults, f.name))):
            values[f.name] = raw[f.name]
    values["schema_version"] = SCHEMA_VERSION
    return Settings(**values)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically: a crash mid-write leaves the previous settings intact."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".settings-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(asdict(settings), f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
