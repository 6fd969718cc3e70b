"""Candidates of a whole batch looked up at once are those of one article at a time."""

from __future__ import annotations

import numpy as np

from app.core.quality import near_copies as nc


def _blobs(count: int, seed: int) -> list[bytes]:
    """Signatures of noise, and of templates copied many times with a few values changed: buckets
    far larger than the candidates taken from one, and copies sharing some bands but not all."""
    templates = np.random.default_rng(0).integers(0, 2**32, (6, nc.NUM_PERM), dtype=np.uint64).astype(np.uint32)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        if rng.random() < 0.4:
            out.append(rng.integers(0, 2**32, nc.NUM_PERM, dtype=np.uint64).astype(np.uint32))
            continue
        copy = templates[rng.integers(0, len(templates))].copy()
        changed = rng.integers(0, nc.NUM_PERM, rng.integers(0, 40))
        copy[changed] = rng.integers(0, 2**32, len(changed), dtype=np.uint64).astype(np.uint32)
        out.append(copy)
    return [b.astype("<u4").tobytes() for b in out]


def test_a_batch_looked_up_at_once_gets_each_articles_candidates():
    index = nc.CandidateIndex(0.8)
    stored = _blobs(3700, seed=1)
    for first in range(0, len(stored), 300):  # some sorted in, the latest in the tail
        index.add_all([(i + 1, blob) for i, blob in enumerate(stored[first : first + 300], first)])
    assert 0 < index.sorted_articles < len(index)
    queries = _blobs(200, seed=2)
    keys = nc.band_keys(nc.signature_matrix(queries), index.bands, index.rows)
    for limit in (32, 3):
        found = index.candidates_of(keys, limit)
        assert found == [index.candidates(blob, limit) for blob in queries]
    assert sum(map(len, found)) > 100


def test_earlier_articles_of_a_batch_are_those_an_index_of_them_gives():
    """Past 1,024 articles the index sorts its tail in: the candidates of each part are taken apart."""
    blobs = _blobs(2300, seed=3)
    one_by_one = nc.CandidateIndex(0.8)
    expected = []
    for row, blob in enumerate(blobs):
        expected.append(one_by_one.candidates(blob))
        one_by_one.add(row, blob)
    assert one_by_one.sorted_articles == 2048 and len(one_by_one) == 2300  # sorted in twice, and a tail
    keys = nc.band_keys(nc.signature_matrix(blobs), one_by_one.bands, one_by_one.rows)
    assert nc.earlier_sharing_a_band(keys) == expected
    assert nc.earlier_sharing_a_band(keys[:300]) == expected[:300]
    assert sum(len(c) == 32 for c in expected) > 100  # buckets past the limit


def test_articles_sharing_no_band_have_no_candidates():
    noise = np.random.default_rng(4).integers(0, 2**32, (10, nc.NUM_PERM), dtype=np.uint64).astype("<u4")
    index = nc.CandidateIndex(0.8)
    keys = nc.band_keys(noise, index.bands, index.rows)
    assert nc.earlier_sharing_a_band(keys) == [[]] * 10 and index.candidates_of(keys) == [[]] * 10
    assert nc.earlier_sharing_a_band(keys[:0]) == [] and index.candidates_of(keys[:0]) == []
