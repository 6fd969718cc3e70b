"""Near copies: the same story twice with a changed headline, paragraph or boilerplate.

Exact-hash deduplication (app/core/ingest/storing.py) misses a wire story that
forty sites run with small edits. Here every article gets a MinHash signature
(datasketch) over its word shingles when it is stored; an LSH index over the
stored signatures finds the articles that may be near copies of a new one, and
the exact Jaccard similarity of the two shingle sets decides, so a reported
similarity is the true one, never an estimate.

Choices, measured with benchmarks/near_copies_bench.py:

- Shingles of 5 words of the normalised text (case, spacing and punctuation
  ignored). Shorter shingles make unrelated news look alike (3-word shingles
  such as "according to the" or "said in a" are everywhere); longer ones make
  one changed word cost too much (a word change removes k shingles). With 5, a
  changed paragraph of 50 words in a 600-word story still leaves it about 85%
  similar, and unrelated stories stay under 5%.
- 128 permutations: the estimate's standard error at 0.8 is about 0.035, and a
  signature is 512 bytes (uint32 values of datasketch's "affine32" scheme).
- LSH bands chosen for recall, not for balance: an article as similar as the
  threshold becomes a candidate with probability >= 0.995 (6 rows x 21 bands at
  0.8). The false candidates this lets in cost one exact comparison each.

- The LSH index lives in memory, filled from the stored signatures on first use
  (once a session, before any write transaction) and kept current from then on:
  a 64-bit key per band of each signature in a numpy array sorted for lookup
  (``CandidateIndex``): at 100,000 articles 32 MB, built in 0.8 s of CPU, where
  datasketch's ``MinHashLSH`` held 650 MB of Python objects and took 8 s to
  fill (benchmarks/near_copies_bench.py). Band keys in a table would spare
  the start but add 21 rows to every stored article and an indexed lookup per
  band to every query; signing and checking already cost about 2 ms an article.

Measured at 100,000 articles: signing 1 ms an article (the upgrade of a dataset
of that size: 100 s), a full re-cluster 23 s, precision 1.0 and recall 0.99
against the exact Jaccard of all pairs of 2,000 generated articles.

Clusters: ``article_signature.cluster_id`` is the smallest article id of the
article's cluster (NULL for an article without near copies). A new article that
is a near copy of articles in two clusters joins them into one.
"""

from __future__ import annotations

import re
import threading
import weakref
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash
from sqlalchemy import Connection, text

from app.core.db.in_lists import select_in
from app.core.db.store import Store
from app.core.text_norm import normalise_for_hash

SHINGLE_WORDS = 5
NUM_PERM = 128
SEED = 1
SCHEME = "affine32"
DEFAULT_THRESHOLD = 0.8
TABLE = "article_signature"
# Recall of the candidate search at the threshold itself; see lsh_params.
_CANDIDATE_RECALL = 0.995

