"""Where a user's data, settings and logs live (platformdirs).

``ARTICLE_CURATOR_HOME`` redirects every path below one folder: tests and
portable installs use it so that a real profile is never touched.
``ARTICLE_CURATOR_DB`` picks the dataset used when ``--db`` is not given.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_DIR_NAME = "ArticleCurator"
HOME_ENV = "ARTICLE_CURATOR_HOME"
DB_ENV = "ARTICLE_CURATOR_DB"


def _base(kind: str) -> Path:
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / kind
    import platformdirs  # not needed when a dataset is named, which the command line's quick reads rely on

    dirs = platformdirs.PlatformDirs(APP_DIR_NAME, appauthor=False)
    return Path(
        {
            "data": dirs.user_data_dir,
            "config": dirs.user_config_dir,
            "logs": dirs.user_log_dir,
            "cache": dirs.user_cache_dir,
        }[kind]
    )


def data_dir() -> Path:
    return _base("data")


def config_dir() -> Path:
    return _base("config")


def log_dir() -> Path:
    return _base("logs")


def datasets_dir() -> Path:
    """The folder of the default and sample datasets, where File ▸ Open Dataset starts."""
    return data_dir() / "datasets"


def default_dataset_path() -> Path:
    return datasets_dir() / "default.curator.sqlite"


def _chosen(location: str | os.PathLike[str] | None) -> str:
    """``--db``'s value, or the dataset chosen without it."""
    if location is None or str(location) == "":
        location = os.environ.get(DB_ENV) or default_dataset_path()
    return str(location)


def dataset_file(location: str | os.PathLike[str] | None) -> Path | None:
    """The dataset file ``--db``'s value (a path, a URL, or nothing) names; None for a database URL."""
    text = _chosen(location)
    return None if "://" in text else Path(text).expanduser().resolve()


def resolve_dataset(location: str | os.PathLike[str] | None) -> str:
    """Turn ``--db``'s value (a path, a SQLAlchemy URL, or nothing) into a SQLAlchemy URL."""
    from sqlalchemy.engine import URL

    path = dataset_file(location)
    if path is None:
        # A password in the address goes to the connections, never into what is shown or remembered.
        from app.core.team.credentials import without_password

        return without_password(_chosen(location))
    # Built, not formatted: a "?" or "#" in a folder name must stay part of the path.
    return URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)
