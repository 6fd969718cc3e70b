"""Near-copy clustering: quality against exact Jaccard, cost per imported article, re-cluster time.

    python -m benchmarks.near_copies_bench [--stories 400] [--scale 100000] [--scale-db PATH]

1. Quality. Generated syndicated stories: each wire story runs on several sites
   with a changed headline, inserted and deleted sentences, a few changed words
   and the site's own boilerplate (a header and a footer), beside unrelated
   stories. They are imported into a fresh dataset; the clusters the import kept
   are compared, pair by pair, with the truth computed in the same run: the
   connected components of "exact Jaccard of the 5-word shingle sets >= the
   threshold" over all pairs. Precision and recall of same-cluster pairs.
2. Added cost per imported article: the same articles stored with and without
   signatures (``near_copies.prepare``/``record`` patched out), same run.
3. Full re-cluster time (signatures stored, LSH built, candidates checked,
   cluster ids written) at ``--scale`` articles, and the in-memory index's build
   time and memory there (resident memory added, and under tracemalloc what it
   keeps and its peak). ``--scale-db PATH`` keeps that dataset; given again, only
   the index is measured over it.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import accumulate, combinations
from pathlib import Path
from unittest import mock

import numpy as np
from sqlalchemy import text

from app.core.db.store import open_store
from app.core.ingest import storing
from app.core.quality import clustering
from app.core.quality import near_copies as nc
from app.core.validation import NewArticle

SITES = [f"site{i}.example" for i in range(40)]


class Generator:
    """Pseudo-news: words from a Zipf-like vocabulary, so unrelated stories share common phrases."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        letters = "etaoinshrdlcumwfgypbvkjxqz"
        self.vocab = ["".join(self.rng.choice(letters[: 8 + i % 18]) for _ in range(2 + i % 8)) for i in range(8000)]
        self.cum_weights = list(accumulate(1 / (i + 1) ** 0.9 for i in range(len(self.vocab))))
        self.boiler = {s: (self.sentence(12), self.sentence(18)) for s in SITES}
        self.made = 0  # articles made so far: each gets an address of its own

    def sentence(self, n: int | None = None) -> str:
        words = self.rng.choices(self.vocab, cum_weights=self.cum_weights, k=n or self.rng.randint(8, 25))
        return " ".join(words).capitalize() + "."

    def story(self) -> list[str]:
        return [self.sentence() for _ in range(self.rng.randint(15, 45))]

    def copy(self, sentences: list[str], heavy: bool) -> list[str]:
        """A syndicated copy: some sentences deleted, some inserted, a few words changed."""
        out = list(sentences)
        edits = self.rng.randint(2, 6) if heavy else self.rng.randint(0, 2)
        for _ in range(edits):
            if self.rng.random() < 0.5 and len(out) > 5:
                del out[self.rng.randrange(len(out))]
            else:
                out.insert(self.rng.randrange(len(out) + 1), self.sentence())
        for _ in range(self.rng.randint(0, 4)):
            i = self.rng.randrange(len(out))
            words = out[i].split()
            words[self.rng.randrange(len(words))] = self.rng.choice(self.vocab)
            out[i] = " ".join(words)
        return out

    def articles(self, stories: int, unrelated: int) -> list[NewArticle]:
        arts = []
        for s in range(stories):
            body = self.story()
            headline = self.sentence(8)
            for c in range(self.rng.randint(2, 6)):
                site = self.rng.choice(SITES)
                header, footer = self.boiler[site]
                sentences = body if c == 0 else self.copy(body, heavy=self.rng.random() < 0.35)
                title = headline if c == 0 else self.sentence(8)  # each site writes its own headline
                arts.append(_article(f"{header}\n\n{' '.join(sentences)}\n\n{footer}", title, site,
                                     f"{self.made}s{s}c{c}"))
        for u in range(unrelated):
            site = self.rng.choice(SITES)
            header, footer = self.boiler[site]
            arts.append(_article(f"{header}\n\n{' '.join(self.story())}\n\n{footer}", self.sentence(8), site,
                                 f"{self.made}u{u}"))
        self.made += len(arts)
        self.rng.shuffle(arts)
        return arts


