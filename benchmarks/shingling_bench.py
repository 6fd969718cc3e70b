"""Shingle sets of a batch, fast path against the word-by-word definition, per script.

    python -m benchmarks.shingling_bench [--articles 80] [--words 2000] [--repeat 5]

For each alphabet (ASCII English-like, the same with a few accented words, Cyrillic, Greek,
Arabic) a batch of generated
articles is shingled with ``shingle_sets`` and with ``shingle_hashes_one`` one text at a
time; the best of ``--repeat`` runs, in microseconds per article, and the peak memory of
one ``shingle_sets`` call (tracemalloc, which sees numpy's arrays) in bytes per character.
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc

from app.core.quality import shingling as sh
from app.core.text_norm import normalise_for_hash

ALPHABETS = {
    "ascii": "etaoinshrdlcumwfgypbvkjxqz",
    "accents": "etaoinshrdlcumwfgypbvkjxqz" * 12 + "é",  # one word in 50 accented: hashed one by one
    "cyrillic": "оеаинтсрвлкмдпуяызьбгчйхжшюцщэфъё",
    "greek": "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώ",
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
}


def articles(letters: str, count: int, words: int, rng: random.Random) -> list[str]:
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(5000)]
    return [" ".join(rng.choices(vocab, k=words)) + "." for _ in range(count)]


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=80)
    ap.add_argument("--words", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(3)
    print(f"{args.articles} articles x {args.words} words; us per article (best of {args.repeat})")
    for name, letters in ALPHABETS.items():
        texts = [normalise_for_hash(t) for t in articles(letters, args.articles, args.words, rng)]
        chars = sum(map(len, texts))
        sh.shingle_sets(texts, normalised=True)  # tables built once, outside the timing
        new = best(lambda: sh.shingle_sets(texts, normalised=True), args.repeat)  # noqa: B023
        old = best(lambda: [sh.shingle_hashes_one(t, normalised=True) for t in texts], args.repeat)  # noqa: B023
        tracemalloc.start()
        sh.shingle_sets(texts, normalised=True)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{name:9} new {new / len(texts) * 1e6:7.0f}  old {old / len(texts) * 1e6:7.0f}"
              f"  peak {peak / chars:5.1f} B/char")


if __name__ == "__main__":
    main()
