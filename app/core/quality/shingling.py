"""Shingle sets and MinHash signatures of many texts at once (see near_copies.py for why these).

A text's shingles are its runs of 5 words (``\\w+`` of the normalised text); a word's
hash is the CRC-32 of its UTF-8 bytes and a shingle's a polynomial in its five words'
hashes, folded to 32 bits. A signature is datasketch's ``MinHash`` ("affine32", 128
permutations, seed 1) of those hashes. The values are the ones stored in datasets, so
they must never change: ``shingle_hashes_one`` is the plain definition, kept to check
the fast path against (tests/unit/test_shingling.py pins values of earlier versions too).

The fast path does each step for a run of texts (a few million characters of an import
batch) in a few numpy operations, with no Python call per word or shingle: texts are
joined by a space; characters classified as word or not by a table of the Basic
Multilingual Plane; a word's UTF-8 byte positions found by a running sum of the extra
bytes of the characters before it; the CRC-32 of every word computed at once a byte
position at a time (the words sorted longest first, so each step takes a prefix of
them); shingles combined over the whole run and made unique by one sort of (text, hash)
keys; MinHash in blocks of shingles of many texts, each text's minimum taken by
``np.minimum.reduceat``. For a 4 KB article (batches of 80) that is about 60 us for the
shingle set and 20 for the signature, where ``re.findall`` and ``zlib.crc32`` word by
word took 250 and MinHash one text at a time 75; Cyrillic, Greek or Arabic take about a
third more than English (benchmarks/shingling_bench.py).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from functools import cache

import numpy as np
from datasketch import MinHash

from app.core.text_norm import normalise_for_hash

SHINGLE_WORDS = 5
NUM_PERM = 128
SEED = 1
SCHEME = "affine32"

_WORD = re.compile(r"\w+")
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd, with well-mixed bits (the golden ratio's)
_LOW32 = np.uint64(0xFFFFFFFF)
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations
# MurmurHash3's 32-bit finaliser (shifts and multipliers), as datasketch applies it to input hashes.
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
_ASCII_WORD = np.array([bool(_WORD.fullmatch(chr(c))) for c in range(128)])
# Words with a character past ASCII are hashed one by one while they are at most one in this many:
# more, and finding the UTF-8 bytes of every word costs less.
_FEW_WIDE_WORDS = 40
# Words longer than this (in UTF-8 bytes) are hashed one by one: one step per byte for a few.
_LONG_WORD = 48
# Shingles per block of MinHash (128 x 8192 uint32 values, 4 MB): measured fastest, larger
# or smaller, on batches of 80 to 500 articles.
_BLOCK = 8192
# Characters shingled at once: the arrays of a run take about 15 bytes a character of ASCII
# and 26 of other scripts (45 and 80 MB), whatever the number and length of the articles.
_RUN_CHARS = 3_000_000


# --- the definition ---------------------------------------------------------------------------------

def shingle_hashes_one(text_: str, *, normalised: bool = False) -> np.ndarray:
    """Hashes of the text's 5-word shingles, sorted and unique (a text shorter than that is one
    shingle), computed word by word: the definition ``shingle_sets`` computes faster."""
    words = _WORD.findall(text_ if normalised else normalise_for_hash(text_))
    crc = zlib.crc32
    hashes = np.fromiter((crc(w.encode()) for w in words), dtype=np.uint64, count=len(words))
    return _fold_unique(_short_shingle(hashes) if len(words) < SHINGLE_WORDS else _combine(hashes))


def _combine(hashes: np.ndarray) -> np.ndarray:
    """The shingle hash at each position with ``SHINGLE_WORDS`` words from there (64 bits)."""
    n = len(hashes) - SHINGLE_WORDS + 1
    combined = hashes[:n].copy()
    for i in range(1, SHINGLE_WORDS):
        combined *= _MULTIPLIER  # wraps modulo 2**64, as meant
        combined += hashes[i : i + n]
    return combined


def _short_shingle(hashes: np.ndarray) -> np.ndarray:
    """The one shingle of a text of fewer words than a shingle has (none of a text without words)."""
    if not hashes.size:
        return hashes
    combined = np.zeros(1, dtype=np.uint64)
    for h in hashes:
        combined = combined * _MULTIPLIER + h
    return combined


def _fold(combined: np.ndarray) -> np.ndarray:
    return (combined ^ (combined >> np.uint64(32))).astype(np.uint32)  # the low half


def _fold_unique(combined: np.ndarray) -> np.ndarray:
    return np.unique(_fold(combined))


# --- many texts at once ------------------------------------------------------------------------------

def shingle_sets(texts: Sequence[str], *, normalised: bool = False) -> list[np.ndarray]:
    """``shingle_hashes_one`` of each text, computed for all of them at once, a run of texts
    of about ``_RUN_CHARS`` characters at a time."""
    sets: list[np.ndarray] = []
    for lo, hi in _runs([len(t) for t in texts]):
        run = texts[lo:hi] if normalised else [normalise_for_hash(t) for t in texts[lo:hi]]
        sets += _run_sets(run)
    return sets


def _runs(lengths: Sequence[int]) -> list[tuple[int, int]]:
    """Bounds of consecutive texts of at most ``_RUN_CHARS`` characters together (a longer
    text alone)."""
    bounds, start, size = [], 0, 0
    for i, n in enumerate(lengths):
        if size and size + n > _RUN_CHARS:
            bounds.append((start, i))
            start, size = i, 0
        size += n + 1
    if start < len(lengths):
        bounds.append((start, len(lengths)))
    return bounds


def _run_sets(texts: Sequence[str]) -> list[np.ndarray]:
    """``shingle_sets`` of some normalised texts, at least one."""
    joined = " ".join(texts)  # a space is no word character: no word spans two texts
    starts_of_texts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    points, is_word = _classified(joined)
    # Where a run of word characters starts or ends: a word's start, its end, the next's start...
    edges = np.flatnonzero(np.diff(is_word.view(np.int8), prepend=np.int8(0), append=np.int8(0)))
    words_per_text = np.diff(np.append(np.searchsorted(edges[::2], starts_of_texts), len(edges) // 2))
    starts, ends = edges[::2], edges[1::2]
    if points.itemsize == 1:  # ASCII: each character is its own UTF-8 byte
        return _sets(_crc32_each(points, starts, ends - starts), words_per_text)
    extra = _extra_bytes(points)
    # The words with a character past ASCII, whose UTF-8 bytes are not their characters.
    unlike = extra[ends] != extra[starts]
    if np.count_nonzero(unlike) * _FEW_WIDE_WORDS > len(starts):
        return _sets(_utf8_hashes(joined, starts + extra[starts], ends + extra[ends]), words_per_text)
    hashes = _crc32_each(points.astype(np.uint8), starts, ends - starts)  # wrong for the unlike only
    for word in np.flatnonzero(unlike).tolist():  # a few accented names: one by one
        hashes[word] = zlib.crc32(joined[starts[word] : ends[word]].encode())
    return _sets(hashes, words_per_text)


def _utf8_hashes(joined: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The CRC-32 of each word, from its start and end in the text's UTF-8 bytes."""
    data = np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    return _crc32_each(data, starts, ends - starts)


