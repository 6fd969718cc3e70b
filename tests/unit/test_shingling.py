"""Shingles and signatures of many texts at once are those of the word-by-word definition.

Stored signatures must keep their values: a dataset signed by an earlier version is
compared with new articles signed by this one.
"""

from __future__ import annotations

import hashlib
import random
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash

from app.core.quality import near_copies as nc
from app.core.quality import shingling as sh
from app.core.text_norm import normalise_for_hash

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = DATA / "meta-llama-turnover.txt"
_TAG = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S | re.I)


def _real_texts() -> list[str]:
    """English, German and Spanish news and documents: curly quotes, umlauts, dashes, digits."""
    texts = [SAMPLE.read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((DATA / "brat").glob("*.txt"))]
    texts += [_TAG.sub(" ", p.read_text(encoding="utf-8", errors="replace")) for p in sorted((DATA / "news").glob("*.html"))]
    return texts


def _variants(texts: list[str], rng: random.Random) -> list[str]:
    """Cut, shuffled and spliced texts, with what is rare in news: words past the plane of
    common characters (and emoji between them), very long words, combining marks, digits and
    underscores, texts of fewer words than a shingle, and texts with no word at all."""
    odd = ["𠀀𠀁 𠀂", "😀", "é", "ñandú", "ǅemal", "x" * 200, "ab_cd", "٣٤٥", "½", "ﬁne", "Σίσυφος",
           "日本語のテキスト", "\u00a0", "—", "“quoted”", "don't", "a\u0301b", "ß" * 30, "\ud800"]
    out = []
    for text in texts:
        words = text.split()
        for _ in range(6):
            start = rng.randrange(max(len(words), 1))
            piece = words[start : start + rng.choice([1, 3, 4, 5, 6, 40, 400])]
            for _ in range(rng.randint(0, 4)):
                piece.insert(rng.randint(0, len(piece)), rng.choice(odd))
            if rng.random() < 0.3:
                rng.shuffle(piece)
            out.append(rng.choice([" ", "\n", ", "]).join(piece))
    return out + ["", " ", ",,, !!", "one", "two words", "one two three four", "one two three four five",
                  " ".join(odd), "x" * 5000]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    real = _real_texts()
    return real + _variants(real, random.Random(5))


def test_the_texts_cover_what_is_rare(texts):
    normalised = [normalise_for_hash(t) for t in texts]
    assert any(not t.isascii() for t in normalised) and any(t.isascii() for t in normalised)
    assert any(max(map(ord, t), default=0) > 0xFFFF for t in normalised)
    assert any(len(w.encode()) > 48 for t in normalised for w in re.findall(r"\w+", t))


def test_shingles_of_many_texts_at_once_are_the_definition(texts):
    expected = [sh.shingle_hashes_one(t) for t in texts]
    for found, want in zip(sh.shingle_sets(texts), expected, strict=True):
        assert found.dtype == want.dtype == np.uint32
        assert np.array_equal(found, want)
    normalised = [normalise_for_hash(t) for t in texts]
    for first in range(0, len(texts), 7):  # batches of other sizes, and each text on its own
        batch = sh.shingle_sets(normalised[first : first + 7], normalised=True)
        assert all(np.array_equal(a, b) for a, b in zip(batch, expected[first : first + 7], strict=True))
        assert np.array_equal(nc.shingle_hashes(texts[first]), expected[first])


def test_signatures_of_many_sets_at_once_are_datasketchs(texts):
    sets = sh.shingle_sets(texts) + [np.empty(0, dtype=np.uint32)]
    for hashes, blob in zip(sets, sh.signatures(sets), strict=True):
        mh = MinHash(num_perm=nc.NUM_PERM, seed=nc.SEED, hashfunc=lambda v: v, scheme=nc.SCHEME)
        mh.update_batch(hashes.tolist())
        assert blob == mh.hashvalues.astype("<u4").tobytes() == nc.signature(hashes)


def test_a_set_larger_than_a_block_is_signed_whole():
    hashes = np.unique(np.random.default_rng(1).integers(0, 2**32, 3 * sh._BLOCK, dtype=np.uint64)).astype(np.uint32)
    small = hashes[:5]
    first, second, third = sh.signatures([small, hashes, small])
    expected = np.frombuffer(nc.signature(small), dtype="<u4")
    assert first == third == expected.tobytes()
    whole = np.full(nc.NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)
    for part in np.array_split(hashes, 5):
        whole = np.minimum(whole, np.frombuffer(sh.signatures([part])[0], dtype="<u4"))
    assert second == whole.astype("<u4").tobytes()


def test_the_values_are_those_stored_by_earlier_versions():
    """Pinned: computed by the version that signed with datasketch's per-word loop."""
    text = SAMPLE.read_text(encoding="utf-8")
    hashes = nc.shingle_hashes(text)
    assert hashes.size == 1093 and hashes[:4].tolist() == [1979698, 3631214, 12804069, 17411462]
    assert hashlib.sha256(nc.signature_of(text)).hexdigest()[:16] == "a43ed37dc30b2f6a"
    german = "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich — „schnell“!"
    assert hashlib.sha256(nc.signature_of(german)).hexdigest()[:16] == "759fcb3a3c2acd3b"


def test_words_past_ascii_are_hashed_as_utf8_whether_few_or_many(monkeypatch):
    """A few accented words among English are hashed one by one; Greek, every word at once."""
    english = SAMPLE.read_text(encoding="utf-8")
    few = english.replace(" the ", " thé ", 3).replace(" and ", " ánd ", 2)
    greek = "Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο, είπε ο δήμαρχος τη Δευτέρα. " * 20
    all_at_once, original = [], sh._utf8_hashes
    monkeypatch.setattr(sh, "_utf8_hashes", lambda *a: all_at_once.append(1) or original(*a))
    for batch, at_once in (([english], 0), ([few], 0), ([greek], 1), ([few, greek, english], 1)):
        all_at_once.clear()
        found = sh.shingle_sets(batch)
        assert len(all_at_once) == at_once
        assert all(np.array_equal(f, sh.shingle_hashes_one(t)) for f, t in zip(found, batch, strict=True))


def test_a_batch_is_shingled_a_run_of_texts_at_a_time(texts, monkeypatch):
    """Runs of any size, down to one text each and texts longer than a run, give the same sets."""
    whole = sh.shingle_sets(texts)
    for run_chars in (1, 50, 3000):
        monkeypatch.setattr(sh, "_RUN_CHARS", run_chars)
        found = sh.shingle_sets(texts)
        assert len(found) == len(whole)
        assert all(np.array_equal(f, w) for f, w in zip(found, whole, strict=True))
    assert sh.shingle_sets([]) == []


def _cyrillic(articles: int) -> list[str]:
    """Generated articles of 2,000 Cyrillic words (about 13,000 characters)."""
    rng = random.Random(2)
    letters = "оеаинтсрвлкмдпуяызьбгчйхжшюцщэфъё"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(2000)]
    return [" ".join(rng.choices(vocab, k=2000)) for _ in range(articles)]


def test_the_memory_of_a_batch_is_that_of_one_run(monkeypatch):
    """A batch of many long articles takes the memory of a run, not of the whole batch."""
    batch = _cyrillic(60)
    chars = sum(map(len, batch))
    monkeypatch.setattr(sh, "_RUN_CHARS", chars // 10, raising=False)
    tracemalloc.start()
    try:
        sets = sh.shingle_sets(batch, normalised=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    kept = sum(s.nbytes for s in sets)
    assert peak - kept < 8 * chars  # one run alone takes about 25 bytes a character