def _article(body: str, title: str, site: str, key: str) -> NewArticle:
    return NewArticle(text=body, title=title, site_name=site, url=f"https://{site}/{key}", source_kind="file",
                      source=key)


def truth_pairs(articles: list[NewArticle], threshold: float) -> set[frozenset[str]]:
    """Same-cluster pairs by exact Jaccard over all pairs: components of the >= threshold graph."""
    grams = {a.source: nc.shingle_hashes(a.text) for a in articles}
    parent = {k: k for k in grams}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a, b in combinations(grams, 2):
        if nc.jaccard(grams[a], grams[b]) >= threshold:
            parent[find(a)] = find(b)
    return _pairs_of({k: find(k) for k in grams})


def _pairs_of(cluster_of: dict[str, object]) -> set[frozenset[str]]:
    members: dict[object, list[str]] = {}
    for k, c in cluster_of.items():
        members.setdefault(c, []).append(k)
    return {frozenset(p) for group in members.values() for p in combinations(group, 2)}


def stored_pairs(store: object) -> set[frozenset[str]]:
    with store.begin() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(text(f"SELECT a.source, s.cluster_id FROM {nc.TABLE} s JOIN article a "
                                 "ON a.id = s.article_id WHERE s.cluster_id IS NOT NULL")).all()
    return _pairs_of({src: c for src, c in rows})


def precision_recall(found: set[frozenset[str]], truth: set[frozenset[str]]) -> tuple[float, float]:
    hit = len(found & truth)
    return (hit / len(found) if found else 1.0), (hit / len(truth) if truth else 1.0)


@contextmanager
def _no_signatures() -> Iterator[None]:
    nothing = nc.Pending(np.empty(0, dtype=np.uint32), b"")
    with mock.patch.object(nc, "prepare", lambda texts, **_: [nothing] * len(texts)), \
         mock.patch.object(nc, "record", lambda conn, index, new: {}), \
         mock.patch.object(nc.CandidateIndex, "add_all", lambda self, signed: None):
        yield


