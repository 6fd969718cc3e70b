"""From starting the app to the library's rows on screen, on 100,000 articles, beside the floor.

    python benchmarks/app_start_bench.py [--n 100000] [--db /tmp/app100k.sqlite] [--runs 5] [--script]

Each run starts the real app in a process of its own (``python -m app --db DB``, or the
``article-curator`` command with ``--script``) with ARTICLE_CURATOR_REPORT_FIRST_PAINT=1, which
makes it print the moment the library table first paints rows; the figure is that moment
minus the moment this process started it. The floor, measured in the same run the same way,
is a bare PySide6 process that shows a QMainWindow holding a QTableView of 100,000 rows and
paints it: what any Qt-for-Python window costs on this machine. Python's own start-up is
printed too. Medians of ``--runs`` runs (after one untimed warm-up of each, so that every
run finds the files in the page cache and Python's bytecode caches written).

Budget: the app's median <= 1000 ms. Runs offscreen unless QT_QPA_PLATFORM says otherwise;
never touches a real profile (ARTICLE_CURATOR_HOME is a temporary folder).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "benchmarks"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from app.widgets.first_paint import LINE_PREFIX, REPORT_ENV  # noqa: E402 - after the path is set

BUDGET_MS = 1000.0

# The floor: the least a PySide6 program does to show a table of 100,000 rows.
FLOOR_PROGRAM = f"""
import sys, time
from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

class Model(QAbstractTableModel):
    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else 100_000
    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else 5
    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return f"article {{index.row()}} column {{index.column()}}"
        return None

class Painted(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            QTimer.singleShot(0, lambda: (print("{LINE_PREFIX}%.6f %.6f" % (time.time(), time.process_time()),
                                                flush=True), app.quit()))
        return False

app = QApplication(sys.argv[:1])
window = QMainWindow()
table = QTableView(window)
table.setModel(Model(table))
window.setCentralWidget(table)
window.resize(1400, 860)
painted = Painted()
table.viewport().installEventFilter(painted)
window.show()
app.exec()
"""


def first_paint_ms(command: list[str], env: dict[str, str], timeout: float = 120) -> tuple[float, float]:
    """Start ``command``; milliseconds from the start to the first-paint line it prints, and the CPU
    milliseconds it had used by then. Waits for it to end."""
    started = time.time()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               cwd=ROOT)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    for line in out.splitlines():
        if line.startswith(LINE_PREFIX):
            wall, cpu = line.removeprefix(LINE_PREFIX).split()
            return (float(wall) - started) * 1000, float(cpu) * 1000
    raise RuntimeError(f"{' '.join(command)} printed no first paint (status {process.returncode}):\n{out}\n{err}")


def python_ms(env: dict[str, str]) -> tuple[float, float]:
    """Milliseconds from starting a bare Python to it printing the clock (and its CPU milliseconds)."""
    program = f"import time; print('{LINE_PREFIX}%.6f %.6f' % (time.time(), time.process_time()))"
    return first_paint_ms([sys.executable, "-c", program], env)


def prepare_dataset(db: Path, n: int) -> None:
    """``n`` articles in ``db`` (built once, reused after), with everything the app would catch up on
    after start already done, so that every run starts on the same dataset."""
    from gui_library_bench import build_dataset

    from app.core.db.span_json import fill_missing
    from app.core.db.store import open_store
    from app.core.quality.clustering import sign_and_cluster_missing

    store = open_store(db)
    try:
        build_dataset(store, n)
        fill_missing(store)
        sign_and_cluster_missing(store)
    finally:
        store.close()


def app_command(script: bool) -> list[str]:
    if not script:
        return [sys.executable, "-m", "app"]
    found = shutil.which("article-curator", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("The article-curator command is not installed beside this Python.")
    return [found]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="dataset file to build once and reuse (default: a temporary one)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--script", action="store_true", help="start the article-curator command, not python -m app")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="curator-startbench-"))
    db = args.db or home / "start.sqlite"
    prepare_dataset(db, args.n)
    env = {**os.environ, "ARTICLE_CURATOR_HOME": str(home), "PYTHONPATH": str(ROOT), REPORT_ENV: "1"}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    # With bytecode caches, as an installed app has them (pip compiles them at install): the
    # warm-up run writes them, into a folder of this run rather than beside the sources.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    # Quits a little after the window is up: every run ends the way a user's session does.
    app = [*app_command(args.script), "--db", str(db), "--quit-after", "1"]
    floor = [sys.executable, "-c", FLOOR_PROGRAM]

    first_paint_ms(app, env)  # warm-up: the page cache, Python's bytecode cache, the window's saved state
    first_paint_ms(floor, env)
    runs: dict[str, list[tuple[float, float]]] = {"app": [], "floor": [], "python": []}
    for _ in range(args.runs):  # interleaved, so that a busy moment of the machine hits each alike
        runs["app"].append(first_paint_ms(app, env))
        runs["floor"].append(first_paint_ms(floor, env))
        runs["python"].append(python_ms(env))
    shutil.rmtree(home, ignore_errors=True)

    shown = "article-curator" if args.script else "python -m app"
    print(f"{shown} --db DB: start to library rows painted, {args.n:,} articles, median of {args.runs} runs")
    wall = {name: statistics.median(w for w, _ in values) for name, values in runs.items()}
    cpu = {name: statistics.median(c for _, c in values) for name, values in runs.items()}
    notes = {"app": "", "floor": "   bare PySide6: QMainWindow + QTableView painted", "python": "   python -c pass"}
    for name, values in runs.items():
        print(f"  {name:6s} wall {wall[name]:6.0f} ms  cpu {cpu[name]:6.0f} ms   "
              f"wall runs: {', '.join(f'{w:.0f}' for w, _ in values)}{notes[name]}")
    print(f"  app / floor: wall {wall['app'] / wall['floor']:.2f}, cpu {cpu['app'] / cpu['floor']:.2f}")
    ok = wall["app"] <= BUDGET_MS
    print(f"  budget: app wall <= {BUDGET_MS:.0f} ms: {'ok' if ok else 'OVER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