def _classified(joined: str) -> tuple[np.ndarray, np.ndarray]:
    """The text's code points (as uint8 if all are ASCII) and whether each is a word character."""
    if joined.isascii():
        points = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
        return points, _ASCII_WORD[points]
    # Lone surrogates are never word characters; passed through, they only keep the positions.
    points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    return points, _is_word(points)


def _extra_bytes(points: np.ndarray) -> np.ndarray:
    """For each character position (and the end), the UTF-8 bytes past the first of the characters
    before it: a position's byte position is the two added. A running sum over all characters
    costs less than finding the characters past ASCII when, as in Cyrillic, most are."""
    per_char = (points >= 0x80).view(np.int8)
    per_char += points >= 0x800
    per_char += points >= 0x10000
    extra = np.empty(len(points) + 1, dtype=np.int32 if 3 * len(points) < 2**31 else np.int64)
    extra[0] = 0
    np.cumsum(per_char, dtype=extra.dtype, out=extra[1:])
    return extra


@cache
def _word_table() -> np.ndarray:
    """Whether each code point of the Basic Multilingual Plane is a word character (``\\w`` of
    ``re``): found by ``re`` itself, over a string of all of them, once (2 ms)."""
    table = np.zeros(0x10000, dtype=bool)
    everything = np.arange(0x10000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    for m in _WORD.finditer(everything):
        table[m.start() : m.end()] = True
    return table


def _is_word(points: np.ndarray) -> np.ndarray:
    """Whether each code point is a word character; those past the table (rare) asked one by one."""
    is_word = np.take(_word_table(), points, mode="clip")
    if points.max() > 0xFFFF:
        for i in np.flatnonzero(points > 0xFFFF).tolist():
            is_word[i] = _WORD.match(chr(points[i])) is not None
    return is_word


@cache
def _crc_table() -> np.ndarray:
    """The byte table of zlib's CRC-32 (the reflected polynomial 0xEDB88320)."""
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> np.uint32(1)) ^ np.uint32(0xEDB88320), table >> np.uint32(1))
    return table.astype(np.uint32)


