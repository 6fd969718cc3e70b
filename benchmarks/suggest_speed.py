"""Speed of the suggesters (app.core.suggest).

Trains on N synthetic articles (the sample article, its capitalised names labelled,
plus a paragraph of names of its own per article, so that the dictionary grows with
N), then suggests spans for the sample article repeated to 50 KB. Prints, for the
dictionary alone (``train_suggester(docs, starter=False, crf=False)``) and for the
full suggester (``train_suggester(docs)``: with the CRF when it beats the
dictionary on held-out articles, and the starter model when installed), the
training time and the median and best suggestion time against the targets
(training the dictionary on 200 articles well under a second, at most 30 ms per
50 KB article).

Run: python benchmarks/suggest_speed.py [--n 200] [--kb 50] [--rounds 7] [--dictionary-only]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import string
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT))

from app.core.suggest import train_suggester  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "meta-llama-turnover.txt"
TARGET_SUGGEST_MS = 30.0
TARGET_TRAIN_S = 1.0
NAME_RUN = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?: [A-Z][a-z]+)+")
ORGS = ("Meta", "Mistral", "Google", "OpenAI")


def articles(n: int, sample: str) -> list[dict[str, Any]]:
    rng = random.Random(7)
    docs = []
    for i in range(n):

        def name() -> str:
            return rng.choice(string.ascii_uppercase) + "".join(
                rng.choices(string.ascii_lowercase, k=rng.randint(4, 9))
            )

        extra = f"\n\n{name()} {name()} of {name()} Inc. spoke to {name()} {name()} at {name()} Corp. on day {i}.\n"
        text = sample + extra
        spans = []
        for match in NAME_RUN.finditer(text):
            label = "ORG" if match.group().split()[0] in ORGS or match.group().endswith(("Inc", "Corp")) else "PERSON"
            spans.append({"start": match.start(), "end": match.end(), "label": label})
        docs.append({"text": text, "spans": spans})
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="training articles")
    parser.add_argument("--kb", type=int, default=50, help="size of the article suggested for, in KB")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--dictionary-only", action="store_true", help="leave out the full suggester")
    args = parser.parse_args()

    sample = SAMPLE.read_text(encoding="utf-8")
    docs = articles(args.n, sample)
    ok = measure("dictionary", docs, sample, args, starter=False, crf=False)
    if not args.dictionary_only:
        ok = measure("full", docs, sample, args) and ok
    print("OK" if ok else "SLOWER THAN TARGET")


def measure(name: str, docs: list[dict[str, Any]], sample: str, args: argparse.Namespace, **options: Any) -> bool:
    started = time.perf_counter()
    suggest = train_suggester(docs, **options)
    train_s = time.perf_counter() - started

    text = (sample + "\n\n") * (args.kb * 1024 // (len(sample) + 2) + 1)
    text = text[: args.kb * 1024]
    times, suggestions = [], []
    for _ in range(args.rounds):
        started = time.perf_counter()
        suggestions = suggest(text)
        times.append((time.perf_counter() - started) * 1000)

    median = statistics.median(times)
    size = sum(len(doc["text"]) for doc in docs) / len(docs) / 1024
    layers = suggest.describe().splitlines()[0]
    train_target = f" (target < {TARGET_TRAIN_S} s)" if name == "dictionary" else ""
    print(f"{name}: {layers}")
    print(f"  training: {args.n} articles of {size:.1f} KB, {len(suggest)} entries in {train_s:.3f} s{train_target}")
    print(
        f"  suggest: {len(text) / 1024:.0f} KB, {len(suggestions)} spans, median {median:.1f} ms, "
        f"best {min(times):.1f} ms (target <= {TARGET_SUGGEST_MS:.0f} ms)"
    )
    return (train_s < TARGET_TRAIN_S or name != "dictionary") and median <= TARGET_SUGGEST_MS


if __name__ == "__main__":
    main()
