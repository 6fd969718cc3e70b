"""Train the starter model shipped as ``resources/models/starter-person-org.crfsuite``.

The model is the app's own CRF (``app.core.suggest.crf.CrfModel``: the same
features and regularisation as the model learned from a dataset's labels, more
iterations, see ITERATIONS), trained for PERSON and ORG on every ``*.jsonl`` file in
``corpus/`` (see SOURCE.md). Training is deterministic: the same corpus gives the
same file.

From the repository root:

    python packaging/starter_model/train.py
    python packaging/starter_model/train.py --evaluate benchmarks/data/ner/gum_person_org.jsonl

``--evaluate`` scores the trained model alone on a corpus in the native shape, strict
on (start, end, label), at several confidence cut-offs; with ``--no-training`` it
scores the model file as it is.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script from a checkout

from app.core.suggest import crf  # noqa: E402
from app.core.suggest.crf import CrfModel  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "corpus"
OUTPUT = ROOT / "resources" / "models" / "starter-person-org.crfsuite"
LABELS = ("PERSON", "ORG")
MAX_BYTES = 20 * 1024 * 1024
# The starter is trained once, offline, on ~10,000 documents, so it can afford more
# L-BFGS iterations than a dataset's model retrained in the background after each
# batch: on GUM, strict F1 0.515 at the app's 40 iterations, 0.528 at 150, 0.530 at 300.
# Only the optimisation runs longer; the features, which tagging depends on, are the app's.
ITERATIONS = 150
CUTOFFS = (0.0, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def corpus_documents(folder: Path) -> list[dict]:
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise SystemExit(f"no *.jsonl corpus in {folder}")
    return [doc for path in files for doc in read_jsonl(path)]


def train_starter(docs: list[dict]) -> CrfModel:
    """The app's CRF trained on ``docs`` for LABELS, with ITERATIONS iterations."""
    saved = dict(crf.TRAINING_PARAMS)
    crf.TRAINING_PARAMS["max_iterations"] = ITERATIONS
    try:
        return CrfModel.train(docs, LABELS)
    finally:
        crf.TRAINING_PARAMS.clear()
        crf.TRAINING_PARAMS.update(saved)


def cutoff_scores(model: CrfModel, docs: Iterable[dict], cutoffs: Iterable[float]) -> list[dict]:
    """Micro precision, recall and F1 of the model's spans whose score reaches each cut-off."""
    predicted = []
    for doc in docs:
        gold = {(s["start"], s["end"], s["label"]) for s in doc["spans"] if s["label"] in LABELS}
        predicted.append((model.predict(doc["text"]), gold))
    rows = []
    for cutoff in cutoffs:
        hits = found = wanted = 0
        for spans, gold in predicted:
            kept = {(s["start"], s["end"], s["label"]) for s in spans if s["score"] >= cutoff}
            hits += len(kept & gold)
            found += len(kept)
            wanted += len(gold)
        precision = hits / found if found else 0.0
        recall = hits / wanted if wanted else 0.0
        f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
        rows.append({"cutoff": cutoff, "precision": precision, "recall": recall, "f1": f1, "suggested": found})
    return rows


def train(corpus: Path, out: Path) -> CrfModel:
    docs = corpus_documents(corpus)
    spans = sum(1 for doc in docs for span in doc["spans"] if span["label"] in LABELS)
    print(f"training on {len(docs)} documents, {spans} names, from {corpus}")
    started = time.perf_counter()
    model = train_starter(docs)
    seconds = time.perf_counter() - started
    size = len(model.to_bytes())
    if size > MAX_BYTES:
        raise SystemExit(f"the model is {size / 1e6:.1f} MB, over the {MAX_BYTES / 1e6:.0f} MB the app ships")
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    print(f"wrote {out} ({size / 1e6:.2f} MB) in {seconds:.0f} s")
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of *.jsonl training documents")
    parser.add_argument("--out", type=Path, default=OUTPUT, help="the model file to write")
    parser.add_argument("--evaluate", type=Path, help="a JSONL corpus to score the model on")
    parser.add_argument("--no-training", action="store_true", help="score the model already in --out")
    args = parser.parse_args(argv)

    if args.no_training:
        model = CrfModel.load(args.out)
    else:
        model = train(args.corpus, args.out)
    if args.evaluate:
        print(f"\n{args.evaluate.name}, the model alone, strict (start, end, label):")
        print("cut-off  precision  recall  F1     suggested")
        for row in cutoff_scores(model, read_jsonl(args.evaluate), CUTOFFS):
            print(f"{row['cutoff']:<8.2f} {row['precision']:<10.3f} {row['recall']:<7.3f} {row['f1']:<6.3f} "
                  f"{row['suggested']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
