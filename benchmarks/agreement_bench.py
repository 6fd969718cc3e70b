"""Agreement at scale: three annotators' layers over 10,000 news-length articles.

    python benchmarks/agreement_bench.py                             # builds the dataset in a temp folder
    python benchmarks/agreement_bench.py --db /tmp/agree10k.sqlite   # builds it there once, reuses it after
    python benchmarks/agreement_bench.py --n 2000                    # quicker
    python benchmarks/agreement_bench.py --labelled 0.33             # spans in a third of the sentences

Each article (about 2,500 characters, 450 tokens) is done by each annotator with
a chance of 0.8 (so most are shared by two or three), with about 45 PERSON, ORG
and CLAIM spans each (1.3 million spans in all), a CLAIM holding a PERSON; the
annotators differ as people do (a span left out, an edge moved, a label changed).
Prints the time of ``agreement.compute`` (reading, tokenizing, every pair, alpha)
and its CPU time, first and again with the tokens kept from the first (as the
window computes after each stored change).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402 - after the path is set

from app.core.db.store import Store, open_store  # noqa: E402
from app.core.ingest.storing import NewArticle, store_articles  # noqa: E402
from app.core.team import agreement, status  # noqa: E402
from app.core.validation import NewSpan  # noqa: E402
from app.models import utcnow  # noqa: E402

ANNOTATORS = ("ana", "ben", "cho")
NAMES = ["Hugo Touvron", "Guillaume Lample", "Ana Lopez", "Ben Okafor", "Mira Sato"]
ORGS = ["Meta", "Mistral", "OpenAI", "Acme Corp", "the European Commission"]
FILLER = ["said", "on", "Tuesday", "that", "the", "plan", "would", "go", "ahead", "despite", "the", "cost", ",", "and", "analysts", "expected", "further", "delays", "before", "the", "end", "of", "the", "year", "."]


def _article(rng: random.Random, n: int, labelled: float) -> tuple[str, list[tuple[int, int, str]]]:
    """A text of sentences naming people and organisations, and the true spans in it (in about
    ``labelled`` of its sentences)."""
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    length = 0
    while length < 2500:
        person, org = rng.choice(NAMES), rng.choice(ORGS)
        sentence = f"{person} of {org} " + " ".join(rng.sample(FILLER, 12)) + f" ({n}-{len(parts)})."
        start = length + (1 if parts else 0)
        if rng.random() < labelled:
            spans += [(start, start + len(person), "PERSON"),
                      (start + len(person) + 4, start + len(person) + 4 + len(org), "ORG")]
            if rng.random() < 0.3:
                spans.append((start, start + len(sentence) - 1, "CLAIM"))
        parts.append(sentence)
        length = start + len(sentence)
    return " ".join(parts), spans


def _as_annotated(rng: random.Random, body: str, spans: list[tuple[int, int, str]], who: str) -> list[NewSpan]:
    out = []
    for start, end, label in spans:
        roll = rng.random()
        if roll < 0.08:
            continue  # left out
        if roll < 0.14 and end - start > 4:
            end -= 2  # an edge moved
        if roll > 0.96:
            label = "ORG" if label == "PERSON" else "PERSON"
        out.append(NewSpan(start=start, end=end, label=label, annotator=who))
    return out


def build(store: Store, n: int, labelled: float) -> None:
    with store.begin() as conn:
        have = int(conn.execute(text("SELECT count(*) FROM article")).scalar_one())
    if have >= n:
        print(f"reusing {have:,} articles")
        return
    rng = random.Random(7)
    started = time.perf_counter()
    for first in range(0, n, 500):
        batch, done = [], []
        for i in range(first, min(n, first + 500)):
            body, spans = _article(rng, i, labelled)
            finished = [who for who in ANNOTATORS if rng.random() < 0.8]
            batch.append(NewArticle(text=body, title=f"Article {i}", source_kind="paste",
                                    spans=[s for who in finished for s in _as_annotated(rng, body, spans, who)]))
            done.append(finished)
        outcomes = store_articles(store, batch)
        with store.begin() as conn:
            status.set_each(conn, [(o.article_id, who, "done") for o, whos in zip(outcomes, done, strict=True)
                                   for who in whos], utcnow())
    print(f"built {n:,} articles in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--labelled", type=float, default=1.0,
                        help="share of sentences with spans (default 1: about 45 spans per annotator and article)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, open_store(args.db or Path(tmp) / "agreement.sqlite") as store:
        build(store, args.n, args.labelled)
        with store.begin() as conn:
            spans = int(conn.execute(text("SELECT count(*) FROM span")).scalar_one())
        for run in ("first", "again (tokens kept)"):
            wall, cpu = time.perf_counter(), time.process_time()
            report = agreement.compute(store)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            pair = report.pairs[0]
            print(f"agreement, {run}: {len(report.annotators)} annotators on {report.alpha_articles:,} shared "
                  f"articles ({spans:,} spans): {wall:.2f} s wall, {cpu:.2f} s CPU; {pair.a}–{pair.b} strict F1 "
                  f"{pair.figure('strict_f1'):.3f}, kappa {pair.figure('kappa'):.3f}, "
                  f"alpha {report.alpha[agreement.OVERALL]:.3f}")

if __name__ == "__main__":
    main()
