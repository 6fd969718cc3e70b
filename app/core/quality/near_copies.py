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
  (``CandidateIndex``): at 100,000 articles 32 MB, built in 0.5 s of CPU, where
  datasketch's ``MinHashLSH`` held 650 MB of Python objects and took 8 s to
  fill (benchmarks/near_copies_bench.py). Band keys in a table would spare
  the start but add 21 rows to every stored article and an indexed lookup per
  band to every query.

- An import batch is signed and looked up all at once (shingling.py,
  ``CandidateIndex.candidates_of``, ``earlier_sharing_a_band``): most new articles
  share no band with any other and take no Python step of their own, so near
  copies cost about 0.12 ms of CPU an imported 4 KB article
  (benchmarks/jsonl_import_bench.py; 0.5 ms when each was signed and looked up
  on its own), more for the articles that do have candidates to check.

Measured at 100,000 articles: signing 0.2 ms an article (the upgrade of a dataset
of that size: 20 s), a full re-cluster 9 s, precision 1.0 and recall 0.99
against the exact Jaccard of all pairs of 2,000 generated articles.

Clusters: ``article_signature.cluster_id`` is the smallest article id of the
article's cluster (NULL for an article without near copies). A new article that
is a near copy of articles in two clusters joins them into one.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, text

from app.core.db.bulk import insert_tuples
from app.core.db.in_lists import select_in
from app.core.db.store import Store
from app.core.quality.shingling import NUM_PERM, shingle_sets, signatures
from app.core.quality.shingling import SCHEME as SCHEME  # the signature's parameters, named here too
from app.core.quality.shingling import SEED as SEED
from app.core.quality.shingling import SHINGLE_WORDS as SHINGLE_WORDS