def _store_all(path: Path, articles: list[NewArticle]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process): CPU time stays meaningful when other programs share the cores."""
    with open_store(path) as store:
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(articles), 16):  # the importer's batch size
            storing.store_articles(store, articles[i : i + 16])
        return time.perf_counter() - started, time.process_time() - cpu


def quality(stories: int, threshold: float, folder: Path) -> None:
    gen = Generator()
    articles = gen.articles(stories, unrelated=stories)
    started = time.perf_counter()
    truth = truth_pairs(articles, threshold)
    exact_s = time.perf_counter() - started
    with open_store(folder / "quality.sqlite") as store:
        for i in range(0, len(articles), 16):
            storing.store_articles(store, articles[i : i + 16], near_copy_threshold=threshold)
        found = stored_pairs(store)
        with store.begin() as conn:
            report = clustering.recluster(conn, threshold)
        again = stored_pairs(store)
    p, r = precision_recall(found, truth)
    p2, r2 = precision_recall(again, truth)
    print(f"Quality: {len(articles)} articles ({stories} stories run 2-6 times, {stories} unrelated), "
          f"threshold {threshold}; exact Jaccard of all {len(articles) * (len(articles) - 1) // 2:,} pairs "
          f"in {exact_s:.1f} s: {len(truth)} same-cluster pairs")
    print(f"  kept current on import: precision {p:.4f}  recall {r:.4f}  ({len(found)} pairs)")
    print(f"  full re-cluster:        precision {p2:.4f}  recall {r2:.4f}  ({len(again)} pairs, "
          f"{report.candidate_pairs} LSH candidates checked)")


def cost(n: int, folder: Path) -> None:
    articles = Generator(seed=11).articles(n // 8, unrelated=n - n // 8 * 4)[:n]
    with _no_signatures():
        without, without_cpu = _store_all(folder / "without.sqlite", articles)
    with_, with_cpu = _store_all(folder / "with.sqlite", articles)
    words = sum(len(a.text.split()) for a in articles) / len(articles)
    ms = 1000 / len(articles)
    print(f"Cost: {len(articles)} articles (mean {words:.0f} words), stored in batches of 16: "
          f"{without * ms:.2f} ms each without signatures, {with_ * ms:.2f} ms with (+{(with_ - without) * ms:.2f} ms); "
          f"CPU {without_cpu * ms:.2f} ms and {with_cpu * ms:.2f} ms (+{(with_cpu - without_cpu) * ms:.2f} ms)")


def scale(n: int, folder: Path, kept: Path | None = None) -> None:
    if kept is not None and kept.exists():  # made by an earlier run: only the index is measured again
        with open_store(kept) as store, store.begin() as conn:
            made = conn.execute(text("SELECT count(*) FROM article")).scalar_one()
        with open_store(kept) as store:
            print(f"Scale: {made} articles of {kept}")
            index_memory(store, made)
        return
    gen = Generator(seed=5)
    path = kept or folder / "scale.sqlite"
    with open_store(path) as store:
        started = time.perf_counter()
        made = 0
        with _no_signatures():  # stored plainly: the re-cluster below signs them all
            while made < n:
                batch = gen.articles(50, unrelated=300)[: n - made]
                for i in range(0, len(batch), 500):
                    storing.store_articles(store, batch[i : i + 500])
                made += len(batch)
        with store.begin() as conn:
            made = conn.execute(text("SELECT count(*) FROM article")).scalar_one()  # less the exact duplicates
        print(f"Scale: {made} articles stored in {time.perf_counter() - started:.0f} s")
        with store.begin() as conn:
            started = time.perf_counter()
            signed = clustering.sign_missing(conn)
            sign_s = time.perf_counter() - started
            report = clustering.ReclusterReport()
            started = time.perf_counter()
            cluster = nc.clusters_of(clustering.near_pairs(conn, nc.DEFAULT_THRESHOLD, report))
            clustering.write_clusters(conn, cluster)
            cluster_s = time.perf_counter() - started
        secs = report.seconds or {}
        print(f"  signatures for {signed} articles: {sign_s:.1f} s ({sign_s / max(signed, 1) * 1000:.2f} ms each)")
        print(f"  full re-cluster of {made}: {cluster_s:.1f} s (signatures read {secs.get('read', 0):.1f} s, "
              f"candidates {secs.get('candidates', 0):.1f} s, exact checks of {report.candidate_pairs} pairs "
              f"{secs.get('verify', 0):.1f} s); {len(set(cluster.values()))} clusters of {len(cluster)} articles")
        index_memory(store, made)


def _rss() -> int:
    """The process's resident memory, in bytes (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def index_memory(store: object, made: int) -> None:
    """The in-memory index's build time and memory: the first build untraced (time, and the
    resident memory it added), a second under tracemalloc (what it keeps, and its peak)."""
    nc.forget_index(store)  # type: ignore[arg-type]
    gc.collect()
    rss, started, cpu = _rss(), time.perf_counter(), time.process_time()
    with store.begin() as conn:  # type: ignore[attr-defined]
        nc.index_for(store, nc.DEFAULT_THRESHOLD).catch_up(conn)  # type: ignore[arg-type]
    built_s, cpu_s, rss_mb = time.perf_counter() - started, time.process_time() - cpu, (_rss() - rss) / 2**20
    nc.forget_index(store)  # type: ignore[arg-type]
    gc.collect()
    tracemalloc.start()
    with store.begin() as conn:  # type: ignore[attr-defined]
        index = nc.index_for(store, nc.DEFAULT_THRESHOLD)  # type: ignore[arg-type]
        index.catch_up(conn)
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  in-memory index built from {made} stored signatures in {built_s:.1f} s (CPU {cpu_s:.1f} s); resident memory "
          f"+{rss_mb:.0f} MB; traced: {kept / 2**20:.0f} MB kept, {peak / 2**20:.0f} MB at the peak")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stories", type=int, default=400)
    ap.add_argument("--threshold", type=float, default=nc.DEFAULT_THRESHOLD)
    ap.add_argument("--cost", type=int, default=4000, help="articles stored with and without signatures")
    ap.add_argument("--scale", type=int, default=100_000)
    ap.add_argument("--scale-db", type=Path, help="keep the scale dataset here; if it exists, measure only "
                    "the in-memory index over it")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.stories:
            quality(args.stories, args.threshold, folder)
        if args.cost:
            cost(args.cost, folder)
        if args.scale:
            scale(args.scale, folder, args.scale_db)


if __name__ == "__main__":
    main()
