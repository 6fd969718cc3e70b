"""Measure span suggestions the way an annotator meets them.

Protocol: the corpus (one document per JSONL line, ``{"text", "spans": [{"start",
"end", "label"}]}``) is shuffled into a stream.  The annotator has labelled the first
N documents; a suggester is built from those N only and asked for spans in the next
100 documents (stream positions N .. N+99).  A suggestion counts only when start, end
and label all equal a gold PERSON/ORG span; suggested labels other than PERSON/ORG
are ignored.  Precision, recall and F1 are micro-averaged over the 100 documents,
then averaged over ``--orders`` random orders (the same orders for every suggester),
with the standard deviation over orders as the spread.

Suggesters compared in one run:

* ``baseline``: every string labelled in the N documents is looked for in the new
  text, exact, case-sensitive, whole-word, leftmost-longest (a string labelled with
  several labels takes its most frequent one, ties by label name).
* ``dictionary``: ``app.core.suggest.train_suggester(docs, starter=False, crf=False)``,
  the dictionary learned from the labels, its cut-offs chosen on held-out documents;
* ``dict+crf``: ``train_suggester(docs, starter=False)``, plus the CRF when on
  held-out documents it beats the dictionary alone;
* ``full``: ``train_suggester(docs)``, plus the shipped starter model when it is
  installed (``app.core.suggest.starter.load_starter``); without it, the same as
  ``dict+crf`` (the output says so).

When ``app.core.suggest`` does not exist, only the baseline runs and the output says so.

Run from the repository root (offline; all four suggesters over 20 orders take
about ten minutes on two cores, mostly training CRFs at N = 200):

    python benchmarks/suggest_bench.py
    python benchmarks/suggest_bench.py --orders 5 --sizes 0,10,50,200 --seed 7
    python benchmarks/suggest_bench.py --suggesters baseline,dictionary --data other.jsonl

Columns: P/R/F1 = mean over orders (± standard deviation over orders); "train s" =
mean seconds to build the suggester from N documents; "ms/doc" = mean milliseconds
to suggest spans for one of the 100 documents.  With N = 0 nothing is labelled yet:
a suggester that suggests nothing scores precision 0.
"""

import argparse
import functools
import json
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT))

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "ner" / "gum_person_org.jsonl"
LABELS = ("PERSON", "ORG")
TEST_DOCS = 100
SUGGESTERS = ("baseline", "dictionary", "dict+crf", "full")


def load_corpus(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def span_keys(spans):
    """The set of (start, end, label) of the PERSON/ORG spans; other labels are ignored."""
    return {(s["start"], s["end"], s["label"]) for s in spans if s["label"] in LABELS}


def score_document(predicted, gold):
    """(true positives, false positives, false negatives) of one document, strict matching."""
    predicted_keys, gold_keys = span_keys(predicted), span_keys(gold)
    true_positives = len(predicted_keys & gold_keys)
    return true_positives, len(predicted_keys) - true_positives, len(gold_keys) - true_positives


def micro_scores(counts):
    """Micro precision, recall and F1 from per-document (tp, fp, fn) triples; 0 where undefined."""
    tp = sum(c[0] for c in counts)
    fp = sum(c[1] for c in counts)
    fn = sum(c[2] for c in counts)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def train_baseline(docs):
    """Exact-string suggester: labelled surfaces of the training documents, matched whole-word."""
    votes = defaultdict(Counter)
    for doc in docs:
        for span in doc["spans"]:
            votes[doc["text"][span["start"]:span["end"]]][span["label"]] += 1
    label_of = {surface: min(c, key=lambda label: (-c[label], label)) for surface, c in votes.items()}
    if not label_of:
        return lambda text: []
    # Longest first: at a given position the regex takes the first alternative that
    # fits, so the longest whole-word match wins; scanning left to right gives leftmost.
    alternatives = sorted(label_of, key=lambda surface: (-len(surface), surface))
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, alternatives)) + r")(?!\w)")

    def suggest(text):
        return [{"start": m.start(), "end": m.end(), "label": label_of[m.group()], "score": 1.0}
                for m in pattern.finditer(text)]

    return suggest