DEFAULT_THRESHOLD = 0.8
TABLE = "article_signature"
# Recall of the candidate search at the threshold itself; see lsh_params.
_CANDIDATE_RECALL = 0.995

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd, with well-mixed bits (the golden ratio's)
_BAND_BITS = 7  # a band's number in a key: NUM_PERM // 2 bands at most


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
    one shingle): see shingling.py.

    Hashes rather than strings: a tenth of the memory, and sets compared by
    ``np.intersect1d``. Two shingles of a 1,000-shingle article share a hash in about
    one article of 9,000, which moves its similarities by a tenth of a percent.
    """
    return shingle_sets([text_], normalised=normalised)[0]


def signature(hashes: np.ndarray) -> bytes:
    """The MinHash signature of a shingle set, as stored (little-endian uint32 values)."""
    return signatures([hashes])[0]


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
    last sorted wait in a short tail, sorted too (a batch's keys merged into it), and
    are merged into the rest once it grows past a thirty-second of it: merging the
    tail into millions of keys costs a copy of them, too much for each batch of an
    import. Equal keys stay in the order they were added in both, the oldest first.

    Articles deleted since stay in it: a candidate is checked against the stored
    text, and one that is gone is dropped then.
    """

    CATCH_UP_BATCH = 10_000  # signatures read at once: the rows, not the index, would fill memory
    SHORTEST_SORTED_IN = 1024  # articles of the tail sorted in at least at once

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.bands, self.rows = lsh_params(threshold)
        self.keys = np.empty(0, dtype=np.uint64)  # every band's, sorted
        self.ids = np.empty(0, dtype=np.int64)  # the article of each key
        self.tail_keys = np.empty(0, dtype=np.uint64)  # those added since, sorted on their own
        self.tail_ids = np.empty(0, dtype=np.int64)
        self.last_id = 0
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return (len(self.keys) + len(self.tail_keys)) // self.bands

    @property
    def sorted_articles(self) -> int:
        """The articles in the sorted array (the rest are in the tail)."""
        return len(self.keys) // self.bands

    def catch_up(self, conn: Connection) -> None:
        """Add the signatures stored after the last one this index holds, a batch of rows at a time."""
        ids: list[np.ndarray] = []
        keys: list[np.ndarray] = []
        while True:
            rows = conn.execute(text(f"SELECT article_id, signature FROM {TABLE} WHERE article_id > :last "
                                     f"ORDER BY article_id LIMIT {self.CATCH_UP_BATCH}"),
                                {"last": self.last_id}).all()
            if not rows:
                break
            ids.append(np.array([r[0] for r in rows], dtype=np.int64))
            keys.append(band_keys(signature_matrix([r[1] for r in rows]), self.bands, self.rows))
            self.last_id = rows[-1][0]
            del rows
        if ids:  # sorted once, not a batch at a time into what came before
            all_ids, all_keys = np.concatenate(ids), np.concatenate(keys)
            del ids, keys  # 16 MB at 100,000 articles: not kept while sorting
            self._append(all_ids, all_keys)
        self._sort_in_tail()

    def add_all(self, signed: Sequence[tuple[int, bytes]]) -> None:
        """Add these (article id, signature) pairs, stored since."""
        if signed:
            keys = band_keys(signature_matrix([blob for _a, blob in signed]), self.bands, self.rows)
            self._append(np.array([a for a, _blob in signed], dtype=np.int64), keys)
            self.last_id = max(self.last_id, max(a for a, _blob in signed))
            self._sort_in_tail()

    def add(self, article_id: int, blob: bytes) -> None:
        self.add_all([(article_id, blob)])

    def _append(self, ids: np.ndarray, keys: np.ndarray) -> None:
        """Merge the band keys of these articles (a row each) into the tail."""
        flat = keys.ravel()
        order = np.argsort(flat, kind="stable")  # equal keys stay in the order of adding
        sorted_keys = flat[order]
        order //= self.bands  # the row of each key, in place: the arrays are large when the index is built
        self.tail_keys, self.tail_ids = _merged(self.tail_keys, self.tail_ids, sorted_keys, ids[order])

    def _sort_in_tail(self) -> None:
        """Merge the tail into the sorted array once it is long: a few tens of ms at 100,000
        articles, once per 3,000 added there, where searching a longer tail would cost more."""
        if len(self.tail_keys) // self.bands < max(self.SHORTEST_SORTED_IN, self.sorted_articles // 32):
            return
        self.keys, self.ids = _merged(self.keys, self.ids, self.tail_keys, self.tail_ids)
        self.tail_keys, self.tail_ids = np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)

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
        return self.candidates_of(band_keys(signature_matrix([blob]), self.bands, self.rows), limit)[0]

    def candidates_of(self, keys: np.ndarray, limit: int = 32) -> list[list[int]]:
        """``candidates`` of each row of band keys (``band_keys``), looked up all at once: most
        new articles share no band with any stored one, and cost no Python step of their own."""
        parts = [(self.keys, self.ids), (self.tail_keys, self.tail_ids)]
        spans = [_buckets(part, keys) for part, _ids in parts]
        found: list[list[int]] = [[] for _ in range(len(keys))]
        for row in np.flatnonzero(np.any([(lasts > firsts).any(axis=1) for firsts, lasts in spans], axis=0)):
            hits: Counter[int] = Counter()
            for (_part, ids), (firsts, lasts) in zip(parts, spans, strict=True):
                for band in np.flatnonzero(lasts[row] > firsts[row]):
                    first = int(firsts[row, band])
                    hits.update(ids[first : min(int(lasts[row, band]), first + limit)].tolist())
            found[row] = [a for a, _n in hits.most_common(limit)]
        return found


def _buckets(part: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each key's bucket starts and ends in a sorted array of keys (where it would be and
    empty when it has none): one search for each key, and one more for each found."""
    firsts = part.searchsorted(keys)
    lasts = firsts.copy()
    if len(part):
        found = part[np.minimum(firsts, len(part) - 1)] == keys
        lasts[found] = part.searchsorted(keys[found], "right")
    return firsts, lasts


def signature_matrix(blobs: Sequence[bytes]) -> np.ndarray:
    """Stored signatures as the rows of one array."""
    return np.frombuffer(b"".join(blobs), dtype="<u4").reshape(len(blobs), NUM_PERM)


def _merged(keys: np.ndarray, ids: np.ndarray, new_keys: np.ndarray,
            new_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted arrays of keys merged, the new after their equals, and the ids beside them:
    what a stable sort of both would give, for a copy of each instead of sorting them again."""
    if not len(keys):
        return new_keys, new_ids
    at = keys.searchsorted(new_keys, "right") + np.arange(len(new_keys))  # where each new one lands
    old = np.ones(len(keys) + len(new_keys), dtype=bool)
    old[at] = False
    merged_keys, merged_ids = np.empty(len(old), dtype=keys.dtype), np.empty(len(old), dtype=ids.dtype)
    merged_keys[at], merged_keys[old] = new_keys, keys
    merged_ids[at], merged_ids[old] = new_ids, ids
    return merged_keys, merged_ids


