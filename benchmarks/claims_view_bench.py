"""The Claims view's queries at 100k articles, beside the library's first page in the same dataset and run.

    python benchmarks/claims_view_bench.py
    python benchmarks/claims_view_bench.py --articles 20000 --runs 3

Builds a real SQLite dataset in a temporary folder (written straight into the
tables for speed): ``--articles`` articles of about 2,500 characters, each with
six PERSON/ORG spans and one to three CLAIM spans (about two on average) whose
attributes hold a claimant, a verdict, a note and, for a third, a date of their
own; 40% of claims are linked to one of 2,000 entities. Articles carry a site
and a publication date.

Then times, best of ``--runs``, warm cache, what the Claims view does:
``count_claims``, the first page (the first ``BLOCK`` span ids and their rows)
in the view's default order (by article, as the library's import order) and
others, the full id list (what the table holds), and filtered first pages (a
verdict, a claimant, a date range, words); beside
them the library's first page (``list_article_ids`` with a limit, and its rows)
and its full id list, as the library table runs them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BLOCK = 200  # rows of a first page, as both tables read them
ENTITIES = 2000
VERDICTS = ("unverified", "true", "false", "misleading", "other")
SITES = [f"Site {i:02d} News" for i in range(50)]
WORDS = ["council", "budget", "harbour", "tidal", "power", "pilot", "school", "music", "board", "union", "strike", "roster", "airline", "recall", "oat", "bars", "nut", "warning", "study", "nap", "students", "lecture", "memory"]


def build(path: Path, articles: int, seed: int = 7) -> tuple[int, int, float]:
    """The dataset; returns (spans, claims, seconds)."""
    from app.core.db.store import open_store

    began = time.perf_counter()
    open_store(path).close()
    rng = random.Random(seed)
    stamp = "2026-12-03 12:00:00.000000"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    labels = dict(conn.execute("SELECT name, id FROM label"))
    spans: list[tuple[Any, ...]] = []
    claims = 0
    with conn:
        conn.executemany(
            "INSERT INTO entity (id, label_id, name, name_key, external_id, note, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, '', '', ?, ?)",
            ((i, labels["PERSON" if i % 2 else "ORG"], f"Claimant {i}", f"claimant {i}", stamp, stamp)
             for i in range(1, ENTITIES + 1)))
        rows = []
        for a in range(1, articles + 1):
            sentences = [" ".join(rng.choice(WORDS) for _ in range(14)).capitalize() + "." for _ in range(20)]
            body = " ".join(sentences)
            published = f"{2024 + rng.randrange(2)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T08:00:00Z"
            rows.append((a, f"a{a}", f"Article {a}: " + " ".join(rng.choice(WORDS) for _ in range(6)), body,
                         f"{a:064x}", rng.choice(SITES), published, f"https://example.org/{a}", stamp, stamp))
            at = 0
            for n in range(6):  # PERSON/ORG mentions, one per sentence
                length = len(sentences[n].split()[0])
                spans.append((a, at, at + length, labels["PERSON" if n % 2 else "ORG"], sentences[n][:length],
                              "{}", None))
                at += len(sentences[n]) + 1
            for n in range(rng.choice((1, 2, 2, 3))):
                sentence = 8 + n * 3
                start = sum(len(s) + 1 for s in sentences[:sentence])
                linked = rng.random() < 0.4
                entity = rng.randrange(1, ENTITIES + 1) if linked else None
                attrs = {"claimant": f"Claimant {entity}" if entity else f"Speaker {rng.randrange(50_000)}",
                         "verdict": rng.choice(VERDICTS), "note": ""}
                if rng.random() < 0.33:
                    attrs["date"] = f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
                spans.append((a, start, start + len(sentences[sentence]) - 1, labels["CLAIM"],
                              sentences[sentence][:-1], json.dumps(attrs, sort_keys=True), entity))
                claims += 1
            if len(rows) >= 5000:
                _flush(conn, rows, spans, stamp)
                rows, spans = [], []
        _flush(conn, rows, spans, stamp)
    total = conn.execute("SELECT count(*) FROM span").fetchone()[0]
    conn.execute("ANALYZE")
    conn.close()
    return total, claims, time.perf_counter() - began


def _flush(conn: sqlite3.Connection, rows: list[tuple[Any, ...]], spans: list[tuple[Any, ...]], stamp: str) -> None:
    conn.executemany(
        "INSERT INTO article (id, uid, title, text, text_hash, site_name, published, url, source_kind, status, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'paste', 'new', ?, ?)", rows)
    conn.executemany(
        'INSERT INTO span (article_id, start, "end", label_id, text, annotator, origin, attributes, created_at, '
        "updated_at, claimant_id) VALUES (?, ?, ?, ?, ?, 'ana', 'imported', ?, ?, ?, ?)",
        [(*s[:6], stamp, stamp, s[6]) for s in spans])


def best_ms(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        best = min(best, (time.perf_counter() - began) * 1000)
    return best, result


def run(path: Path, articles: int, runs: int, reuse: bool = False) -> int:
    from app.core.db.store import open_store
    from app.core.entities import claims
    from app.core.entities.claims import ClaimFilter
    from app.core.ops import library

    if reuse and path.exists():
        print(f"Reusing {path} ({path.stat().st_size / 1e6:.0f} MB)")
    else:
        spans, made, took = build(path, articles)
        print(f"Built {articles:,} articles, {spans:,} spans of which {made:,} claims, in {took:.1f} s "
              f"({path.stat().st_size / 1e6:.0f} MB)")
    with open_store(path) as store:
        linked = claims.claimants_in_use(store)
        busiest = max(linked, key=lambda row: row[2])

        def claims_page(flt: ClaimFilter = ClaimFilter(), sort: str = "date", descending: bool = True) -> int:
            ids = claims.list_claim_ids(store, flt, sort=sort, descending=descending, limit=BLOCK)
            return len(claims.claim_rows(store, ids))

        def library_page(sort: str = "id", descending: bool = False) -> int:
            ids = library.list_article_ids(store, sort=sort, descending=descending, limit=BLOCK)
            return len(library.article_rows(store, ids))

        cases: list[tuple[str, Callable[[], Any]]] = [
            ("library: first page (import order)", library_page),
            ("library: first page by date, newest first", lambda: library_page("published", True)),
            ("library: every id (import order)", lambda: len(library.list_article_ids(store))),
            ("claims: count_claims", lambda: claims.count_claims(store)),
            ("claims: first page in article order (the default)", lambda: claims_page(sort="article",
                                                                                     descending=False)),
            ("claims: first page by date, newest first", claims_page),
            ("claims: first page by claimant", lambda: claims_page(sort="claimant", descending=False)),
            ("claims: every id by date (the table's list)", lambda: len(claims.list_claim_ids(
                store, sort="date", descending=True))),
            ("claims: every id in article order (default list)", lambda: len(claims.list_claim_ids(
                store, sort="article"))),
            ("claims: verdict false, first page (default order)", lambda: claims_page(
                ClaimFilter(verdict="false"), sort="article", descending=False)),
            ("claims: verdict false, first page by date", lambda: claims_page(ClaimFilter(verdict="false"))),
            (f"claims: claimant {busiest[1]} ({busiest[2]} claims), page",
             lambda: claims_page(ClaimFilter(claimant_id=busiest[0]))),
            ("claims: count for that claimant", lambda: claims.count_claims(store, claimant_id=busiest[0])),
            ("claims: March 2025, first page (default order)", lambda: claims_page(
                ClaimFilter(date_from="2025-03-01", date_to="2025-03-31"), sort="article", descending=False)),
            ("claims: March 2025, first page by date", lambda: claims_page(
                ClaimFilter(date_from="2025-03-01", date_to="2025-03-31"))),
            ("claims: words 'harbour tidal', first page", lambda: claims_page(ClaimFilter(search="harbour tidal"),
                                                                                sort="article", descending=False)),
            ("claims: count for verdict false", lambda: claims.count_claims(store, verdict="false")),
        ]
        print(f"\n{'best of ' + str(runs) + ', warm cache':<52}{'ms':>9}  rows")
        for label, fn in cases:
            ms, result = best_ms(runs, fn)
            print(f"{label:<52}{ms:>9.1f}  {result:,}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the dataset here, or reuse the one already there")
    args = parser.parse_args()
    if args.keep is not None:
        os.environ["ARTICLE_CURATOR_HOME"] = str(args.keep.parent)
        return run(args.keep, args.articles, args.runs, reuse=True)
    with tempfile.TemporaryDirectory(prefix="curator-claims-bench-") as home:
        os.environ["ARTICLE_CURATOR_HOME"] = home
        return run(Path(home) / "claims.sqlite", args.articles, args.runs)


if __name__ == "__main__":
    sys.exit(main())
