"""Near copies: a MinHash signature per article, and the near-copy cluster it belongs to.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

``article_signature`` holds each article's MinHash signature over its 5-word
shingles (datasketch's "affine32" hash values, 128 little-endian uint32) and
``cluster_id``, the smallest article id of its cluster of near copies (NULL
when it has none). A table of its own rather than columns of ``article``: 512
bytes an article that no listing of articles should read past, and rows an
import adds without touching the article's own.

The upgrade signs the articles already stored, 500 at a time, and clusters them
at the default threshold (0.8) as app/core/quality/clustering.py does: LSH
bands of 6 rows, candidates checked by the exact Jaccard of their shingle sets.
Like every migration it is frozen (it imports no app code), so the recipe is
written out here; tests/unit/test_near_copies.py checks that it still gives the
signatures and clusters the live code gives.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

import numpy as np
import sqlalchemy as sa
from alembic import op
from datasketch import MinHash

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BATCH = 500
THRESHOLD = 0.8
BANDS, ROWS = 21, 6
_WORD = re.compile(r"\w+")
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def upgrade() -> None:
    op.create_table(
        "article_signature",
        sa.Column("article_id", sa.Integer, sa.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True,
                  autoincrement=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column("cluster_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_article_signature_cluster", "article_signature", ["cluster_id"])
    conn = op.get_bind()
    _sign(conn)
    _cluster(conn)


def downgrade() -> None:
    op.drop_index("ix_article_signature_cluster", "article_signature")
    op.drop_table("article_signature")


def _shingle_hashes(text: str) -> np.ndarray:
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    words = _WORD.findall(" ".join(text.split()).casefold())
    hashes = np.fromiter((zlib.crc32(w.encode()) for w in words), dtype=np.uint64, count=len(words))
    n = max(len(words) - 4, 1 if words else 0)
    combined = np.zeros(n, dtype=np.uint64)
    for i in range(min(5, len(words))):
        combined = combined * _MULTIPLIER + hashes[i : i + n]
    return np.unique(((combined ^ (combined >> np.uint64(32))) & np.uint64(0xFFFFFFFF)).astype(np.uint32))


def _signature(hashes: np.ndarray) -> bytes:
    mh = MinHash(num_perm=128, seed=1, hashfunc=int, scheme="affine32")
    mh.update_batch(hashes)
    return mh.hashvalues.astype("<u4").tobytes()


def _sign(conn: sa.Connection) -> None:
    last = 0
    while True:
        rows = conn.execute(sa.text("SELECT id, text FROM article WHERE id > :last ORDER BY id LIMIT :n"),
                            {"last": last, "n": BATCH}).all()
        if not rows:
            return
        last = rows[-1][0]
        conn.execute(sa.text("INSERT INTO article_signature (article_id, signature) VALUES (:a, :s)"),
                     [{"a": i, "s": _signature(_shingle_hashes(body))} for i, body in rows])


def _cluster(conn: sa.Connection) -> None:
    stored = conn.execute(sa.text("SELECT article_id, signature FROM article_signature ORDER BY article_id")).all()
    if len(stored) < 2:
        return
    ids = np.array([r[0] for r in stored], dtype=np.int64)
    matrix = np.frombuffer(b"".join(r[1] for r in stored), dtype="<u4").reshape(len(stored), 128)
    row_of = {int(a): i for i, a in enumerate(ids)}
    pairs: set[tuple[int, int]] = set()
    for band in range(BANDS):
        keys = np.ascontiguousarray(matrix[:, band * ROWS : (band + 1) * ROWS]).view(
            np.dtype((np.void, 4 * ROWS))).ravel()
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, len(keys)])
        for start, size in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
            bucket = sorted(ids[order[start : start + size]].tolist())
            if size > 100:
                pairs.update((bucket[0], b) for b in bucket[1:])
            else:
                pairs.update((a, b) for i, a in enumerate(bucket) for b in bucket[i + 1 :])
    pairs = {(a, b) for a, b in pairs if np.mean(matrix[row_of[a]] == matrix[row_of[b]]) >= THRESHOLD - 0.18}
    grams: dict[int, np.ndarray] = {}
    involved = sorted({a for pair in pairs for a in pair})
    for i in range(0, len(involved), BATCH):
        rows = conn.execute(sa.text("SELECT id, text FROM article WHERE id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)), {"ids": involved[i : i + BATCH]}).all()
        grams.update((a, _shingle_hashes(body)) for a, body in rows)
    parent: dict[int, int] = {}

    def root(a: int) -> int:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in sorted(pairs):
        common = np.intersect1d(grams[a], grams[b], assume_unique=True).size
        union = grams[a].size + grams[b].size - common
        if union and common / union >= THRESHOLD:
            ra, rb = root(a), root(b)
            parent[max(ra, rb)] = min(ra, rb)
    if parent:
        conn.execute(sa.text("UPDATE article_signature SET cluster_id = :c WHERE article_id = :a"),
                     [{"a": a, "c": root(a)} for a in list(parent)])