def earlier_sharing_a_band(keys: np.ndarray, limit: int = 32) -> list[list[int]]:
    """For each row of band keys, the earlier rows sharing a band with it: the ``candidates`` a
    ``CandidateIndex`` given the rows one by one would return before adding each (with its split
    into the sorted part and the tail), found for all at once by one sort of the keys, so that a
    row sharing no band with an earlier one costs no Python step."""
    flat = keys.ravel()
    order = np.argsort(flat, kind="stable")  # equal keys: the earlier row first
    ordered = flat[order]
    group_start = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    first_of = np.repeat(group_start, np.diff(np.r_[group_start, len(flat)]))  # of each sorted position
    bands = keys.shape[1]
    found: list[list[int]] = [[] for _ in range(len(keys))]
    sharing = np.unique(order[np.arange(len(flat)) > first_of] // bands)
    if not sharing.size:
        return found
    position = np.empty_like(order)
    position[order] = np.arange(len(flat))
    split = _sorted_before(len(keys))
    for row in sharing.tolist():
        hits: Counter[int] = Counter()
        for in_tail in (False, True):  # the sorted part, then the tail
            for band in range(bands):
                p = position[row * bands + band]
                rows = order[first_of[p] : p] // bands
                hits.update(rows[(rows >= split[row]) == in_tail][:limit].tolist())
        found[row] = [r for r, _n in hits.most_common(limit)]
    return found


def _sorted_before(count: int) -> list[int]:
    """How many rows a ``CandidateIndex`` given rows one by one holds in its sorted part when each
    is looked up (``_sort_in_tail``): none until the tail first reaches its shortest sorted in."""
    shortest = CandidateIndex.SHORTEST_SORTED_IN
    split, done = [0] * count, 0
    for row in range(min(shortest - 1, count), count):
        split[row] = done
        if row + 1 - done >= max(shortest, done // 32):
            done = row + 1
    return split


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
    sets = shingle_sets(texts, normalised=normalised)
    return [Pending(grams, blob) for grams, blob in zip(sets, signatures(sets), strict=True)]


def record(conn: Connection, index: CandidateIndex, new: Sequence[tuple[int, Pending]]) -> dict[int, NearCopy]:
    """Store the new articles' signatures, find their near copies among the stored articles
    and each other, and bring the clusters up to date. Returns the closest near copy of
    each new article that has one. Call ``index.add`` for each only once committed."""
    if not new:
        return {}
    keys = band_keys(signature_matrix([p.blob for _a, p in new]), index.bands, index.rows)
    with index.lock:  # before the new rows are in the table: the index is of stored articles
        index.catch_up(conn)
        stored = index.candidates_of(keys)
    insert_signatures(conn, [(art_id, p.blob) for art_id, p in new])
    ids = [art_id for art_id, _p in new]
    # Earlier articles of the same batch are candidates too.
    candidates = {art_id: stored[i] + [ids[r] for r in earlier]
                  for i, (art_id, earlier) in enumerate(zip(ids, earlier_sharing_a_band(keys), strict=True))}
    ours = {art_id: p for art_id, p in new}
    candidates = _likely(conn, candidates, {a: p.blob for a, p in new}, index.threshold)
    texts = _texts(conn, {c for cands in candidates.values() for c in cands} - set(ours))
    grams = {art_id: (title, grams) for (art_id, (title, _body)), grams in
             zip(texts.items(), shingle_sets([body for _title, body in texts.values()]), strict=True)}
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


def insert_signatures(conn: Connection, rows: list[tuple[int, bytes]]) -> None:
    """Insert (article id, signature) rows as plain tuples (see ``bulk.insert_tuples``)."""
    insert_tuples(conn, TABLE, ("article_id", "signature"), rows)


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
