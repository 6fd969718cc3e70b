"""A real PostgreSQL server in a temp folder for the tests that need one (skipped when none is installed)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# CI sets this: there a PostgreSQL test that cannot run is a failure, not a skip.
REQUIRED = os.environ.get("ARTICLE_CURATOR_REQUIRE_POSTGRES") == "1"


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason}, and ARTICLE_CURATOR_REQUIRE_POSTGRES=1 says the PostgreSQL tests must run")
    pytest.skip(reason)


class PostgresServer:
    """A PostgreSQL server in a temp folder that a test may stop and start again on the same port."""

    def __init__(self, bindir: Path, prefix: list[str], fsync: bool = False) -> None:
        self.bindir, self.prefix = bindir, prefix
        self.fsync = "on" if fsync else "off"  # off for the tests (nothing outlives them); on to measure
        self.folder = Path(tempfile.mkdtemp(prefix="curator-pg-"))
        self.data = self.folder / "data"
        if prefix:
            shutil.chown(self.folder, "postgres")
        self.port = _free_port()
        subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"],
                       check=True, capture_output=True)
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        subprocess.run([*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l",
                        str(self.folder / "log"), "-w", "-o",
                        f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync={self.fsync}", "start"],
                       check=True, capture_output=True)

    def stop(self, mode: str = "immediate") -> None:
        subprocess.run([*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"],
                       capture_output=True)


@contextmanager
def running_postgres_server(fsync: bool = False) -> Iterator[PostgresServer]:
    """Start PostgreSQL in a temp folder; the server (its ``url``: database ``postgres``) until the block ends."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed")
    bindir = _pg_bin()
    if bindir is None:
        _unavailable("PostgreSQL is not installed")
        return
    # initdb refuses to run as root: run the server as the postgres user then.
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            _unavailable("running as root without runuser")
        prefix = ["runuser", "-u", "postgres", "--"]
    server = PostgresServer(bindir, prefix, fsync)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


@contextmanager
def running_postgres() -> Iterator[str]:
    """Start PostgreSQL in a temp folder; its SQLAlchemy URL (database ``postgres``) until the block ends."""
    with running_postgres_server() as server:
        yield server.url
