"""Open a 50 KB article with 300 spans in the annotation panel, and label by key press; print timings.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_annotation_bench.py
    python benchmarks/gui_annotation_bench.py --runs 50 --chars 100000 --spans 600

Budgets: opening the article (loading, formatting, laying out and painting
what is in view) median < 50 ms; adding a span by key press (snap, commit,
reload of the spans, redraw) median < 16 ms.

Everything happens in a temporary folder, never in a real profile.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.core.ops.selection import find_occurrences  # Qt-free, after the path is set

SAMPLE = ROOT / "tests" / "data" / "meta-llama-turnover.txt"
OPEN_BUDGET_MS = 50.0
ADD_BUDGET_MS = 16.0
PEOPLE = ["Hugo Touvron", "Xavier Martinet", "Faisal Azhar", "Guillaume Lample", "Timothée Lacroix",
          "Joelle Pineau", "Robert Fergus"]
ORGS = ["Meta", "Mistral", "Google", "OpenAI", "DeepSeek", "FAIR", "Llama", "Qwen", "Behemoth", "DeepMind", "GPT-3",
        "PaLM", "Cryptopolitan"]


def build_text(chars: int) -> str:
    """Paragraphs of the sample article, repeated (with an emoji now and then) to ``chars`` characters."""
    paragraphs = [p for p in SAMPLE.read_text(encoding="utf-8").split("\n\n")[1:25] if len(p) > 40]
    out: list[str] = []
    size = 0
    n = 0
    while size < chars:
        para = paragraphs[n % len(paragraphs)]
        if n % 7 == 3:
            para = "📈 " + para
        out.append(para)
        size += len(para) + 2
        n += 1
    return "\n\n".join(out)[:chars]


def plan_spans(text: str, count: int, rng: random.Random) -> list[dict[str, object]]:
    """``count`` spans: names as PERSON/ORG, every tenth a sentence as CLAIM (which may contain them)."""
    found: list[tuple[int, int, str]] = []
    for names, label in ((PEOPLE, "PERSON"), (ORGS, "ORG")):
        for name in names:
            found += [(s, e, label) for s, e in find_occurrences(text, name)]
    rng.shuffle(found)
    claims: list[tuple[int, int, str]] = []
    for i in range(0, len(text) - 200, max(1, len(text) // max(1, count))):
        start = text.find(". ", i) + 2
        end = text.find(".", start + 40)
        if 1 < start < end and (start, end, "CLAIM") not in claims:
            claims.append((start, end, "CLAIM"))
    chosen = set(claims[: count // 10]) | set(found[: count - count // 10])
    for claim in claims[count // 10 :]:  # more sentences when the names run out
        if len(chosen) >= count:
            break
        chosen.add(claim)
    return [{"start": s, "end": e, "label": label, "annotator": "bench"} for s, e, label in sorted(chosen)]


def PaintCounter() -> object:  # noqa: N802 - builds a QObject subclass after Qt is imported
    from PySide6.QtCore import QEvent, QObject

    class Counter(QObject):
        count = 0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint:
                self.count += 1
            return False

    return Counter()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--chars", type=int, default=50_000)
    parser.add_argument("--spans", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="curator-gui-bench-") as home:
        os.environ["ARTICLE_CURATOR_HOME"] = home
        return run(args, Path(home))


def run(args: argparse.Namespace, home: Path) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.core.db.store import open_store
    from app.core.ingest.storing import store_articles
    from app.core.ops import library, span_edits
    from app.core.settings import Settings
    from app.core.validation import NewArticle
    from app.widgets.annotation_panel import AnnotationPanel
    from app.widgets.edits import EditGateway

    app = QApplication.instance() or QApplication([])
    rng = random.Random(7)
    store = open_store(home / "bench.sqlite")
    text = build_text(args.chars)
    spans = plan_spans(text, args.spans, rng)
    [big, small] = store_articles(store, [
        NewArticle(text=text, title="Benchmark article", source_kind="paste", spans=spans),
        NewArticle(text="A short article about Meta.", title="Short", source_kind="paste"),
    ])
    detail = library.get_article(store, big.article_id)
    assert detail is not None
    print(f"article: {len(detail.text):,} characters, {len(detail.spans)} spans "
          f"({sum(s.label == 'CLAIM' for s in detail.spans)} CLAIMs)")

    gateway = EditGateway(store, annotator="bench")
    panel = AnnotationPanel(store, gateway, Settings(annotator="bench"))
    panel.resize(1300, 800)
    panel.show()
    app.processEvents()

    paints = PaintCounter()
    panel.view.viewport().installEventFilter(paints)

    def timed(action: Callable[[], object]) -> tuple[float, float]:
        """Run ``action`` and let Qt lay out and paint what it changed (as after a real key press).

        Returns (wall, CPU) seconds: the process's CPU time hardly moves when other
        programs share the machine; wall time does.
        """
        before = paints.count
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        app.processEvents()
        if paints.count == before:  # nothing was painted yet: force it, so it is always counted
            panel.view.viewport().repaint()
        return time.perf_counter() - start, time.process_time() - start_cpu

    # Opening: from another article each time, so nothing is reused.
    opens = []
    for _ in range(args.runs + 2):
        panel.open_article(small.article_id)
        app.processEvents()
        opens.append(timed(lambda: panel.open_article(big.article_id)))
    opens = opens[2:]  # the first runs warm up fonts and caches

    # Adding: scroll to a word that has no span yet, select it roughly and press 1.
    taken = {(s.start, s.end) for s in detail.spans}
    view = panel.view
    candidates = [o for o in find_occurrences(text, "researchers") + find_occurrences(text, "team")
                  if o not in taken]
    rng.shuffle(candidates)
    db_times: list[float] = []
    core_add = span_edits.add_span

    def add_timed(*a: object, **k: object) -> object:
        start = time.perf_counter()
        try:
            return core_add(*a, **k)  # type: ignore[arg-type]
        finally:
            db_times.append(time.perf_counter() - start)

    span_edits.add_span = add_timed  # the gateway calls it through the module: time the database part
    adds, adds_with_list = [], []
    for n, (start, end) in enumerate(candidates[: 2 * args.runs]):
        view.select_range(start + 2, end - 1)  # as a user would: in view, a little off the word's edges
        view.ensureCursorVisible()
        view.setFocus()
        app.processEvents()
        if n % 2 == 0:
            adds.append(timed(lambda: QTest.keyClick(view, Qt.Key.Key_1)))
            panel.span_list.flush()  # the pause between two keys
            app.processEvents()
        else:  # the same, with the span list brought up to date and painted inside the timing
            adds_with_list.append(timed(lambda: (QTest.keyClick(view, Qt.Key.Key_1), panel.span_list.flush())))
    span_edits.add_span = core_add  # type: ignore[assignment]
    stored = library.get_article(store, big.article_id)
    assert stored is not None and len(stored.spans) == len(detail.spans) + len(adds) + len(adds_with_list)

    def line(name: str, samples: list[tuple[float, float]], budget: float | None) -> bool:
        wall, used = median_ms([w for w, _ in samples]), median_ms([c for _, c in samples])
        verdict = "" if budget is None else f"  budget < {budget:.0f} ms  {'OK' if wall < budget else 'OVER'}"
        print(f"{name:22s} median {wall:6.1f} ms  (min {min(w for w, _ in samples) * 1000:5.1f}, "
              f"CPU {used:5.1f}){verdict}")
        return budget is None or wall < budget

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {args.runs} runs each")
    ok = line("open article", opens, OPEN_BUDGET_MS)
    ok = line("add span by key", adds, ADD_BUDGET_MS) and ok
    print(f"  of which database    median {median_ms(db_times):6.1f} ms  (validate, insert, commit with fsync)")
    line("add span + list paint", adds_with_list, None)
    print("  (the span list catches up when keys pause; this line updates and paints it inside the timing)")
    panel.close()
    store.close()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
