"""Guards against a Qt binding that crashes the process.

PySide6 6.12.0 on CPython 3.11 aborts with "Fatal Python error: none_dealloc"
after a few thousand calls of a Qt method that returns nothing. The loop runs in
a child process so that such a crash fails this test instead of the test run.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

LOOP = """
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
for i in range(20000):
    label.setText(str(i))
    label.setToolTip(str(i))
print("survived", i + 1)
"""


@pytest.mark.slow
def test_many_void_qt_calls_do_not_crash_the_interpreter():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", LOOP], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, f"Qt binding crashed: {result.stderr[-2000:]}"
    assert "survived 20000" in result.stdout


def test_installed_binding_is_within_the_declared_range():
    from importlib.metadata import version

    major, minor, *_ = (int(p) for p in version("PySide6-Essentials").split(".")[:2])
    assert (6, 8) <= (major, minor) < (6, 12)
