"""The dataset overview at scale: its figures and View ▸ Overview on 100,000 articles and a million spans.

    python benchmarks/overview_bench.py                          # builds the dataset in a temp folder
    python benchmarks/overview_bench.py --db /tmp/ov100k.sqlite  # builds it there once, reuses it after
    python benchmarks/overview_bench.py --n 20000                # quicker

The articles are those of the library benchmark (gui_library_bench: sites, statuses,
PERSON/ORG/CLAIM spans); spans are then added straight into the span table, by four
annotators over a year, to about ``--spans`` in all, done articles get finishing days
spread over a year, and about a third of the articles fall into near-copy clusters
(table article_signature, created here when the dataset has none). Budget: the
figures (``overview(store)``) and the view's opening (construct, figures in, first
paint) each take < 500 ms; the first opening in a session also loads pyqtgraph,
reported apart. Wall times grow when other programs share the cores: the CPU
times and the share of a core this process got are printed beside them. Runs
offscreen; never touches a real profile.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "benchmarks"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from gui_library_bench import build_dataset as build_articles  # after the path is set
from sqlalchemy import text

from app.core.db.store import Store, open_store

BUDGET_MS = 500
ANNOTATORS = ("alice", "bob", "carol", "dan")
SPAN_BATCH = 20_000


def _count(store: Store, sql: str) -> int:
    with store.begin() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def top_up_spans(store: Store, wanted: int) -> None:
    """Add spans (every label, four annotators, over a year) until the dataset holds about ``wanted``."""
    have = _count(store, "SELECT count(*) FROM span")
    if have >= wanted * 0.95:
        print(f"reusing {have:,} spans")
        return
    rng = random.Random(11)
    with store.begin() as conn:
        labels = [r[0] for r in conn.execute(text("SELECT id FROM label ORDER BY id"))]
        articles = [r[0] for r in conn.execute(text("SELECT id FROM article ORDER BY id"))]
    per_article = max(1, round((wanted - have) / len(articles)))
    started = time.perf_counter()
    rows: list[dict[str, object]] = []
    # Offsets from 200 on stay clear of the spans the articles came with (which sit in the first lines).
    for art_id in articles:
        for k in range(rng.randint(0, 2 * per_article)):
            day = rng.randint(0, 364)
            stamp = f"2026-{1 + day // 31 % 12:02d}-{1 + day % 28:02d} 10:{k % 60:02d}:00.000000"
            rows.append({"a": art_id, "s": 200 + 6 * k, "e": 204 + 6 * k, "l": rng.choice(labels),
                         "who": rng.choice(ANNOTATORS), "t": stamp})
        if len(rows) >= SPAN_BATCH or art_id == articles[-1]:
            with store.begin() as conn:
                conn.execute(text(
                    'INSERT INTO span (article_id, start, "end", label_id, text, annotator, origin, attributes, '
                    "created_at, updated_at) VALUES (:a, :s, :e, :l, 'word', :who, 'manual', '{}', :t, :t)"), rows)
            rows = []
    print(f"added spans up to {_count(store, 'SELECT count(*) FROM span'):,} in "
          f"{time.perf_counter() - started:.1f} s")


def spread_done_days(store: Store) -> None:
    """Give the done articles finishing days over a year (the generator stores them all at once)."""
    with store.begin() as conn:
        conn.execute(text(
            "UPDATE article SET updated_at = '2026-' || printf('%02d', 1 + id % 12) || '-' || "
            "printf('%02d', 1 + id % 28) || ' 12:00:00.000000' WHERE status = 'done'"))


def add_near_copies(store: Store) -> None:
    """A fifth of the articles in near-copy clusters of 2 to 40, as the near-copy index stores them."""
    with store.begin() as conn:
        conn.execute(text(
            "CREATE TABLE IF NOT EXISTS article_signature (article_id INTEGER PRIMARY KEY "
            "REFERENCES article(id) ON DELETE CASCADE, signature BLOB NOT NULL, cluster_id INTEGER)"))
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_article_signature_cluster ON article_signature (cluster_id)"))
        if conn.execute(text("SELECT count(*) FROM article_signature")).scalar_one():
            return
        ids = [r[0] for r in conn.execute(text("SELECT id FROM article ORDER BY id"))]
        rng = random.Random(5)
        rows, i = [], 0
        while i < len(ids):
            size = rng.choice((1,) * 120 + (2, 2, 2, 3, 3, 5, 8, 40))
            group = ids[i:i + size]
            cluster = group[0] if len(group) > 1 else None
            rows += [{"a": a, "c": cluster} for a in group]
            i += size
        conn.execute(text("INSERT INTO article_signature (article_id, signature, cluster_id) "
                          "VALUES (:a, x'00', :c)"), rows)


def timed_ms(fn) -> tuple[float, float, object]:
    """(wall ms, CPU ms of this process, result): CPU time stays meaningful when other programs share the cores."""
    started, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000, result


def core_share() -> float:
    """The share of one core this process gets now (1.0 on an idle machine): a busy loop's CPU time over its wall time."""
    started, cpu = time.perf_counter(), time.process_time()
    n = 0
    while time.perf_counter() - started < 0.3:
        n += 1
    return (time.process_time() - cpu) / (time.perf_counter() - started)


