"""Label every occurrence of a name in a 1 MB article (Alt+A, then a label key) in the real window, and undo it.

    QT_QPA_PLATFORM=offscreen python benchmarks/bulk_edit_bench.py
    python benchmarks/bulk_edit_bench.py --chars 1000000 --occurrences 10000 --profile /tmp/bulk.prof

The keys go to the main window as a person's would (through its QWindow, so the
focused text view receives them). Each timing runs from the key press until the
text view shows every span painted and the span list lists them all; the undo
(Ctrl+Z) and the redo (Ctrl+Shift+Z) likewise until the view and list are
back. For comparison the same run times the core alone: storing the same spans
in one call (``span_edits.add_spans``) on a copy of the article, and removing
them (``span_edits.remove_spans``).

Budget: 1 s for 10,000 spans, for the edit and for its undo.
Everything happens in a temporary folder, never in a real profile.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "benchmarks"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from gui_annotation_bench import build_text  # after the path is set

BUDGET_S = 1.0


def text_with_name(chars: int, name: str, occurrences: int) -> str:
    """About ``chars`` characters of news text in which every k-th word is ``name``, ``occurrences`` times or more."""
    words = build_text(chars).split(" ")
    step = max(1, len(words) // (occurrences + occurrences // 20))  # a few extra: some land next to punctuation
    for i in range(0, len(words), step):
        words[i] = name
    return " ".join(words)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chars", type=int, default=1_000_000)
    parser.add_argument("--occurrences", type=int, default=10_000)
    parser.add_argument("--name", default="Wintermute")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the edit and its undo to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="curator-bulk-bench-") as home:
        os.environ["ARTICLE_CURATOR_HOME"] = home
        return run(args, Path(home))


def run(args: argparse.Namespace, home: Path) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPalette, QTextCursor
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.core.db.store import open_store
    from app.core.ingest.storing import store_articles
    from app.core.ops import library, span_edits
    from app.core.ops.selection import find_occurrences
    from app.core.settings import Settings
    from app.core.validation import NewArticle
    from app.widgets.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    store = open_store(home / "bench.sqlite")
    text = text_with_name(args.chars, args.name, args.occurrences)
    occurrences = find_occurrences(text, args.name)
    [article, copy] = store_articles(store, [
        NewArticle(text=text, title="Bulk benchmark", source_kind="paste"),
        NewArticle(text="A copy. " + text, title="Bulk benchmark, core only", source_kind="paste"),
    ])
    print(f"article: {len(text):,} characters, “{args.name}” {len(occurrences):,} times")

    window = MainWindow(store, Settings(annotator="bench"))
    window.resize(1400, 860)
    window.show()
    app.processEvents()
    window.open_article(article.article_id)
    app.processEvents()
    gc.freeze()  # as the app does once its window is up (app/widgets/app.py)
    panel = window.panes.annotation
    view = panel.view
    view.select_range(*occurrences[len(occurrences) // 2])
    view.ensureCursorVisible()
    view.setFocus()
    app.processEvents()
    keys = window.windowHandle()  # what the window system delivers to: the focused widget gets the keys
    base = view.palette().color(QPalette.ColorRole.Base)

    def painted_spans() -> int:
        """Occurrences whose characters the text view draws on a tinted background."""
        cursor = QTextCursor(view.document())
        tinted = 0
        for start, _end in occurrences:
            cursor.setPosition(view.to_qt(start) + 1)  # the format of the character before the cursor
            brush = cursor.charFormat().background()
            tinted += brush.style() != Qt.BrushStyle.NoBrush and brush.color() != base
        return tinted

    def shown(count: int) -> bool:
        return len(panel.article().spans) == count and panel.span_list.span_model.count("ORG") == count

    profile = cProfile.Profile() if args.profile else None

    def timed(keys_pressed: Callable[[], None], count: int) -> tuple[float, float, float]:
        """(wall, CPU) seconds from the key press until the view and the span list show ``count`` spans, painted;
        then the wall seconds until the edit writer has stored it too.

        The process's CPU time hardly moves when other programs share the machine; wall time does.
        """
        start, start_cpu = time.perf_counter(), time.process_time()
        if profile:
            profile.enable()
        keys_pressed()
        while not shown(count):
            app.processEvents()
            if time.perf_counter() - start > 120:
                raise SystemExit(f"gave up: {len(panel.article().spans)} spans shown, {count} expected")
        view.viewport().repaint()
        panel.span_list.viewport().repaint()
        if profile:
            profile.disable()
        painted_at, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        window.gateway.wait_until_saved()
        return painted_at, cpu, time.perf_counter() - start

    def label_all() -> None:
        QTest.keyClick(keys, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
        QTest.keyClick(keys, Qt.Key.Key_2)

    n = len(occurrences)
    edit = timed(label_all, n)
    stored = len(library.get_article(store, article.article_id).spans)  # type: ignore[union-attr]
    edit_painted = painted_spans()
    undo = timed(lambda: QTest.keySequence(keys, window.actions_by_id["undo"].shortcut()), 0)
    undo_left = len(library.get_article(store, article.article_id).spans)  # type: ignore[union-attr]
    undo_painted = painted_spans()
    redo = timed(lambda: QTest.keySequence(keys, window.actions_by_id["redo"].shortcut()), n)
    redo_painted = painted_spans()

    # The same spans through the core alone, on the copy of the article.
    wanted = find_occurrences("A copy. " + text, args.name)
    start, start_cpu = time.perf_counter(), time.process_time()
    change = span_edits.add_spans(store, copy.article_id, wanted, "ORG", annotator="bench")
    core_add = time.perf_counter() - start, time.process_time() - start_cpu
    start, start_cpu = time.perf_counter(), time.process_time()
    span_edits.remove_spans(store, change.span_ids)
    core_remove = time.perf_counter() - start, time.process_time() - start_cpu

    def line(what: str, seconds: tuple[float, ...], detail: str, budget: float | None = BUDGET_S) -> bool:
        wall, cpu = seconds[:2]
        end = seconds[2] if len(seconds) > 2 else wall  # stored too: the budget covers the whole edit
        verdict = "" if budget is None else f"  budget {budget:.1f} s  {'OK' if end <= budget else 'OVER'}"
        stored_at = f", stored at {end:6.3f} s" if len(seconds) > 2 else ""
        print(f"{what:30s} {wall:6.3f} s (CPU {cpu:6.3f} s{stored_at})  {detail}{verdict}")
        return budget is None or end <= budget

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    ok = line("Alt+A, 2 until painted", edit, f"{stored:,} spans stored, {edit_painted:,} painted")
    ok = line("undo (Ctrl+Z) until painted", undo, f"{undo_left:,} spans left, {undo_painted:,} painted") and ok
    line("redo until painted", redo, f"{redo_painted:,} painted", None)
    line("  core alone: add_spans", core_add, f"{len(change.span_ids):,} spans", None)
    line("  core alone: remove_spans", core_remove, f"{len(change.span_ids):,} spans", None)
    if profile and args.profile:
        profile.dump_stats(str(args.profile))
        print(f"profile of the three GUI timings: {args.profile}")
    window.close()
    store.close()
    return 0 if ok and stored == n and edit_painted == n and undo_left == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
