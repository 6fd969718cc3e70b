"""Merge an entity of 10,000 mentions into another in a dataset of a million spans, and undo the merge.

    python benchmarks/entity_merge_bench.py
    python benchmarks/entity_merge_bench.py --spans 200000 --mentions 10000

Builds a real SQLite dataset in a temporary folder (articles of a hundred spans
each, written straight into the tables for speed), links ``--mentions`` spans to
one entity and as many to another, then times ``linking.merge_entities`` and its
undo (``history.undo``) through the core, each a transaction of its own with
SQLite's full sync, as the app stores them. Budget: well under a second each.
``link --auto`` over every span is timed too, for information.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BUDGET_S = 1.0
NAME = "Wintermute"
PER_ARTICLE = 100


def build(path: Path, spans: int) -> float:
    """A dataset of ``spans`` PERSON spans over articles of PER_ARTICLE each; the seconds it took."""
    from app.core.db.store import open_store

    began = time.perf_counter()
    open_store(path).close()
    body = (NAME + " ") * PER_ARTICLE
    stamp = "2026-12-03 12:00:00.000000"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    articles = (spans + PER_ARTICLE - 1) // PER_ARTICLE
    with conn:
        conn.executemany(
            "INSERT INTO article (id, uid, title, text, text_hash, source_kind, status, created_at, updated_at) "
            "VALUES (?, ?, '', ?, ?, 'paste', 'new', ?, ?)",
            ((i, f"a{i}", body, f"{i:064x}", stamp, stamp) for i in range(1, articles + 1)))
        width = len(NAME) + 1
        conn.executemany(
            'INSERT INTO span (article_id, start, "end", label_id, text, annotator, origin, attributes, '
            "created_at, updated_at) VALUES (?, ?, ?, 1, ?, '', 'manual', '{}', ?, ?)",
            ((1 + n // PER_ARTICLE, (n % PER_ARTICLE) * width, (n % PER_ARTICLE) * width + len(NAME), NAME, stamp,
              stamp) for n in range(spans)))
    conn.close()
    return time.perf_counter() - began


def timed(label: str, action) -> float:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    action()
    took = time.perf_counter() - began
    print(f"{label:<36}{took * 1000:>9.1f} ms   {'ok' if took < BUDGET_S else 'OVER BUDGET'}")
    return took


def run(path: Path, spans: int, mentions: int) -> int:
    from sqlalchemy import text

    from app.core.db.store import open_store
    from app.core.entities import linking, queries, registry
    from app.core.entities.history import undo

    took = build(path, spans)
    print(f"Built {spans:,} spans in {(spans + PER_ARTICLE - 1) // PER_ARTICLE:,} articles in {took:.1f} s "
          f"({path.stat().st_size / 1e6:.0f} MB)")
    with open_store(path) as store:
        keep = registry.create_entity(store, "PERSON", "Wintermute", aliases=["WM"]).entity_ids[0]
        gone = registry.create_entity(store, "PERSON", "Winter Mute", aliases=["The AI"],
                                      external_id="Q1").entity_ids[0]
        # Every span says "Wintermute": ``link --auto`` links them all (not held to the budget: a batch job).
        began = time.perf_counter()
        linked = linking.auto_link(store).linked
        print(f"{'link --auto':<36}{(time.perf_counter() - began) * 1000:>9.1f} ms   ({linked:,} spans linked)")
        with store.begin() as conn:
            conn.execute(text("UPDATE span SET entity_id = NULL"))
            conn.execute(text("UPDATE span SET entity_id = :e WHERE id <= :n"), {"e": gone, "n": mentions})
            conn.execute(text("UPDATE span SET entity_id = :e WHERE id > :n AND id <= :m"),
                         {"e": keep, "n": mentions, "m": 2 * mentions})
        merged: list[object] = []
        t_merge = timed(f"merge {mentions:,} mentions", lambda: merged.append(linking.merge_entities(store, keep, gone)))
        assert queries.count_mentions(store, keep) == 2 * mentions
        t_undo = timed("undo the merge", lambda: undo(store, merged[0]))  # type: ignore[arg-type]
        assert queries.count_mentions(store, gone) == mentions == queries.count_mentions(store, keep)
        t_list = timed("list entities with counts", lambda: queries.list_entities(store))
        t_kwic = timed("a page of 100 mentions in context", lambda: queries.mentions(store, keep, offset=5000))
    return 0 if max(t_merge, t_undo, t_list, t_kwic) < BUDGET_S else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--mentions", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="curator-entity-bench-") as home:
        os.environ["ARTICLE_CURATOR_HOME"] = home
        return run(Path(home) / "entities.sqlite", args.spans, args.mentions)


if __name__ == "__main__":
    sys.exit(main())
