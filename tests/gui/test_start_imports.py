"""The window's first paint waits for nothing it does not show: heavy modules load later, when used.

Each test starts the app as a user does, in a process of its own, on a small dataset.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.widgets.first_paint import LINE_PREFIX, REPORT_ENV
from tests.app_process import ROOT, run_app
from tests.unit.test_store_open_errors import make_dataset

# Loaded by what the first screen does not show: the overview's charts, near-copy signing,
# the web import and extraction, the migrations (only an old dataset needs them), and the
# dialogs opened from the menus.
NOT_BEFORE_FIRST_PAINT = (
    "pyqtgraph", "numpy", "scipy", "datasketch", "trafilatura", "httpx", "lxml",
    "app.core.quality.near_copies", "app.core.quality.clustering", "alembic", "sqlmodel", "pydantic",
    "app.core.validation", "app.core.team.agreement",
    "app.core.ingest.importer", "app.core.ingest.fetcher", "app.core.export.exporter",
    "app.widgets.overview_view", "app.widgets.export_dialog", "app.widgets.settings_dialog",
    "app.widgets.compare_view",
)

# Runs the real entry point; at the first paint, names the heavy modules already loaded and quits.
PROBE = f"""
import sys
from PySide6.QtWidgets import QApplication
from app.widgets import first_paint

def report():
    loaded = [name for name in {NOT_BEFORE_FIRST_PAINT!r} if name in sys.modules]
    print("loaded at first paint:", ",".join(loaded), flush=True)
    QApplication.exit(0)

first_paint._report = report
from app.cli import main
sys.exit(main(["--db", sys.argv[1]]))
"""


def test_heavy_modules_are_not_loaded_before_the_first_paint(tmp_path: Path, isolated_home: Path) -> None:
    db = make_dataset(tmp_path / "start.sqlite", articles=20)
    env = {**os.environ, "ARTICLE_CURATOR_HOME": str(isolated_home), "PYTHONPATH": str(ROOT),
           "QT_QPA_PLATFORM": "offscreen", REPORT_ENV: "1"}
    result = subprocess.run([sys.executable, "-c", PROBE, str(db)], capture_output=True, text=True, env=env,
                            timeout=120, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    [line] = [x for x in result.stdout.splitlines() if x.startswith("loaded at first paint:")]
    assert line.removeprefix("loaded at first paint:").strip() == ""


def test_the_first_paint_of_the_rows_is_reported_when_asked_for(tmp_path: Path, isolated_home: Path) -> None:
    """What benchmarks/app_start_bench.py reads: one line, the wall clock and the CPU time at the paint."""
    db = make_dataset(tmp_path / "start.sqlite", articles=20)
    result = run_app("--db", str(db), "--quit-after", "1", home=isolated_home,
                     env_changes={"QT_QPA_PLATFORM": "offscreen", REPORT_ENV: "1"})
    assert result.returncode == 0, result.stderr
    [line] = [x for x in result.stdout.splitlines() if x.startswith(LINE_PREFIX)]
    wall, cpu = (float(x) for x in line.removeprefix(LINE_PREFIX).split())
    assert wall > 1e9 and 0 < cpu < 120


def test_nothing_is_reported_unless_asked_for(tmp_path: Path, isolated_home: Path) -> None:
    db = make_dataset(tmp_path / "start.sqlite", articles=3)
    result = run_app("--db", str(db), "--quit-after", "1", home=isolated_home,
                     env_changes={"QT_QPA_PLATFORM": "offscreen", REPORT_ENV: None})
    assert result.returncode == 0, result.stderr
    assert LINE_PREFIX not in result.stdout
