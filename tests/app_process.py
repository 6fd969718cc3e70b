"""Running ``python -m app`` as a user would, in its own process, with a chosen environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_app(*args: str, home: Path, env_changes: dict[str, str | None]) -> subprocess.CompletedProcess[str]:
    """``python -m app ARGS`` with its home folder at ``home``; ``None`` in ``env_changes`` unsets a variable."""
    env = {**os.environ, "ARTICLE_CURATOR_HOME": str(home), "PYTHONPATH": str(ROOT)}
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=ROOT, check=False)
