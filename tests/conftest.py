"""Shared fixtures: every test runs with its own data/config folders and dataset file."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Local test servers must never be reached through a proxy from the environment.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
# Never the machine's own keyring (a team server's passwords): tests that need one set their own.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

pytest_plugins = ["tests.conftest_http"]

DATA = Path(__file__).parent / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test on a PostgreSQL server is slow (a server starts per module); the others are marked by hand."""
    for item in items:
        if {"pg_url", "pg_server"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every platform folder (data, config, logs) at a fresh temp folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("ARTICLE_CURATOR_HOME", str(home))
    monkeypatch.delenv("ARTICLE_CURATOR_DB", raising=False)
    return home


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "dataset.sqlite"


@pytest.fixture(scope="session")
def empty_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new, fully migrated dataset made once per test process, for tests to copy (migrating takes ~0.3 s)."""
    from app.core.db.store import open_store

    folder = tmp_path_factory.mktemp("template")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ARTICLE_CURATOR_HOME", str(folder / "home"))
        open_store(folder / "empty.sqlite").close()
    return folder / "empty.sqlite"


@pytest.fixture
def store(db_path: Path, empty_dataset: Path) -> Iterator[object]:
    from app.core.db.store import open_store

    shutil.copyfile(empty_dataset, db_path)  # the same file migrating a new dataset would leave
    s = open_store(db_path)
    yield s
    s.close()


@pytest.fixture(scope="session")
def sample_text() -> str:
    return (DATA / "meta-llama-turnover.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pg_server() -> Iterator[object]:
    """A PostgreSQL server for this test module that a test may stop and start (skipped when none is installed)."""
    from tests.postgres_server import running_postgres_server

    with running_postgres_server() as server:
        yield server


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A PostgreSQL server for this test module, started in a temp folder; its URL (skipped when none is installed)."""
    from tests.postgres_server import running_postgres

    with running_postgres() as url:
        yield url
