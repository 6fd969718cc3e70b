"""Clustering every article of a dataset at once: signatures for articles without one,
then near-copy clusters from scratch.

Storing an article keeps the clusters current (near_copies.record); this is for a
dataset upgraded from a version without signatures, for a changed threshold, and
for after deletions (a deleted article may have been the one that joined two
groups of copies). A dataset upgraded from a version without signatures gets them
from ``sign_and_cluster_missing``: in the background once the app has opened it, or
first thing in a command that needs clusters (export, near-copies, import), never
while the dataset opens. It needs no write lock while it reads and compares: the new
cluster ids are written in one short transaction at the end.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, text

from app.core.cancel import CancelToken
from app.core.db.in_lists import select_in
from app.core.db.store import Store
from app.core.quality import near_copies as nc
from app.core.quality.shingling import shingle_sets, signatures

BATCH = 500
# A bucket this full (say, a thousand copies of one boilerplate page) would make half a
# million pairs; its members are compared with its first member only, which still joins
# them when they are alike.
LARGE_BUCKET = 100

ProgressFn = Callable[[str, int, int], None]  # stage, done, total


@dataclass
class ReclusterReport:
    articles: int = 0
    signed: int = 0  # signatures computed (articles that had none)
    candidate_pairs: int = 0
    near_pairs: int = 0
    clusters: int = 0
    clustered: int = 0  # articles in a cluster
    seconds: dict[str, float] | None = None


def sign_missing(conn: Connection, progress: ProgressFn | None = None, cancel: CancelToken | None = None,
                 commit: Callable[[], None] | None = None) -> int:
    """Compute and store the signature of every article that has none, in batches; ``commit``,
    when given, is called before each batch but the first (so that no write lock is held while
    a batch is signed), which leaves the last batch to the caller's transaction."""
    total = conn.execute(text(f"SELECT count(*) FROM article WHERE id NOT IN (SELECT article_id FROM {nc.TABLE})")
                         ).scalar_one()
    done, last = 0, 0
    while True:
        if cancel is not None:
            cancel.raise_if_cancelled()
        rows = conn.execute(text(f"SELECT id, text FROM article WHERE id > :last AND id NOT IN "
                                 f"(SELECT article_id FROM {nc.TABLE}) ORDER BY id LIMIT {BATCH}"),
                            {"last": last}).all()
        if not rows:
            return done
        last = rows[-1][0]
        if commit is not None and done:
            # The batch before, now that it is not the last; signing this one holds no lock,
            # and its transaction starts with a write (a snapshot read first could not write).
            commit()
        signed = signatures(shingle_sets([body for _art_id, body in rows]))
        nc.insert_signatures(conn, [(art_id, blob) for (art_id, _body), blob in zip(rows, signed, strict=True)])
        done += len(rows)
        if progress is not None:
            progress("signatures", done, total)


# Stores known to have every article signed: storing signs each new article, so one look is enough.
_all_signed: weakref.WeakSet[Store] = weakref.WeakSet()
_signing_lock = threading.Lock()


def has_unsigned(conn: Connection) -> bool:
    return conn.execute(text(f"SELECT 1 FROM article WHERE NOT EXISTS (SELECT 1 FROM {nc.TABLE} s "
                             "WHERE s.article_id = article.id) LIMIT 1")).first() is not None


def sign_and_cluster_missing(store: Store, threshold: float = nc.DEFAULT_THRESHOLD,
                             progress: ProgressFn | None = None,
                             cancel: CancelToken | None = None) -> ReclusterReport | None:
    """Sign the articles without a signature (a dataset upgraded from a version without them)
    and cluster every article again; None when every article was signed already, or the
    dataset is read-only (its clusters are then what they are). Each batch of signatures is
    committed on its own but the last, which is committed with the clusters, so edits made
    meanwhile wait for one batch at most; cancelled, the signatures stored stay, and the rest
    (and the clusters: an article is still unsigned) are done the next time."""
    if store.read_only or store in _all_signed:
        return None
    with _signing_lock:
        report = None
        with store.engine.connect() as conn:
            if has_unsigned(conn):
                signed = sign_missing(conn, progress, cancel, commit=conn.commit)
                report = recluster(conn, threshold, progress, cancel)  # signs only what arrived meanwhile
                report.signed += signed
                conn.commit()
        if report is not None:
            nc.forget_index(store)
        _all_signed.add(store)
        return report


