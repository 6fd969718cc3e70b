"""The library view at scale: open, scroll, search, filter and navigate 100,000 articles.

    python benchmarks/gui_library_bench.py                      # builds 100,000 articles in a temp folder
    python benchmarks/gui_library_bench.py --db /tmp/lib100k.sqlite   # builds it there once, reuses it after
    python benchmarks/gui_library_bench.py --n 20000            # quicker

Budgets: the window is usable (constructed and painted) in < 2 s; every scroll
step by one page and every search (from setText to the model updated, debounce
excluded) takes < 100 ms. Runs offscreen; never touches a real profile.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.core.db.store import Store, open_store
from app.core.ingest.storing import store_articles
from app.core.ops.library import count_articles
from app.core.validation import NewArticle, NewSpan

BATCH = 1000
STATUSES = ["new"] * 6 + ["in_progress"] * 2 + ["done"] * 3 + ["skipped"]
SITES = ["Reuters", "AP News", "BBC", "Der Standard", "Le Monde", "Cryptopolitan", "Salon", "DW", "El País",
         "The Guardian", "Futurezone", None]
PEOPLE = ["Elena Vasquez", "Priya Raman", "Hugo Touvron", "Aisha Okafor", "Kenji Tanaka", "Olga Ivanova",
          "Søren Müller", "Zoë Lefèvre", "Mateo García", "Dmitri Petrov"]
ORGS = ["Harbor City Council", "Solvane Robotics", "Northgate Builders", "Meta", "the central bank",
        "Lyft", "HTC", "the European Commission", "Greenfield Energy", "the health ministry"]
TOPICS = ["budget", "election", "climate", "library", "robotics", "emissions", "housing", "transport", "vaccine",
          "strike", "merger", "inflation", "drought", "stadium", "railway", "C++ compiler", "AI model", "tariffs"]
VERBS = ["approves", "rejects", "delays", "announces", "questions", "defends", "expands", "cuts", "reviews"]
FILLER = ("Officials said the plan would be reviewed again next month. Critics argued the figures were "
          "optimistic and asked for an independent audit. Residents interviewed on Tuesday were divided. "
          "The decision follows months of debate and several public hearings across the region. ")


def _article(rng: random.Random, i: int) -> NewArticle:
    person, org, topic = rng.choice(PEOPLE), rng.choice(ORGS), rng.choice(TOPICS)
    title = f"{org[0].upper()}{org[1:]} {rng.choice(VERBS)} {topic} plan"
    if rng.random() < 0.2:
        title = f"{person}: “{topic.capitalize()} is our priority”"
    lead = f"{person} said {org} {rng.choice(VERBS)} the {topic} plan (item {i}). "
    claim = f"{org} says the {topic} costs rose by {rng.randint(2, 60)} percent. "
    text = lead + claim + FILLER * rng.randint(2, 4)
    spans: list[NewSpan] = []
    if rng.random() < 0.35:
        spans.append(NewSpan(start=0, end=len(person), label="PERSON", text=person))
        at = len(person) + len(" said ")
        spans.append(NewSpan(start=at, end=at + len(org), label="ORG", text=org))
        if rng.random() < 0.5:
            spans.append(NewSpan(start=len(lead), end=len(lead) + len(claim) - 1, label="CLAIM"))
    day = rng.randint(0, 3 * 365)
    published = f"{2022 + day // 365}-{1 + day % 365 // 31:02d}-{1 + day % 28:02d}"
    return NewArticle(
        text=text, title=title, url=f"https://news.example/{i}", site_name=rng.choice(SITES),
        published=published, language="en", source_kind="url", source=f"https://news.example/{i}",
        status=rng.choice(STATUSES), spans=spans,
    )


def build_dataset(store: Store, n: int) -> None:
    have = count_articles(store)
    if have >= n:
        print(f"reusing {have:,} articles")
        return
    rng = random.Random(7)
    started = time.perf_counter()
    for first in range(have, n, BATCH):
        store_articles(store, [_article(rng, i) for i in range(first, min(n, first + BATCH))], annotator="bench")
    print(f"stored {n - have:,} articles in {time.perf_counter() - started:.1f} s")


# --- measuring ------------------------------------------------------------------------------------

SEARCHES = ["harbor", "priya raman", "C++ compiler", "council budget", "tariffs", "Søren", "item 4711",
            "emissions plan", "zzqx nothing", "officials"]


class Report:
    def __init__(self) -> None:
        self.failed: list[str] = []

    def line(self, what: str, ms: float, budget: float | None = None, note: str = "") -> None:
        verdict = ""
        if budget is not None:
            ok = ms < budget
            verdict = f"(budget {budget:,.0f} ms: {'ok' if ok else 'OVER'})"
            if not ok:
                self.failed.append(what)
        print(f"  {what:44s} {ms:9.1f} ms  {verdict} {note}".rstrip())


class _FirstRows:
    """When the model last showed new rows (a reset: the first rows of a query)."""

    def __init__(self, model) -> None:
        self.at = 0.0
        model.modelReset.connect(self._mark)

    def _mark(self) -> None:
        self.at = time.perf_counter()


def _wait_query(app, model) -> tuple[float, float]:
    """Spin the event loop until the model's query is in; (elapsed ms, longest event-loop stall ms)."""
    started = last = time.perf_counter()
    stall = 0.0
    while model.is_loading:
        app.processEvents()
        now = time.perf_counter()
        stall, last = max(stall, now - last), now
        time.sleep(0.0005)
    app.processEvents()
    return (time.perf_counter() - started) * 1000, stall * 1000


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def run(store: Store) -> int:
    from PySide6.QtWidgets import QApplication

    from app.widgets.edits import EditGateway
    from app.widgets.library_view import LibraryView

    app = QApplication.instance() or QApplication([])
    report = Report()
    total = count_articles(store)
    print(f"\nlibrary view, {total:,} articles (offscreen)")

    started = time.perf_counter()
    view = LibraryView(store, EditGateway(store, annotator="bench"))
    view.resize(1200, 700)
    view.show()
    app.processEvents()
    view.repaint()
    report.line("open: construct + first paint", (time.perf_counter() - started) * 1000, 2000)
    gc.freeze()  # as run_gui() does once the window is up
    table, model = view.table, view.model

    bar = table.verticalScrollBar()
    steps: list[float] = []
    value = 0
    while True:
        started = time.perf_counter()
        bar.setValue(value)
        table.viewport().repaint()
        app.processEvents()
        steps.append((time.perf_counter() - started) * 1000)
        if value >= bar.maximum():
            break
        value = min(value + bar.pageStep(), bar.maximum())
    report.line(f"scroll one page, median of {len(steps):,} steps", statistics.median(steps), 100)
    report.line("scroll one page, slowest step", max(steps), 100)
    jump = [_timed(lambda v=v: (bar.setValue(v), table.viewport().repaint()))
            for v in (bar.maximum() // 2, bar.maximum() // 7, bar.maximum() // 3 * 2, 0)]
    report.line("jump to anywhere (scroll bar drag), slowest", max(jump), 100)

    last_id = model.article_id(model.rowCount() - 1)
    assert last_id is not None
    report.line("neighbour_id at the end (first call)", _timed(lambda: view.neighbour_id(last_id, -1)), 100)
    again = _timed(lambda: view.neighbour_id(last_id, 1))
    print(f"  {'neighbour_id at the end (again)':44s} {again * 1000:9.1f} µs")

    searches, firsts, stalls = [], [], []
    first_rows = _FirstRows(model)
    for query in SEARCHES:
        view.search.setText(query)
        started = time.perf_counter()
        view._search_now()  # what the debounce timer calls when it fires
        _, stall = _wait_query(app, model)
        view.repaint()
        searches.append((time.perf_counter() - started) * 1000)
        firsts.append((first_rows.at - started) * 1000)
        stalls.append(stall)
        print(f"    search {query!r:18} first rows {firsts[-1]:7.1f} ms, all {searches[-1]:7.1f} ms"
              f"  {model.rowCount():7,} rows")
    report.line("search, first rows shown, median of 10", statistics.median(firsts), 100)
    report.line("search, first rows shown, slowest", max(firsts), 100)
    report.line("search, every row in place, median of 10", statistics.median(searches), 100)
    report.line("search, every row in place, slowest", max(searches), None)
    report.line("longest GUI stall while searching", max(stalls), 100)
    view.search.clear()
    view._search_now()
    report.line("clear the search (all articles again)", _wait_query(app, model)[0], None)

    def change(what: str, act: Callable[[], object], budget: float | None) -> None:
        started = time.perf_counter()
        act()
        _wait_query(app, model)
        view.repaint()
        done = (time.perf_counter() - started) * 1000
        first = (first_rows.at - started) * 1000
        report.line(f"{what} ({model.rowCount():,} rows)", done, budget, f"first rows {first:.0f} ms")

    for label, data in (("New", "new"), ("Done", "done"), ("All statuses", None)):
        change(f"status filter -> {label}",
               lambda d=data: view.status_filter.setCurrentIndex(view.status_filter.findData(d)), 100)
    for label, data in (("has PERSON", "has:PERSON"), ("lacks CLAIM", "lacks:CLAIM"), ("any", "")):
        change(f"label filter -> {label}",
               lambda d=data: view.label_filter.setCurrentIndex(view.label_filter.findData(d)), None)
    header = table.horizontalHeader()
    for name, col in (("Title", 0), ("Date", 2), ("Status", 3), ("Last edited", model.columnCount() - 1)):
        change(f"sort by {name}", lambda c=col: header.setSortIndicator(c, header.sortIndicatorOrder()), None)
    header.setSortIndicator(-1, header.sortIndicatorOrder())
    _wait_query(app, model)

    view.select_article(model.article_id(model.rowCount() - 2) or 0)
    report.line("mark the current article done (row repaints)",
                _timed(lambda: (view.set_status("done"), view.repaint())), 100)
    view.gateway.undo_stack.undo()

    print("\nall within budget" if not report.failed else f"\nOVER budget: {', '.join(report.failed)}")
    view.close()
    return 1 if report.failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="dataset to build once and reuse (default: a temp file)")
    parser.add_argument("--n", type=int, default=100_000, help="articles in the dataset")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("ARTICLE_CURATOR_HOME", str(Path(tmp) / "home"))
        store = open_store(args.db or Path(tmp) / "library.sqlite")
        try:
            build_dataset(store, args.n)
            return run(store)
        finally:
            store.close()


if __name__ == "__main__":
    sys.exit(main())
