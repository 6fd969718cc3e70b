"""Bulk import of a labelled JSONL file against SQLite's floor, measured in the same run.

    python benchmarks/jsonl_import_bench.py              # 10,000 articles, ~4 KB and 20 spans each
    python benchmarks/jsonl_import_bench.py --n 2000     # quicker

The file is generated (deterministically, from --seed) in a temporary folder:
native-export records of ~4 KB of varied text with 20 spans each (PERSON, ORG,
LOC mentions and CLAIM sentences with attributes, some nested), the shape of a
pre-labelled set moved over from another tool.

Prints, in one run:
  * the floor: plain sqlite3 into a fresh dataset's own schema, indexes and
    search-index settings; per batch one INSERT executemany for the articles, one
    for the spans, one set-based FTS5 insert and a durable commit (WAL,
    synchronous=FULL). Rows, hashes and ids are made before the clock starts, so
    nothing of the work of reading the file is in it. Measured with and without
    the search index;
  * the import: ``import_sources`` on the file (the path the CLI's and the
    window's imports take: parsing, validation, dedup, offsets checked, near
    copies, batches in transactions, the import log), into a fresh dataset;
    "complete" is when every article is searchable too;
  * the ratio import / floor (target >= 0.7);
  * CPU per article by stage of the import (a second, instrumented run).

Rounds take turns (floor, import) and the best of each is compared: on a shared
machine the best run shows the cost of the work.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.store_search_bench import Corpus  # noqa: E402

SPANS = 20
CLAIMS = 4
LABELS = ("PERSON", "ORG", "LOC")
VERDICTS = ("true", "false", "misleading", "unverified")
_WORDS = re.compile(r"[^\W\d_]{4,}")
_SENTENCE_END = re.compile(r"[.?!;]")


# --- the file ---------------------------------------------------------------------------------------


def record(corpus: Corpus, i: int, rng: random.Random) -> dict[str, Any]:
    """One native-export line: ~4 KB of text, 16 mentions and 4 CLAIM sentences around some of them."""
    art = corpus.article(i)
    body = art["text"]
    words = [m.span() for m in _WORDS.finditer(body)]
    picked = sorted(rng.sample(words, SPANS - CLAIMS))
    spans: list[dict[str, Any]] = [
        {"start": s, "end": e, "label": rng.choice(LABELS), "text": body[s:e], "annotator": "alice",
         "attributes": {}}
        for s, e in picked
    ]
    for s, e in rng.sample(picked, CLAIMS):  # a claim: from its sentence's start to the mention's end
        start = max((m.end() for m in _SENTENCE_END.finditer(body, 0, s)), default=0)
        while body[start].isspace():
            start += 1
        spans.append({"start": start, "end": e, "label": "CLAIM", "text": body[start:e], "annotator": "alice",
                      "attributes": {"claimant": body[s:e], "verdict": rng.choice(VERDICTS),
                                     "note": f"checked against source {i}"}})
    spans.sort(key=lambda sp: (sp["start"], sp["end"], sp["label"]))
    return {"id": f"{i:08x}{rng.getrandbits(32):08x}", "url": art["url"], "title": art["title"], "text": body,
            "meta": {"site_name": art["site_name"], "language": "en", "source_kind": "url", "source": art["url"],
                     "date": "2026-01-02"},
            "status": rng.choice(["new", "in_progress", "done"]), "spans": spans}


def write_file(path: Path, n: int, seed: int) -> list[dict[str, Any]]:
    corpus = Corpus(seed)
    rng = random.Random(seed)
    records = [record(corpus, i, rng) for i in range(n)]
    with path.open("wb") as f:
        for r in records:
            f.write(orjson.dumps(r))
            f.write(b"\n")
    return records


# --- the floor --------------------------------------------------------------------------------------

_ARTICLE_SQL = ("INSERT INTO article (uid, url, canonical_url, title, published, site_name, language, text, "
                "text_hash, source_kind, source, status, meta, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
_SPAN_SQL = ('INSERT INTO span (article_id, start, "end", label_id, text, annotator, origin, attributes, '
             "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)")


def floor(path: Path, records: list[dict[str, Any]], batch: int, with_fts: bool) -> tuple[float, float]:
    """(articles/s, CPU seconds) of plain sqlite3 into a fresh dataset's schema: the fastest any code could
    store them."""
    from app.core.db.store import open_store
    from app.core.text_norm import canonical_url, text_hash

    open_store(path).close()  # the current schema, migrations and FTS5 settings
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        db.execute(f"PRAGMA {pragma}")
    for name in ("LOC",):  # the dataset's default labels lack it; the import creates it too
        db.execute("INSERT INTO label (name, kind, position) VALUES (?, 'entity', 9)", (name,))
    label_id = dict(db.execute("SELECT name, id FROM label"))
    now = "2026-12-03 12:00:00.000000"
    articles = [
        (r["id"], r["url"], canonical_url(r["url"]), r["title"], r["meta"]["date"], r["meta"]["site_name"], "en",
         r["text"], text_hash(r["text"]), "url", r["url"], r["status"], "{}", now, now)
        for r in records
    ]
    spans = [
        [(s["start"], s["end"], label_id[s["label"]], s["text"], s["annotator"], "imported",
          orjson.dumps(s["attributes"], option=orjson.OPT_SORT_KEYS).decode(), now, now) for s in r["spans"]]
        for r in records
    ]
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(articles), batch):
        db.execute("BEGIN IMMEDIATE")
        first = db.execute("SELECT coalesce(max(id), 0) + 1 FROM article").fetchone()[0]
        db.executemany(_ARTICLE_SQL, articles[i : i + batch])
        db.executemany(_SPAN_SQL, [(first + k, *s) for k, article_spans in enumerate(spans[i : i + batch])
                                   for s in article_spans])
        if with_fts:
            db.execute("INSERT INTO article_fts(rowid, title, text) SELECT id, title, text FROM article "
                       "WHERE id >= ?", (first,))
        db.execute("COMMIT")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    db.close()
    return len(records) / seconds, cpu


# --- the import -------------------------------------------------------------------------------------


def run_import(db: Path, source: Path, n: int) -> tuple[float, float, float]:
    """(articles/s until stored, articles/s until also searchable, CPU seconds) of one import."""
    from app.core.db.store import open_store
    from app.core.ingest.importer import import_sources

    store = open_store(db)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        report = import_sources(store, [source])
        stored = time.perf_counter() - start
        wait_searchable(store)
        complete = time.perf_counter() - start
        cpu = time.process_time() - cpu
        assert report.imported == n, (report.imported, report.failures[:3])
        check(store, n)
    finally:
        store.close()
    return n / stored, n / complete, cpu


def wait_searchable(store: Any) -> None:
    """Until the search index holds every article (at once when the import indexes as it stores)."""
    try:
        from app.core.db import search_index
    except ImportError:  # a version that indexes inside each batch
        return
    search_index.wait_until_indexed(store)


def check(store: Any, n: int) -> None:
    with store.engine.connect() as conn:
        spans = conn.exec_driver_sql("SELECT count(*) FROM span").scalar_one()
        found = conn.exec_driver_sql(
            "SELECT count(*) FROM article_fts WHERE article_fts MATCH 'checked OR the OR a'").scalar_one()
    assert spans == n * SPANS, spans
    assert found > 0.9 * n, found


# --- CPU per stage ----------------------------------------------------------------------------------


def stages(db: Path, source: Path, n: int) -> None:
    """CPU time per article of each stage of one instrumented import."""
    from app.core.db import span_json
    from app.core.db.store import open_store
    from app.core.ingest import import_log, importer, jsonl_reader, storing
    from app.core.quality import clustering, near_copies

    spent: dict[str, float] = {}
    active: list[str] = []  # stages running now, innermost last: time goes to the innermost only

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            if active:  # the enclosing stage does not count this one's time
                spent[active[-1]] = spent.get(active[-1], 0.0) + start
            active.append(name)
            try:
                return fn(*args, **kwargs)
            finally:
                end = time.process_time()
                active.pop()
                spent[name] = spent.get(name, 0.0) + end - start
                if active:
                    spent[active[-1]] -= end
        return wrapper

    store = open_store(db)
    statement_stage = {"INSERT INTO article ": "insert articles", "INSERT INTO span ": "insert spans",
                       "INSERT INTO article_fts": "FTS", "INSERT INTO article_symbols": "FTS",
                       "INSERT INTO article_span_json": "span JSON cache", "INSERT INTO import_log": "import log"}
    patches: list[tuple[Any, str, Callable[..., Any]]] = [
        (jsonl_reader, "decode_json", "parse (JSON)"),
        (jsonl_reader, "record_to_article", "validate"),
        (storing, "text_hash", "hash (normalising the text)"),  # before the text was normalised once
        (storing, "normalise_for_hash", "hash (normalising the text)"),
        (storing, "hash_of_normalised", "hash (normalising the text)"),
        (storing, "_find_duplicates", "dedup lookup"),
        (near_copies, "prepare", "near copies"),
        (near_copies, "record", "near copies"),
        (clustering, "sign_and_cluster_missing", "near copies"),
        (span_json, "refresh", "span JSON cache"),
        (span_json, "store_new", "span JSON cache"),
        (import_log.ImportLogWriter, "write", "import log"),
        (store.search, "index_range", "FTS"),
        (store.engine.dialect, "do_commit", "commit"),
    ]
    patches = [(obj, attr, name) for obj, attr, name in patches if hasattr(obj, attr)]  # also older versions
    originals = [(obj, attr, getattr(obj, attr)) for obj, attr, _ in patches]
    for obj, attr, name in patches:
        setattr(obj, attr, timed(name, getattr(obj, attr)))
    dialect = store.engine.dialect
    plain_many, plain_one = dialect.do_executemany, dialect.do_execute

    def stage_of(statement: str) -> str | None:
        return next((s for prefix, s in statement_stage.items() if statement.startswith(prefix)), None)

    def executemany(cursor: Any, statement: str, parameters: Any, context: Any = None) -> Any:
        name = stage_of(statement)
        return (timed(name, plain_many) if name else plain_many)(cursor, statement, parameters, context)

    def execute(cursor: Any, statement: str, parameters: Any, context: Any = None) -> Any:
        name = stage_of(statement)
        return (timed(name, plain_one) if name else plain_one)(cursor, statement, parameters, context)

    dialect.do_executemany, dialect.do_execute = executemany, execute  # type: ignore[method-assign]
    try:
        start = time.process_time()
        total_name = "rest (SQLAlchemy, batching, reports)"
        timed(total_name, importer.import_sources)(store, [source])
        wait_searchable(store)
        total = time.process_time() - start
    finally:
        for obj, attr, fn in originals:
            setattr(obj, attr, fn)
        dialect.do_executemany, dialect.do_execute = plain_many, plain_one  # type: ignore[method-assign]
        store.close()
    print(f"\n== CPU per article by stage (one instrumented import of {n:,} articles, all threads)")
    for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"   {name:38} {seconds / n * 1e6:6.0f} us/article  ({seconds / total:4.0%})")
    print(f"   {'total':38} {total / n * 1e6:6.0f} us/article  = {n / total:,.0f} articles per CPU second")


# --- main -------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="articles in the file (default 10,000)")
    parser.add_argument("--batch", type=int, default=2_000, help="articles per transaction of the floor")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of (floor, import); best of each")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-stages", action="store_true", help="skip the instrumented run")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="curator-jsonl-bench-") as tmp:
        folder = Path(tmp)
        os.environ["ARTICLE_CURATOR_HOME"] = str(folder / "home")  # never a real profile
        source = folder / "labelled.jsonl"
        began = time.perf_counter()
        records = write_file(source, args.n, args.seed)
        size = source.stat().st_size
        print(f"{args.n:,} records, {size / 1e6:,.0f} MB ({size / args.n / 1024:.1f} KB a line), "
              f"{SPANS} spans each; made in {time.perf_counter() - began:.1f} s; CPU count {os.cpu_count()}, "
              f"load {os.getloadavg()[0]:.1f}")
        gc.freeze()  # the records are long-lived; keep the collector off them
        best: dict[str, float] = {}
        cpu = {"floor": float("inf"), "floor, no search index": float("inf"), "import": float("inf")}
        for round_no in range(1, args.rounds + 1):
            rates: dict[str, float] = {}
            for name, with_fts in (("floor", True), ("floor, no search index", False)):
                rates[name], floor_cpu = floor(folder / f"{name[-5:]}-{round_no}.sqlite", records, args.batch,
                                               with_fts)
                cpu[name] = min(cpu[name], floor_cpu)
            stored, complete, import_cpu = run_import(folder / f"import-{round_no}.sqlite", source, args.n)
            rates["import, stored"], rates["import, searchable"] = stored, complete
            cpu["import"] = min(cpu["import"], import_cpu)
            print(f"round {round_no}: " + "   ".join(f"{k} {v:,.0f}/s" for k, v in rates.items()), flush=True)
            best = {k: max(best.get(k, 0.0), v) for k, v in rates.items()}
        print(f"\n== best of {args.rounds} (articles/s)")
        print(f"   floor, plain sqlite3 with search index, batches of {args.batch:,}:    {best['floor']:8,.0f}")
        print(f"   floor without search index:                               "
              f"{best['floor, no search index']:8,.0f}")
        print(f"   import (import_sources), all articles stored:             {best['import, stored']:8,.0f}")
        print(f"   import, all articles also searchable:                     {best['import, searchable']:8,.0f}")
        print(f"   ratio import (searchable) / floor with search index:      "
              f"{best['import, searchable'] / best['floor']:8.2f}   (target >= 0.70)")
        print(f"   ratio import (stored) / floor without search index:       "
              f"{best['import, stored'] / best['floor, no search index']:8.2f}")
        # CPU time hardly moves with what else the machine runs; articles/s does.
        print(f"   CPU per article, best round: floor {cpu['floor'] / args.n * 1e6:,.0f} us "
              f"(no search index {cpu['floor, no search index'] / args.n * 1e6:,.0f} us), "
              f"import {cpu['import'] / args.n * 1e6:,.0f} us (all threads)")
        print(f"   ratio by CPU, floor with search index / import:           {cpu['floor'] / cpu['import']:8.2f}")
        if not args.no_stages:
            stages(folder / "stages.sqlite", source, args.n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
