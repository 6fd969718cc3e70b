"""Running a command with a folder mounted read-only, as on a USB stick or a shared drive.

A read-only bind mount stops root too (file permissions do not), so the tests
that need read-only media make one, in a private mount namespace that ends
with the command. Where that is not allowed (no unshare, no CAP_SYS_ADMIN and
no user namespaces), the test is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CANNOT_MOUNT = 99


def run_with_read_only_folder(folder: Path, argv: list[str], env: dict[str, str] | None = None,
                              timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` while ``folder`` (and all below it) is read-only; skips the test if that cannot be arranged."""
    unshare = shutil.which("unshare")
    if not sys.platform.startswith("linux") or not unshare:
        pytest.skip("needs Linux and unshare(1) for a read-only mount")
    quoted = " ".join(f"'{a}'" for a in argv)
    script = (f"mount --bind '{folder}' '{folder}' && mount -o remount,bind,ro '{folder}' || exit {CANNOT_MOUNT}; "
              f"exec {quoted}")
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    for prefix in ([unshare, "--mount", "--propagation", "private"],
                   [unshare, "--map-root-user", "--mount", "--propagation", "private"]):
        result = subprocess.run([*prefix, "sh", "-c", script], capture_output=True, text=True, timeout=timeout,
                                cwd=ROOT, check=False, env=full_env)
        if result.returncode != CANNOT_MOUNT and "unshare failed" not in result.stderr:
            return result
    pytest.skip(f"a read-only mount is not allowed here: {result.stderr.strip()[:200]}")
