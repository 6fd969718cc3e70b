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
in each order the view offers (by article, the default, as the library's
import order; by date, claimant, verdict, site), the full id list of each
(what the table holds), and filtered first pages and counts (a verdict, a
claimant, a date range, words); each beside what the library table runs for
the same need in the same run (``list_article_ids`` with a limit and its rows,
or all ids; in the same order, by title for a claimant and by status for a
verdict; its filter by site beside a claims filter, its search beside words),
with the ratio of the two. The dataset has about two claims per article, so a
full claims list holds twice the ids of the library's.
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
    conn.close()
    _finish(path)
    conn = sqlite3.connect(path)
    conn.execute("ANALYZE")
    conn.close()
    return total, claims, time.perf_counter() - began


def _finish(path: Path) -> None:
    """What the core stores as it writes articles and claims, which rows written straight into the tables
    went past: each claim's date, verdict, claimant and site, and the search index (the library's words)."""
    from app.core.db.store import open_store
    from app.core.entities import claim_columns

    with open_store(path) as store, store.begin() as conn:
        claim_columns.refresh_all(conn)
        store.search.rebuild(conn)


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
    from app.core.ops.library import ArticleFilter

    if reuse and path.exists():
        print(f"Reusing {path} ({path.stat().st_size / 1e6:.0f} MB)")
    else:
        spans, made, took = build(path, articles)
        print(f"Built {articles:,} articles, {spans:,} spans of which {made:,} claims, in {took:.1f} s "
              f"({path.stat().st_size / 1e6:.0f} MB)")
    with open_store(path) as store:
        linked = claims.claimants_in_use(store)
        busiest = max(linked, key=lambda row: row[2])
        site = SITES[7]

        def claims_page(flt: ClaimFilter = ClaimFilter(), sort: str = "date", descending: bool = True) -> int:
            ids = claims.list_claim_ids(store, flt, sort=sort, descending=descending, limit=BLOCK)
            return len(claims.claim_rows(store, ids))

        def claims_ids(sort: str, descending: bool = False) -> int:
            return len(claims.list_claim_ids(store, sort=sort, descending=descending))

        def library_page(flt: ArticleFilter = ArticleFilter(), sort: str = "id", descending: bool = False) -> int:
            ids = library.list_article_ids(store, flt, sort=sort, descending=descending, limit=BLOCK)
            return len(library.article_rows(store, ids))

        def library_ids(sort: str, descending: bool = False) -> int:
            return len(library.list_article_ids(store, sort=sort, descending=descending))

        # Each query of the Claims view beside what the library does for the same need in the same run:
        # the same order (by date, by site, ...; a claimant or verdict beside a title or status), or a
        # filter beside the library's filter by site, words beside the library's search.
        lib_site = ArticleFilter(site=site)
        pairs: list[tuple[str, Callable[[], Any], str, Callable[[], Any]]] = [
            ("count_claims", lambda: claims.count_claims(store),
             "count_articles", lambda: library.count_articles(store)),
            ("first page in article order (the default)", lambda: claims_page(sort="article", descending=False),
             "first page, import order", library_page),
            ("first page by date, newest first", claims_page,
             "first page by date, newest first", lambda: library_page(sort="published", descending=True)),
            ("first page by claimant", lambda: claims_page(sort="claimant", descending=False),
             "first page by title", lambda: library_page(sort="title")),
            ("first page by verdict", lambda: claims_page(sort="verdict", descending=False),
             "first page by status", lambda: library_page(sort="status")),
            ("first page by site", lambda: claims_page(sort="site", descending=False),
             "first page by site", lambda: library_page(sort="site")),
            ("every id in article order (default list)", lambda: claims_ids("article"),
             "every id, import order", lambda: library_ids("id")),
            ("every id by date (the table's list)", lambda: claims_ids("date", True),
             "every id by date", lambda: library_ids("published", True)),
            ("every id by claimant", lambda: claims_ids("claimant"),
             "every id by title", lambda: library_ids("title")),
            ("every id by verdict", lambda: claims_ids("verdict"),
             "every id by status", lambda: library_ids("status")),
            ("every id by site", lambda: claims_ids("site"),
             "every id by site", lambda: library_ids("site")),
            ("verdict false, first page (default order)", lambda: claims_page(
                ClaimFilter(verdict="false"), sort="article", descending=False),
             f"site {site}, first page", lambda: library_page(lib_site)),
            ("verdict false, first page by date", lambda: claims_page(ClaimFilter(verdict="false")),
             f"site {site}, first page by date", lambda: library_page(lib_site, "published", True)),
            ("count for verdict false", lambda: claims.count_claims(store, verdict="false"),
             f"count for site {site}", lambda: library.count_articles(store, lib_site)),
            (f"claimant {busiest[1]} ({busiest[2]} claims), page", lambda: claims_page(
                ClaimFilter(claimant_id=busiest[0])),
             f"site {site}, first page by date", lambda: library_page(lib_site, "published", True)),
            ("count for that claimant", lambda: claims.count_claims(store, claimant_id=busiest[0]),
             f"count for site {site}", lambda: library.count_articles(store, lib_site)),
            ("March 2025, first page (default order)", lambda: claims_page(
                ClaimFilter(date_from="2025-03-01", date_to="2025-03-31"), sort="article", descending=False),
             f"site {site}, first page", lambda: library_page(lib_site)),
            ("March 2025, first page by date", lambda: claims_page(
                ClaimFilter(date_from="2025-03-01", date_to="2025-03-31")),
             f"site {site}, first page by date", lambda: library_page(lib_site, "published", True)),
            ("March 2025, count", lambda: claims.count_claims(store, date_from="2025-03-01", date_to="2025-03-31"),
             f"count for site {site}", lambda: library.count_articles(store, lib_site)),
            ("words 'harbour tidal', first page", lambda: claims_page(ClaimFilter(search="harbour tidal"),
                                                                     sort="article", descending=False),
             "words 'harbour tidal', first page", lambda: library_page(ArticleFilter(query="harbour tidal"))),
        ]
        print(f"\n{'best of ' + str(runs) + ', warm cache; claims':<46}{'ms':>8}{'rows':>9}   "
              f"{'library':<38}{'ms':>8}{'rows':>9}  ratio")
        worst = 0.0
        for claims_label, claims_fn, library_label, library_fn in pairs:
            ms, result = best_ms(runs, claims_fn)
            lib_ms, lib_result = best_ms(runs, library_fn)
            ratio = ms / lib_ms if lib_ms else float("inf")
            worst = max(worst, ratio)
            print(f"{claims_label:<46}{ms:>8.1f}{result:>9,}   {library_label:<38}{lib_ms:>8.1f}{lib_result:>9,}"
                  f"  {ratio:5.2f}")
        print(f"\nHighest ratio (claims / library): {worst:.2f}")
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