def verdict(ms: float) -> str:
    return f"(budget {BUDGET_MS} ms: {'ok' if ms < BUDGET_MS else 'OVER'})"


def bar_filters(store: Store, figures: object) -> None:
    """What a click on each bar costs the library: the ids of the articles it lists, in the library's
    order (``list_article_ids``, what its table reads), the slowest bar of each chart."""
    from app.core.ops.library import list_article_ids
    from app.core.ops.overview import BAR_CHARTS, bar_filter

    bars = {"status": figures.by_status, "labels": figures.by_label,  # type: ignore[attr-defined]
            "spans_per_article": figures.spans_per_article, "done_per_day": figures.done_per_day,  # type: ignore[attr-defined]
            "sites": figures.by_site, "annotators": figures.by_annotator,  # type: ignore[attr-defined]
            "near_copies": figures.near_copies.sizes if figures.near_copies else []}  # type: ignore[attr-defined]
    print(f"  a bar's library filter (list_article_ids), slowest bar of each chart; budget {BUDGET_MS} ms:")
    for chart in BAR_CHARTS:
        slowest, slowest_cpu, rows, which = 0.0, 0.0, 0, None
        for index in range(len(bars[chart])):
            flt = bar_filter(figures, chart, index)  # type: ignore[arg-type]
            if flt is None:
                continue
            ms, cpu, ids = timed_ms(lambda f=flt: list_article_ids(store, f))
            if ms >= slowest:
                slowest, slowest_cpu, rows, which = ms, cpu, len(ids), flt  # type: ignore[arg-type]
        shown = {k: v for k, v in vars(which).items() if v not in ((), "", None, False)} if which else {}
        print(f"    {chart:22s} {slowest:9.1f} ms  {verdict(slowest)}  CPU {slowest_cpu:.0f} ms  {rows:7,} rows  {shown}")


def run(store: Store, rounds: int) -> int:
    from app.core.ops.overview import overview

    articles, spans = _count(store, "SELECT count(*) FROM article"), _count(store, "SELECT count(*) FROM span")
    print(f"\noverview, {articles:,} articles, {spans:,} spans; this process gets {core_share():.0%} of a core "
          "(below 100%, other programs share the cores and wall times grow)")
    times, cpus = [], []
    for _ in range(rounds):
        ms, cpu, figures = timed_ms(lambda: overview(store))
        times.append(ms)
        cpus.append(cpu)
    print(f"  {'overview(store), median of ' + str(rounds):44s} {statistics.median(times):9.1f} ms  "
          f"{verdict(statistics.median(times))}  CPU {statistics.median(cpus):.0f} ms (two threads)")
    print(f"  {'overview(store), first (cold)':44s} {times[0]:9.1f} ms")
    for name, ms in figures.timings.items():  # type: ignore[attr-defined]
        print(f"    {name:42s} {ms:9.1f} ms")

    bar_filters(store, figures)  # type: ignore[arg-type]

    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from app.widgets.edits import EditGateway
    from app.widgets.overview_view import OverviewView

    gateway = EditGateway(store, annotator="bench")
    opens, open_cpus = [], []
    for _ in range(rounds + 1):  # the first loads pyqtgraph, as the first opening in a session does
        started, cpu = time.perf_counter(), time.process_time()
        view = OverviewView(store, gateway)
        view.resize(1200, 800)
        view.show()
        if view.is_loading:
            loop = QEventLoop()
            view.figures_shown.connect(loop.quit)
            loop.exec()
        app.processEvents()  # the charts' layout
        view.repaint()
        opens.append((time.perf_counter() - started) * 1000)
        open_cpus.append((time.process_time() - cpu) * 1000)
        view.close()
        view.deleteLater()
        app.processEvents()
    first, opens, open_cpus = (opens[0], open_cpus[0]), opens[1:], open_cpus[1:]
    print(f"  {'view: construct, figures in, first paint':44s} {statistics.median(opens):9.1f} ms  "
          f"{verdict(statistics.median(opens))}  CPU {statistics.median(open_cpus):.0f} ms (median of {rounds})")
    print(f"  {'view, first in a session (loads pyqtgraph)':44s} {first[0]:9.1f} ms  CPU {first[1]:.0f} ms")
    gateway.close()
    failed = statistics.median(times) >= BUDGET_MS or statistics.median(opens) >= BUDGET_MS
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="articles (default 100,000)")
    parser.add_argument("--spans", type=int, default=1_000_000, help="spans in all (default 1,000,000)")
    parser.add_argument("--db", type=Path, help="build the dataset here once and reuse it")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["ARTICLE_CURATOR_HOME"] = home
        db = args.db or Path(home) / "overview-bench.sqlite"
        store = open_store(db)
        try:
            if _count(store, "SELECT count(*) FROM article") < args.n:
                build_articles(store, args.n)
                spread_done_days(store)
            top_up_spans(store, args.spans)
            add_near_copies(store)
            return run(store, args.rounds)
        finally:
            store.close()


if __name__ == "__main__":
    sys.exit(main())