def load_app_suggester():
    """``train_suggester`` from app.core.suggest, or None when that module does not exist yet."""
    try:
        from app.core.suggest import train_suggester
    except ModuleNotFoundError as error:
        if error.name and "app.core.suggest".startswith(error.name):
            return None
        raise
    return train_suggester


def stream_orders(count, orders, seed):
    """``orders`` shuffles of range(count), fixed by seed so every suggester sees the same ones."""
    result = []
    for number in range(orders):
        order = list(range(count))
        random.Random(f"{seed}-{number}").shuffle(order)
        result.append(order)
    return result


def run_once(train, corpus, order, size):
    """Score one suggester built on the first ``size`` documents of ``order`` on the next 100."""
    training = [{"text": corpus[i]["text"], "spans": [dict(s) for s in corpus[i]["spans"]]} for i in order[:size]]
    testing = [corpus[i] for i in order[size:size + TEST_DOCS]]
    started = time.perf_counter()
    suggest = train(training)
    train_seconds = time.perf_counter() - started
    started = time.perf_counter()
    counts = [score_document(suggest(doc["text"]), doc["spans"]) for doc in testing]
    suggest_ms = (time.perf_counter() - started) * 1000 / len(testing)
    return micro_scores(counts), train_seconds, suggest_ms


def benchmark(suggesters, corpus, orders, sizes):
    """Rows of (name, size, [per-order (p, r, f1)], mean train seconds, mean ms per doc)."""
    rows = []
    for name, train in suggesters:
        for size in sizes:
            runs = [run_once(train, corpus, order, size) for order in orders]
            rows.append((name, size, [r[0] for r in runs],
                         statistics.mean(r[1] for r in runs), statistics.mean(r[2] for r in runs)))
    return rows


def mean_spread(values):
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ±{spread:.3f}"


def format_table(rows):
    lines = [f"{'suggester':<10} {'N':>4}  {'precision':>12}  {'recall':>12}  {'F1':>12}  {'train s':>8}  {'ms/doc':>7}"]
    for name, size, scores, train_seconds, suggest_ms in rows:
        precision, recall, f1 = (mean_spread([s[k] for s in scores]) for k in range(3))
        lines.append(f"{name:<10} {size:>4}  {precision:>12}  {recall:>12}  {f1:>12}  "
                     f"{train_seconds:>8.3f}  {suggest_ms:>7.2f}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="JSONL corpus, one document per line")
    parser.add_argument("--orders", type=int, default=20, help="number of random document orders")
    parser.add_argument("--sizes", default="0,10,50,200", help="comma-separated numbers of labelled documents")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random orders")
    parser.add_argument("--suggesters", default=",".join(SUGGESTERS),
                        help="comma-separated suggesters to compare (see above)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    corpus = load_corpus(args.data)
    if max(sizes) + TEST_DOCS > len(corpus):
        parser.error(f"{len(corpus)} documents cannot hold N={max(sizes)} plus {TEST_DOCS} to suggest for")
    chosen = args.suggesters.split(",")
    available = {"baseline": train_baseline}
    train_suggester = load_app_suggester()
    if train_suggester is None:
        print("app.core.suggest is not available: running the baseline only.")
    else:
        from app.core.suggest.starter import load_starter

        available["dictionary"] = functools.partial(train_suggester, starter=False, crf=False)
        available["dict+crf"] = functools.partial(train_suggester, starter=False)
        available["full"] = train_suggester
        if "full" in chosen and load_starter() is None:
            print("The starter model is not installed: full is dict+crf.")
    unknown = [name for name in chosen if name not in SUGGESTERS]
    if unknown:
        parser.error(f"unknown suggesters: {', '.join(unknown)}")
    suggesters = [(name, available[name]) for name in chosen if name in available]
    gold = Counter(s["label"] for doc in corpus for s in doc["spans"] if s["label"] in LABELS)
    print(f"{args.data.name}: {len(corpus)} documents, "
          + ", ".join(f"{gold[label]} {label}" for label in LABELS)
          + f"; {args.orders} orders (seed {args.seed}), {TEST_DOCS} documents suggested for after the N labelled")
    rows = benchmark(suggesters, corpus, stream_orders(len(corpus), args.orders, args.seed), sizes)
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