def candidate_pairs(ids: np.ndarray, matrix: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    """Pairs of articles whose signatures (rows of ``matrix``) agree on all rows of some band:
    the candidates the LSH index gives, with its bands, found by sorting each band's values
    instead of hashing them one article at a time (a second at 100,000 articles, where
    filling the index takes ten)."""
    bands, rows = nc.lsh_params(threshold)
    pairs: set[tuple[int, int]] = set()
    for band in range(bands):
        keys = np.ascontiguousarray(matrix[:, band * rows : (band + 1) * rows]).view(
            np.dtype((np.void, 4 * rows))).ravel()
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, len(keys)])
        for start, size in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
            bucket = sorted(ids[order[start : start + size]].tolist())
            if size > LARGE_BUCKET:
                pairs.update((bucket[0], b) for b in bucket[1:])
            else:
                pairs.update((a, b) for i, a in enumerate(bucket) for b in bucket[i + 1 :])
    return pairs


def near_pairs(conn: Connection, threshold: float, report: ReclusterReport,
               cancel: CancelToken | None = None) -> list[tuple[int, int]]:
    """Every pair of articles at least ``threshold`` similar: LSH candidates, checked exactly."""
    started = time.perf_counter()
    stored = conn.execute(text(f"SELECT article_id, signature FROM {nc.TABLE} ORDER BY article_id")).all()
    ids = np.fromiter((r[0] for r in stored), dtype=np.int64, count=len(stored))
    matrix = np.frombuffer(b"".join(r[1] for r in stored), dtype="<u4").reshape(len(stored), nc.NUM_PERM)
    del stored
    report.seconds = {"read": time.perf_counter() - started}
    started = time.perf_counter()
    pairs = candidate_pairs(ids, matrix, threshold)
    report.candidate_pairs = len(pairs)
    report.seconds["candidates"] = time.perf_counter() - started
    started = time.perf_counter()
    row_of = {int(a): i for i, a in enumerate(ids)}
    floor = threshold - nc.ESTIMATE_MARGIN
    pairs = {(a, b) for a, b in pairs if float(np.mean(matrix[row_of[a]] == matrix[row_of[b]])) >= floor}
    involved = sorted({a for pair in pairs for a in pair})
    grams: dict[int, np.ndarray] = {}
    for i in range(0, len(involved), BATCH):
        if cancel is not None:
            cancel.raise_if_cancelled()
        rows = select_in(conn, "SELECT id, text FROM article WHERE id IN :values", involved[i : i + BATCH])
        grams.update(zip([r[0] for r in rows], shingle_sets([r[1] for r in rows]), strict=True))
    found = [(a, b) for a, b in sorted(pairs)
             if a in grams and b in grams and nc.jaccard(grams[a], grams[b]) >= threshold]
    report.near_pairs = len(found)
    report.seconds["verify"] = time.perf_counter() - started
    return found


def write_clusters(conn: Connection, cluster: dict[int, int]) -> None:
    conn.execute(text(f"UPDATE {nc.TABLE} SET cluster_id = NULL WHERE cluster_id IS NOT NULL"))
    if cluster:
        conn.execute(text(f"UPDATE {nc.TABLE} SET cluster_id = :c WHERE article_id = :a"),
                     [{"a": a, "c": c} for a, c in cluster.items()])


def recluster(conn: Connection, threshold: float = nc.DEFAULT_THRESHOLD, progress: ProgressFn | None = None,
              cancel: CancelToken | None = None) -> ReclusterReport:
    """Sign what has no signature and cluster every article again, on one connection
    (inside the caller's transaction)."""
    report = ReclusterReport()
    report.signed = sign_missing(conn, progress, cancel)
    report.articles = conn.execute(text(f"SELECT count(*) FROM {nc.TABLE}")).scalar_one()
    if progress is not None:
        progress("clusters", 0, report.articles)
    cluster = nc.clusters_of(near_pairs(conn, threshold, report, cancel))
    started = time.perf_counter()
    write_clusters(conn, cluster)
    assert report.seconds is not None
    report.seconds["write"] = time.perf_counter() - started
    report.clustered = len(cluster)
    report.clusters = len(set(cluster.values()))
    return report
