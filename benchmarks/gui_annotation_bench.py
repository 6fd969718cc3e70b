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
    from app.core.selection import find_occurrences

    found: list[tuple[int, int, str]] = []
    for names, label in ((PEOPLE, "PERSON"), (ORGS, "ORG")):
        for name in names:
            found += [(s, e, label) for s, e in find_occurrences(text, name)]
    rng.shuffle(found)
    claims: list[tuple[int, int, str]] = []
    for i in range(0, len(text) - 200, max(1, len(text) // max(1, count // 10))):
        start = text.find(". ", i) + 2
        end = text.find(".", start + 40)
        if 1 < start < end:
            claims.append((start, end, "CLAIM"))
    chosen = claims[: count // 10]
    chosen += found[: count - len(chosen)]
    return [{"start": s, "end": e, "label": label, "annotator": "bench"} for s, e, label in sorted(set(chosen))]


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--chars", type=int, default=50_000)
    parser.add_argument("--spans", type=int, default=300)
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="curator-gui-bench-")
    os.environ["ARTICLE_CURATOR_HOME"] = home

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.core import library
    from app.core.articles import store_articles
    from app.core.settings import Settings
    from app.core.store import open_store
    from app.core.validation import NewArticle
    from app.widgets.annotation_panel import AnnotationPanel
    from app.widgets.edits import EditGateway

    app = QApplication.instance() or QApplication([])
    rng = random.Random(7)
    store = open_store(Path(home) / "bench.sqlite")
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

    def timed(action: Callable[[], None]) -> float:
        start = time.perf_counter()
        action()
        panel.repaint()
        app.processEvents()
        return time.perf_counter() - start

    # Opening: from another article each time, so nothing is reused.
    opens = []
    for _ in range(args.runs + 2):
        panel.open_article(small.article_id)
        app.processEvents()
        opens.append(timed(lambda: panel.open_article(big.article_id)))
    opens = opens[2:]  # the first runs warm up fonts and caches

    # Adding: select a word that has no span yet (a little off its edges) and press 1.
    taken = {(s.start, s.end) for s in detail.spans}
    view = panel.view
    from app.core.selection import find_occurrences

    candidates = [o for o in find_occurrences(text, "researchers") if o not in taken]
    rng.shuffle(candidates)
    adds = []
    for start, end in candidates[: args.runs]:
        view.select_range(start + 2, end - 1)
        view.setFocus()
        adds.append(timed(lambda: QTest.keyClick(view, Qt.Key.Key_1)))
    stored = library.get_article(store, big.article_id)
    assert stored is not None and len(stored.spans) == len(detail.spans) + len(adds), "spans were not stored"

    # Redraw alone: the spans after one more edit, without the database.
    redraws = []
    for _ in range(args.runs):
        redraws.append(timed(lambda: view.set_spans(stored.spans)))
        stored.spans.append(stored.spans.pop(0))

    open_ms, add_ms = median_ms(opens), median_ms(adds)
    print(f"open article        median {open_ms:6.1f} ms  (p90 {sorted(opens)[int(len(opens) * .9)] * 1000:5.1f})"
          f"  budget < {OPEN_BUDGET_MS:.0f} ms  {'OK' if open_ms < OPEN_BUDGET_MS else 'OVER'}")
    print(f"add span by key     median {add_ms:6.1f} ms  (p90 {sorted(adds)[int(len(adds) * .9)] * 1000:5.1f})"
          f"  budget < {ADD_BUDGET_MS:.0f} ms  {'OK' if add_ms < ADD_BUDGET_MS else 'OVER'}")
    print(f"redraw spans only   median {median_ms(redraws):6.1f} ms")
    panel.close()
    store.close()
    return 0 if open_ms < OPEN_BUDGET_MS and add_ms < ADD_BUDGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
