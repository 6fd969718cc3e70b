"""With ARTICLE_CURATOR_REQUIRE_POSTGRES=1 (as CI sets it) a PostgreSQL test that cannot run fails, not skips."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = textwrap.dedent("""
    from tests import postgres_server

    postgres_server._pg_bin = lambda: None  # as on a machine without PostgreSQL

    def test_needs_a_server():
        with postgres_server.running_postgres():
            pass
""")


def _run(tmp_path: Path, required: str) -> subprocess.CompletedProcess[str]:
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    env = {"ARTICLE_CURATOR_REQUIRE_POSTGRES": required, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           str(probe)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_a_missing_server_fails_when_required_and_skips_otherwise(tmp_path: Path) -> None:
    required = _run(tmp_path, "1")
    assert required.returncode == 1 and "1 failed" in required.stdout
    assert "ARTICLE_CURATOR_REQUIRE_POSTGRES=1" in required.stdout
    optional = _run(tmp_path, "0")
    assert optional.returncode == 0 and "1 skipped" in optional.stdout


def test_ci_requires_the_postgresql_tests() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "export ARTICLE_CURATOR_REQUIRE_POSTGRES=1" in ci
    assert ci.index("ARTICLE_CURATOR_REQUIRE_POSTGRES=1") < ci.index("-m pytest")
