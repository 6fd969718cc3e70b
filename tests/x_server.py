"""A private X server (Xvfb) for the tests that start the app in a real window system. Usage::

    with x_server() as display:  # ":N", a number no other X server had
        run_app(..., env_changes={"DISPLAY": display})

Xvfb picks the display number itself (``-displayfd``) and writes it once it accepts
connections. A fixed number would let a test that finds it taken talk to someone
else's server (and pass), while its own server quietly exits.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import pytest

START_TIMEOUT_S = 30.0


@contextmanager
def x_server(screen: str = "1280x800x24") -> Iterator[str]:
    """Start Xvfb on a free display and yield its name; it must still be running when the block ends."""
    xvfb = shutil.which("Xvfb")
    if not xvfb:
        pytest.skip("Xvfb is not installed (Debian/Ubuntu: apt-get install xvfb)")
    read_end, write_end = os.pipe()
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a chatty server never blocks on a full pipe
        server = subprocess.Popen([xvfb, "-displayfd", str(write_end), "-screen", "0", screen, "-nolisten", "tcp"],
                                  pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=log)
        os.close(write_end)  # ours: only the server's copy stays open, so its exit ends the read below
        try:
            display = f":{_read_display_number(read_end, server, log)}"
            yield display
            assert server.poll() is None, f"the X server on {display} stopped while the test used it"
        finally:
            os.close(read_end)
            server.terminate()
            server.wait(10)


def _read_display_number(fd: int, server: subprocess.Popen[bytes], log: IO[bytes]) -> int:
    """The number Xvfb writes to ``-displayfd`` once it is ready; fails with Xvfb's own words if it exits first."""
    deadline = time.monotonic() + START_TIMEOUT_S
    written = b""
    while not written.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError(f"Xvfb did not start within {START_TIMEOUT_S:.0f} s")
        chunk = os.read(fd, 64)
        if not chunk:  # the server exited before it was ready
            server.wait(10)
            log.seek(0)
            reason = log.read().decode(errors="replace").strip()
            raise AssertionError(f"Xvfb exited with status {server.returncode}: {reason}")
        written += chunk
    return int(written)