_WORD = re.compile(r"\w+")
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd, with well-mixed bits (the golden ratio's)
_BAND_BITS = 7  # a band's number in a key: NUM_PERM // 2 bands at most
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations
# MurmurHash3's 32-bit finaliser (shifts and multipliers), as datasketch applies it to input hashes.
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
# An empty shingle set leaves every value at its start, the largest 32-bit number.
_EMPTY_SIGNATURE = np.full(NUM_PERM, 0xFFFFFFFF, dtype="<u4").tobytes()


@dataclass(frozen=True)
class NearCopy:
    """The stored article a new one is most like."""

    article_id: int
    title: str
    similarity: float  # exact Jaccard of the two shingle sets, 0..1

    def describe(self, uid: str = "") -> str:
        shown = f"‘{self.title}’" if self.title else f"article {uid or self.article_id}"
        return f"near copy of {shown} ({percent(self.similarity)} similar)"


def percent(similarity: float) -> str:
    """A similarity as people read it; never "100%" for texts that differ."""
    value = int(similarity * 100) if similarity < 1 else 100
    return f"{value}%"


# --- signatures -----------------------------------------------------------------------------------

def shingle_hashes(text_: str, *, normalised: bool = False) -> np.ndarray:
    """Hashes of the text's 5-word shingles, sorted and unique (a text shorter than that is
    one shingle).

    Each word is hashed once (CRC-32) and a shingle's hash combines its five words'
    (a polynomial in them, computed for all shingles at once by numpy): three times
    faster than hashing each shingle's string. Hashes rather than strings: a tenth of
    the memory, and sets compared by ``np.intersect1d``. Two shingles of a 1,000-shingle
    article share a hash in about one article of 9,000, which moves its similarities by
    a tenth of a percent.
    """
    words = _WORD.findall(text_ if normalised else normalise_for_hash(text_))
    crc = zlib.crc32
    hashes = np.fromiter((crc(w.encode()) for w in words), dtype=np.uint64, count=len(words))
    n = max(len(words) - SHINGLE_WORDS + 1, 1 if words else 0)
    combined = np.zeros(n, dtype=np.uint64)
    for i in range(min(SHINGLE_WORDS, len(words))):
        combined = combined * _MULTIPLIER + hashes[i : i + n]  # wraps modulo 2**64, as meant
    return np.unique(((combined ^ (combined >> np.uint64(32))) & np.uint64(0xFFFFFFFF)).astype(np.uint32))


def signature(hashes: np.ndarray) -> bytes:
    """The MinHash signature of a shingle set, as stored (little-endian uint32 values).

    The values of datasketch's ``MinHash.update_batch`` with the shingle hashes as its
    input hashes ("affine32": MurmurHash3's finaliser, then 128 affine permutations,
    the minimum of each), computed here for all shingles at once: datasketch calls its
    hash function once per shingle in Python, which cost three times as much.
    """
    if not hashes.size:
        return _EMPTY_SIGNATURE
    hv = hashes.astype(np.uint32).reshape(-1, 1)
    hv = (hv ^ (hv >> _FMIX[0])) * _FMIX[1]
    hv = (hv ^ (hv >> _FMIX[2])) * _FMIX[3]
    hv = hv ^ (hv >> _FMIX[4])
    a, b = _PERMUTATIONS
    return (hv * a + b).min(axis=0).astype("<u4").tobytes()  # wraps modulo 2**32, as datasketch's does


def signature_of(text_: str) -> bytes:
    return signature(shingle_hashes(text_))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two shingle sets (as ``shingle_hashes`` gives them)."""
    if not a.size or not b.size:
        return 0.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common)


def estimated_jaccard(a: bytes, b: bytes) -> float:
    return float(np.mean(np.frombuffer(a, dtype="<u4") == np.frombuffer(b, dtype="<u4")))


# --- the candidate index ----------------------------------------------------------------------------

def lsh_params(threshold: float) -> tuple[int, int]:
    """Bands and rows: the most rows per band for which an article exactly as similar as
    the threshold is still a candidate with probability ``_CANDIDATE_RECALL``."""
    best = (NUM_PERM // 2, 2)
    for rows in range(2, NUM_PERM // 2 + 1):
        bands = NUM_PERM // rows
        if 1 - (1 - threshold**rows) ** bands >= _CANDIDATE_RECALL:
            best = (bands, rows)
    return best


def band_keys(matrix: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per LSH band of each signature (the rows of ``matrix``), shape (signatures,
    bands): a polynomial in the band's values, its low bits the band's number, so that keys of
    all bands sort into one array and signatures that agree on a band share its key. Unequal
    bands share one with a chance of about 2**-57: a false candidate, which the checks that
    follow drop like any other."""
    values = matrix[:, : bands * rows].astype(np.uint64).reshape(len(matrix), bands, rows)
    keys = np.zeros((len(matrix), bands), dtype=np.uint64)
    for r in range(rows):
        keys = (keys + values[:, :, r]) * _MULTIPLIER  # wraps modulo 2**64, as meant
    return (keys << np.uint64(_BAND_BITS)) | np.arange(bands, dtype=np.uint64)


class CandidateIndex:
    """An LSH index over stored signatures, kept in memory and brought up to date from
    the table before each use (another process may have stored articles meanwhile).

    Each band of each signature is one 64-bit key (``band_keys``), kept in a numpy array
    sorted for ``searchsorted`` beside the article ids: 16 bytes per article and band,
    32 MB at 100,000 articles, where datasketch's ``MinHashLSH`` took 650 MB in Python
    objects (a bytes key and a list per bucket). Articles added since the array was
    last sorted wait in a short tail, compared with every query, and are sorted in
    once it grows past a thirty-second of the rest.

    Articles deleted since stay in it: a candidate is checked against the stored
    text, and one that is gone is dropped then.
    """

    CATCH_UP_BATCH = 10_000  # signatures read at once: the rows, not the index, would fill memory

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.bands, self.rows = lsh_params(threshold)
        self.keys = np.empty(0, dtype=np.uint64)  # every band's, sorted
        self.ids = np.empty(0, dtype=np.int64)  # the article of each key
        self._tail_ids: list[np.ndarray] = []  # added since the arrays were sorted, in order of adding
        self._tail_keys: list[np.ndarray] = []  # their band keys, (articles, bands) each
        self.last_id = 0
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return self.sorted_articles + sum(len(ids) for ids in self._tail_ids)

    @property
    def sorted_articles(self) -> int:
        """The articles in the sorted array (the rest are in the tail)."""
        return len(self.keys) // self.bands

    def catch_up(self, conn: Connection) -> None:
        """Add the signatures stored after the last one this index holds, a batch of rows at a time."""
        while True:
            rows = conn.execute(text(f"SELECT article_id, signature FROM {TABLE} WHERE article_id > :last "
                                     f"ORDER BY article_id LIMIT {self.CATCH_UP_BATCH}"),
                                {"last": self.last_id}).all()
            if not rows:
                break
            self._append([r[0] for r in rows], b"".join(r[1] for r in rows))
            self.last_id = rows[-1][0]
            del rows
        self._sort_in_tail()

    def add_all(self, signed: Sequence[tuple[int, bytes]]) -> None:
        """Add these (article id, signature) pairs, stored since."""
        if signed:
            self._append([a for a, _blob in signed], b"".join(blob for _a, blob in signed))
            self.last_id = max(self.last_id, max(a for a, _blob in signed))
            self._sort_in_tail()

    def add(self, article_id: int, blob: bytes) -> None:
        self.add_all([(article_id, blob)])

    def _append(self, ids: Sequence[int], blobs: bytes) -> None:
        matrix = np.frombuffer(blobs, dtype="<u4").reshape(len(ids), NUM_PERM)
        self._tail_ids.append(np.asarray(ids, dtype=np.int64))
        self._tail_keys.append(band_keys(matrix, self.bands, self.rows))

    def _tail(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The tail as one array of ids and one of keys (joined once, on first use)."""
        if not self._tail_ids:
            return None
        if len(self._tail_ids) > 1:
            self._tail_ids = [np.concatenate(self._tail_ids)]
            self._tail_keys = [np.concatenate(self._tail_keys)]
        return self._tail_ids[0], self._tail_keys[0]

    def _sort_in_tail(self) -> None:
        """Sort the tail into the arrays once it is long: a few hundred ms at 100,000 articles,
        once per 3,000 added there, where comparing each query with a longer tail would cost more."""
        tail = self._tail()
        if tail is None or len(tail[0]) < max(1024, self.sorted_articles // 32):
            return
        ids, keys = tail
        all_keys = np.concatenate([self.keys, keys.ravel()])
        # Stable: the articles of a bucket stay in the order they were added, the oldest first.
        order = np.argsort(all_keys, kind="stable")
        self.keys = all_keys[order]
        del all_keys
        self.ids = np.concatenate([self.ids, np.repeat(ids, self.bands)])[order]
        self._tail_ids, self._tail_keys = [], []

    def warm(self, store: Store) -> None:
        """Catch up on a connection of its own, before a write transaction: building the index
        for a large dataset must not hold the dataset's write lock."""
        with self.lock, store.engine.connect() as conn:
            self.catch_up(conn)

    def candidates(self, blob: bytes, limit: int = 32) -> list[int]:
        """The stored articles sharing a band with this signature, at most ``limit``: those
        sharing the most bands, which are the most alike. Of a bucket of thousands (one
        template's copies) its first ``limit`` are enough: reading all would make every new
        copy read a thousand signatures, more than the rest of its storing costs."""
        query = band_keys(np.frombuffer(blob, dtype="<u4").reshape(1, NUM_PERM), self.bands, self.rows)[0]
        hits: Counter[int] = Counter()
        firsts, lasts = self.keys.searchsorted(query, "left"), self.keys.searchsorted(query, "right")
        for band in np.flatnonzero(lasts > firsts):
            first = int(firsts[band])
            hits.update(self.ids[first : min(int(lasts[band]), first + limit)].tolist())
        tail = self._tail()
        if tail is not None:
            rows, bands = np.nonzero(tail[1] == query)
            for band in np.unique(bands):
                hits.update(tail[0][rows[bands == band][:limit]].tolist())
        return [a for a, _n in hits.most_common(limit)]


_indexes: weakref.WeakKeyDictionary[Store, CandidateIndex] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def index_for(store: Store, threshold: float) -> CandidateIndex:
    """The store's index for this threshold, built on first use from the stored signatures."""
    with _indexes_lock:
        index = _indexes.get(store)
        if index is None or index.threshold != threshold:
            index = _indexes[store] = CandidateIndex(threshold)
        return index


def forget_index(store: Store) -> None:
    """Drop the store's index (after a full re-cluster rewrote the table, or in tests)."""
    with _indexes_lock:
        _indexes.pop(store, None)


# --- storing new articles -------------------------------------------------------------------------

@dataclass
class Pending:
    """A new article's signature work: computed before its transaction, stored inside it."""

    grams: np.ndarray  # shingle_hashes
    blob: bytes


def prepare(texts: Sequence[str], *, normalised: bool = False) -> list[Pending]:
    """The signature work of new articles' texts (``normalised``: already passed through
    ``normalise_for_hash``, as the store does once for both the text hash and this)."""
    out = []
    for t in texts:
        grams = shingle_hashes(t, normalised=normalised)
        out.append(Pending(grams, signature(grams)))
    return out


def record(conn: Connection, index: CandidateIndex, new: Sequence[tuple[int, Pending]]) -> dict[int, NearCopy]:
    """Store the new articles' signatures, find their near copies among the stored articles
    and each other, and bring the clusters up to date. Returns the closest near copy of
    each new article that has one. Call ``index.add`` for each only once committed."""
    if not new:
        return {}
    with index.lock:  # before the new rows are in the table: the index is of stored articles
        index.catch_up(conn)
        candidates = {art_id: index.candidates(p.blob) for art_id, p in new}
    conn.execute(text(f"INSERT INTO {TABLE} (article_id, signature) VALUES (:a, :s)"),
                 [{"a": art_id, "s": p.blob} for art_id, p in new])
    batch = CandidateIndex(index.threshold)
    for art_id, p in new:  # earlier articles of the same batch are candidates too
        candidates[art_id] += batch.candidates(p.blob)
        batch.add(art_id, p.blob)
    ours = {art_id: p for art_id, p in new}
    candidates = _likely(conn, candidates, {a: p.blob for a, p in new}, index.threshold)
    texts = _texts(conn, {c for cands in candidates.values() for c in cands} - set(ours))
    grams = {art_id: (title, shingle_hashes(body)) for art_id, (title, body) in texts.items()}
    grams.update({art_id: ("", p.grams) for art_id, p in ours.items()})  # titles read at the end
    found: dict[int, NearCopy] = {}
    edges: list[tuple[int, int]] = []
    for art_id, p in new:
        matches = [NearCopy(other, grams[other][0], jaccard(p.grams, grams[other][1]))
                   for other in candidates[art_id] if other in grams]
        matches = [m for m in matches if m.similarity >= index.threshold]
        if matches:
            edges += [(art_id, m.article_id) for m in matches]
            found[art_id] = max(matches, key=lambda m: (m.similarity, -m.article_id))
    _join(conn, edges)
    return _with_titles(conn, found)


# How far under the threshold a candidate's estimated similarity may be and still be checked:
# five standard errors of the estimate at 0.8 with 128 permutations.
ESTIMATE_MARGIN = 0.18
# Candidates checked exactly per new article, the most alike first. A thousand copies of one
# template would otherwise each be read and compared; joining a few of them joins their cluster.
MAX_CHECKED = 8


def _likely(conn: Connection, candidates: dict[int, list[int]], blobs: dict[int, bytes],
            threshold: float) -> dict[int, list[int]]:
    """The candidates worth an exact check, the most alike first: those whose signatures say
    they may pass the threshold (reading 512 bytes of each spares reading and shingling the
    text of the many that cannot), and of a cluster only its member most alike, since
    joining one member joins the cluster: a template stored a thousand times costs each
    new copy one check, not a thousand."""
    wanted = {c for cands in candidates.values() for c in cands} - set(blobs)
    stored = select_in(conn, f"SELECT article_id, signature, cluster_id FROM {TABLE} WHERE article_id IN :values",
                       list(wanted))
    signatures = {a: sig for a, sig, _c in stored} | blobs
    cluster = {a: c for a, _sig, c in stored if c is not None}
    out: dict[int, list[int]] = {}
    for art_id, cands in candidates.items():
        known = sorted({c for c in cands if c in signatures and c != art_id})
        if not known:
            out[art_id] = []
            continue
        others = np.frombuffer(b"".join(signatures[c] for c in known), dtype="<u4").reshape(len(known), NUM_PERM)
        estimates = (others == np.frombuffer(blobs[art_id], dtype="<u4")).mean(axis=1)
        chosen: dict[object, int] = {}
        for minus, c in sorted(zip(-estimates, known, strict=True)):  # the most alike, then the oldest
            if -minus < threshold - ESTIMATE_MARGIN or len(chosen) == MAX_CHECKED:
                break
            chosen.setdefault(cluster.get(c, ("article", c)), c)
        out[art_id] = list(chosen.values())
    return out


def _texts(conn: Connection, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    rows = select_in(conn, "SELECT id, title, text FROM article WHERE id IN :values", list(ids))
    return {r[0]: (r[1] or "", r[2]) for r in rows}


def _with_titles(conn: Connection, found: dict[int, NearCopy]) -> dict[int, NearCopy]:
    untitled = {m.article_id for m in found.values() if not m.title}
    titles = {r[0]: r[1] or "" for r in select_in(conn, "SELECT id, title FROM article WHERE id IN :values",
                                                  list(untitled))}
    return {a: NearCopy(m.article_id, m.title or titles.get(m.article_id, ""), m.similarity)
            for a, m in found.items()}


def clusters_of(pairs: Sequence[tuple[int, int]]) -> dict[int, int]:
    """Article id: cluster id (the smallest member's id), for the articles in some pair."""
    parent: dict[int, int] = {}

    def find(a: int) -> int:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)  # the root stays the smallest id
    return {a: find(a) for a in parent}


def _join(conn: Connection, edges: list[tuple[int, int]]) -> None:
    """Put each pair of near copies in one cluster, with everything clustered with either:
    a cluster's id is its smallest article id, and a new article may join two clusters."""
    if not edges:
        return
    ids = sorted({a for edge in edges for a in edge})
    current = dict(select_in(conn, f"SELECT article_id, cluster_id FROM {TABLE} WHERE article_id IN :values", ids))
    roots = sorted({c for c in current.values() if c is not None})
    members = dict(select_in(conn, f"SELECT article_id, cluster_id FROM {TABLE} WHERE cluster_id IN :values", roots))
    before = members | current
    links = [(a, c) for a, c in before.items() if c is not None] + edges
    changed = [{"a": a, "c": c} for a, c in clusters_of(links).items() if before.get(a) != c]
    if changed:
        conn.execute(text(f"UPDATE {TABLE} SET cluster_id = :c WHERE article_id = :a"), changed)
