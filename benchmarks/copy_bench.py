"""Copy a dataset SQLite -> PostgreSQL -> SQLite; print articles/s each way and the copy's peak memory.

    python benchmarks/copy_bench.py                    # 10,000 articles
    python benchmarks/copy_bench.py --n 100000         # memory stays flat: compare the peaks

The dataset: generated articles (about 2,500 characters each), every fifth with its
downloaded page, five spans by two annotators each (a claim with attributes
among them), stored the way an import stores them. PostgreSQL is started in a
temporary folder (tests/postgres_server.py); each copy runs in a process of its
own, so its peak resident memory is the copy's alone.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.core.db.store import open_store  # noqa: E402
from app.core.ingest.storing import store_articles  # noqa: E402
from app.core.validation import NewArticle, NewSpan  # noqa: E402

VOCABULARY = ("the minister said on tuesday that growth would continue while analysts in paris and berlin "
              "expected rates to fall after the central bank met with companies from several countries")
WORDS = VOCABULARY.split()


def _article(rng: random.Random, i: int) -> NewArticle:
    words = [rng.choice(WORDS) for _ in range(400)]
    text = f"Hugo Touvron {i} " + " ".join(words) + "."
    spans = [NewSpan(start=0, end=12, label="PERSON", annotator=who) for who in ("ana", "ben")]
    spans += [NewSpan(start=13, end=13 + len(str(i)), label="ORG", annotator="ana"),
              NewSpan(start=0, end=40, label="CLAIM", annotator="ana",
                      attributes={"claimant": "Hugo Touvron", "verdict": "true", "note": f"n{i}"}),
              NewSpan(start=0, end=40, label="CLAIM", annotator="ben", attributes={"verdict": "false"})]
    page = zlib.compress(f"<html><body>{text}</body></html>".encode()) if i % 5 == 0 else None
    return NewArticle(uid=f"bench-{i}", text=text, title=f"Story {i} {rng.choice(WORDS)}", source_kind="url",
                      url=f"https://example.org/{i}", source_bytes=page, content_type="text/html" if page else None,
                      status=rng.choice(("new", "done", "in_progress")), meta={"n": i}, spans=spans)


def build(path: Path, n: int) -> None:
    rng = random.Random(1)
    store = open_store(path)
    try:
        for first in range(0, n, 1000):
            store_articles(store, [_article(rng, i) for i in range(first, min(n, first + 1000))])
    finally:
        store.close()


def _copy_in_child(src: str, dest: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from app.core.db.copy import copy_dataset

    report = copy_dataset(src, dest)
    queue.put((report.articles, sum(report.rows.values()), report.seconds, _peak_mb()))


def _peak_mb() -> float:
    """This process's peak resident memory. Not ``ru_maxrss``: Linux keeps that across the exec that
    starts a spawned process, so it would report the parent's peak (building the dataset)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_copy(src: str, dest: str) -> tuple[int, int, float, float]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_copy_in_child, args=(src, dest, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="articles (default %(default)d)")
    args = parser.parse_args()
    from tests.postgres_server import running_postgres

    with tempfile.TemporaryDirectory(prefix="copy-bench-") as folder, running_postgres() as pg_url:
        source, back = Path(folder) / "source.sqlite", Path(folder) / "back.sqlite"
        started = time.perf_counter()
        build(source, args.n)
        print(f"built {args.n:,} articles in {time.perf_counter() - started:.1f} s "
              f"({source.stat().st_size / 2**20:.0f} MB)")
        for name, src, dest in (("SQLite -> PostgreSQL", str(source), pg_url),
                                ("PostgreSQL -> SQLite", pg_url, str(back))):
            articles, rows, seconds, peak_mb = timed_copy(src, dest)
            print(f"{name}: {articles:,} articles ({rows:,} rows) in {seconds:.1f} s = "
                  f"{articles / seconds:,.0f} articles/s, {rows / seconds:,.0f} rows/s; peak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