def _crc32_each(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``zlib.crc32`` of each run ``data[start : start + length]``, as uint64: one step per byte
    position for all runs at once, the runs sorted longest first so each step takes a prefix."""
    out = np.empty(len(starts), dtype=np.uint64)
    long = lengths > _LONG_WORD
    for i in np.flatnonzero(long):
        out[i] = zlib.crc32(data[starts[i] : starts[i] + lengths[i]].tobytes())
    short = np.flatnonzero(~long) if long.any() else np.arange(len(starts))
    order = short[np.argsort(_LONG_WORD - lengths[short].astype(np.uint8), kind="stable")]
    remaining = np.bincount(lengths[order], minlength=1)[::-1].cumsum()[::-1]  # runs at least so long
    crc = np.full(len(order), 0xFFFFFFFF, dtype=np.uint32)
    position = starts[order]
    byte = np.empty(len(order), dtype=np.uint8)
    looked_up = np.empty(len(order), dtype=np.uint32)
    table = _crc_table()
    for step in range(1, len(remaining)):
        k = int(remaining[step])
        np.take(data[step - 1 :], position[:k], out=byte[:k])
        np.bitwise_xor(byte[:k], (crc[:k] & np.uint32(0xFF)).astype(np.uint8), out=byte[:k])
        np.take(table, byte[:k], out=looked_up[:k])
        crc[:k] >>= np.uint32(8)
        crc[:k] ^= looked_up[:k]
    out[order] = crc ^ np.uint32(0xFFFFFFFF)
    return out


def _sets(hashes: np.ndarray, words_per_text: np.ndarray) -> list[np.ndarray]:
    """Each text's sorted unique shingle hashes, from the hashes of all texts' words in order:
    one sort of (text, shingle hash) keys for all texts."""
    count = len(words_per_text)
    first_word = np.concatenate([np.zeros(1, dtype=np.intp), np.cumsum(words_per_text)])
    shingles_per_text = np.maximum(words_per_text - (SHINGLE_WORDS - 1), 0)
    keys = np.empty(0, dtype=np.uint64)
    if len(hashes) >= SHINGLE_WORDS:
        combined = _combine(hashes)
        # The shingles starting in the last words of a text would end in the next.
        inside = np.ones(len(combined), dtype=bool)
        ends = first_word[1:-1, None] - np.arange(1, SHINGLE_WORDS, dtype=np.intp)
        inside[ends[(ends >= 0) & (ends < len(combined))]] = False
        keys = combined[inside]
        keys ^= keys >> np.uint64(32)  # _fold, with the text in the high half instead
        keys &= _LOW32
        keys |= np.repeat(np.arange(count, dtype=np.uint64), shingles_per_text) << np.uint64(32)
        keys.sort()
        keep = np.empty(len(keys), dtype=bool)
        keep[:1] = True
        np.not_equal(keys[1:], keys[:-1], out=keep[1:])
        keys = keys[keep]
    bounds = np.searchsorted(keys, np.arange(count + 1, dtype=np.uint64) << np.uint64(32))
    values = keys.astype(np.uint32)  # the low half
    sets = [values[bounds[i] : bounds[i + 1]] for i in range(count)]
    for i in np.flatnonzero((words_per_text > 0) & (words_per_text < SHINGLE_WORDS)):
        sets[i] = _fold_unique(_short_shingle(hashes[first_word[i] : first_word[i + 1]]))
    return sets


def signatures(sets: Sequence[np.ndarray]) -> list[bytes]:
    """The MinHash signature of each shingle set, as stored (little-endian uint32 values).

    The values of datasketch's ``MinHash.update_batch`` with the shingle hashes as its
    input hashes ("affine32": MurmurHash3's finaliser, then 128 affine permutations,
    the minimum of each), computed for all shingles of all sets at once, a block of
    shingles at a time, laid out permutation by row so that each set's minimum is a
    ``reduceat`` along contiguous memory.
    """
    sizes = np.array([len(s) for s in sets], dtype=np.intp)
    filled = np.flatnonzero(sizes)
    # An empty set leaves every value at its start, the largest 32-bit number.
    out = np.full((len(sets), NUM_PERM), 0xFFFFFFFF, dtype=np.uint32)
    if filled.size:
        hv = _fmix(np.concatenate([sets[int(i)] for i in filled]).astype(np.uint32))
        starts = np.concatenate([np.zeros(1, dtype=np.intp), np.cumsum(sizes[filled])[:-1]])
        a, b = (p.astype(np.uint32).reshape(-1, 1) for p in _PERMUTATIONS)
        block = np.empty((NUM_PERM, _BLOCK), dtype=np.uint32)
        for lo in range(0, len(hv), _BLOCK):
            hi = min(lo + _BLOCK, len(hv))
            values = block[:, : hi - lo]
            np.multiply(a, hv[lo:hi], out=values)  # wraps modulo 2**32, as datasketch's does
            np.add(values, b, out=values)
            # The sets with shingles in this block: the one it starts inside, and those starting in it.
            first = int(np.searchsorted(starts, lo, "right")) - 1
            last = int(np.searchsorted(starts, hi, "left"))
            cuts = np.maximum(starts[first:last], lo) - lo
            rows = filled[first:last]
            out[rows] = np.minimum(out[rows], np.minimum.reduceat(values, cuts, axis=1).T)
    return [row.astype("<u4").tobytes() for row in out]


def _fmix(hv: np.ndarray) -> np.ndarray:
    hv = (hv ^ (hv >> _FMIX[0])) * _FMIX[1]
    hv = (hv ^ (hv >> _FMIX[2])) * _FMIX[3]
    return hv ^ (hv >> _FMIX[4])
