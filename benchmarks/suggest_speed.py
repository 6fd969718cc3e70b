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

Each time is given as wall time and as CPU time of this process (``time.process_time``):
on a busy machine the wall time counts the waits for a core, the CPU time mostly not.
A floor measured in the same run puts the times in proportion: tokenising the 50 KB
article (ratios to it compare runs made under different loads). Each measurement
is followed by its stages, the time spent in each (exclusive of the stages it calls):

- suggesting: tokenise, features (the CRF's sentences and the parts of them worth
  tagging, shared by its models), CRF tagging (state scores from the model's weights,
  best tags and their probabilities), dictionary matching, blend (cut-offs and
  merging the layers);
- training: dictionary (learning its entries, also for the hold-outs), feature
  extraction (the CRF's), crfsuite training, held-out suggestions of the CRF and of
  the starter model, cut-off choice (with and without the starter: each order of the
  layers is tried).

Run: python benchmarks/suggest_speed.py [--n 200] [--kb 50] [--rounds 7] [--dictionary-only]
"""

from __future__ import annotations

import argparse
import functools
import inspect
import random
import re
import statistics
import string
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT))

from app.core.suggest import blend, crf, dictionary, learn, tokens, train_suggester  # noqa: E402
from app.core.suggest.starter import STARTER  # noqa: E402

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


class Stages:
    """Wall and CPU time spent in wrapped functions, each call's time less that of the wrapped calls it makes."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        self._stack: list[list[float]] = []  # started wall, started CPU, wall and CPU of the calls inside
        self._patched: list[tuple[Any, str, Any]] = []

    def wrap(self, owner: Any, attribute: str, stage: str | Callable[..., str]) -> None:
        """Time calls of ``owner.attribute`` (a function of a module, a method or classmethod of a
        class) as ``stage`` (or ``stage(*args)``, the call's arguments); one that is not there is left out."""
        raw = inspect.getattr_static(owner, attribute, None)
        if raw is None:
            return
        function = raw.__func__ if isinstance(raw, classmethod) else raw

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            frame = [time.perf_counter(), time.process_time(), 0.0, 0.0]
            self._stack.append(frame)
            try:
                return function(*args, **kwargs)
            finally:
                self._stack.pop()
                wall, cpu = time.perf_counter() - frame[0], time.process_time() - frame[1]
                totals = self.times[stage(*args) if callable(stage) else stage]
                totals[0] += wall - frame[2]
                totals[1] += cpu - frame[3]
                if self._stack:
                    self._stack[-1][2] += wall
                    self._stack[-1][3] += cpu

        setattr(owner, attribute, classmethod(timed) if isinstance(raw, classmethod) else timed)
        self._patched.append((owner, attribute, raw))

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, attribute, raw in reversed(self._patched):
            setattr(owner, attribute, raw)

    def report(self, wall: float, cpu: float, scale: float, unit: str) -> str:
        """The stages' times (divided by ``scale``), largest CPU time first, and what the totals leave."""
        rows = sorted(self.times.items(), key=lambda item: -item[1][1])
        rows.append(("other", [wall - sum(t[0] for t in self.times.values()), cpu - sum(t[1] for t in self.times.values())]))
        return "\n".join(
            f"    {name:<26} wall {times[0] / scale:8.{3 if unit == 's' else 1}f} {unit}   "
            f"CPU {times[1] / scale:8.{3 if unit == 's' else 1}f} {unit}   {100 * times[1] / cpu if cpu else 0:3.0f}% of CPU"
            for name, times in rows
        )


def suggest_stages(stages: Stages) -> None:
    stages.wrap(tokens, "_tokenize", "tokenise")
    stages.wrap(crf, "_prepared", "features")
    stages.wrap(crf.CrfModel, "predict", "CRF tagging")
    stages.wrap(dictionary.DictionarySuggester, "scored", "dictionary matching")
    stages.wrap(blend.ModelLayer, "scored", "blend")
    stages.wrap(blend.BlendedSuggester, "__call__", "blend")


def training_stages(stages: Stages) -> None:
    stages.wrap(tokens, "_tokenize", "tokenise")
    stages.wrap(learn, "train_dictionary", "dictionary")
    stages.wrap(learn, "dictionary_of", "dictionary")
    stages.wrap(learn, "taught_documents", "dictionary")
    stages.wrap(learn, "training_sequences", "feature extraction")
    stages.wrap(crf.CrfModel, "train", "feature extraction")  # what fit (crfsuite) leaves of it
    stages.wrap(crf.CrfModel, "fit", "crfsuite training")
    stages.wrap(blend.ModelLayer, "scored", lambda layer, _text: f"held-out {layer.name}")
    stages.wrap(dictionary.DictionarySuggester, "scored", "held-out dictionary")
    stages.wrap(learn, "choose_cutoffs", lambda _held_out, order, *_: "cut-off choice" + (
        ", with starter" if STARTER in order else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="training articles")
    parser.add_argument("--kb", type=int, default=50, help="size of the article suggested for, in KB")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--dictionary-only", action="store_true", help="leave out the full suggester")
    args = parser.parse_args()

    sample = SAMPLE.read_text(encoding="utf-8")
    docs = articles(args.n, sample)
    text = (sample + "\n\n") * (args.kb * 1024 // (len(sample) + 2) + 1)
    text = text[: args.kb * 1024]
    floor = timed_rounds(tokens._tokenize, text, args.rounds * 3)
    print(f"floor: tokenising {len(text) / 1024:.0f} KB, median wall {floor[0]:.2f} ms, CPU {floor[1]:.2f} ms")
    ok = measure("dictionary", docs, text, floor, args, starter=False, crf=False)
    if not args.dictionary_only:
        ok = measure("full", docs, text, floor, args) and ok
    print("OK" if ok else "SLOWER THAN TARGET")


def timed_rounds(function: Callable[[str], Any], text: str, rounds: int) -> tuple[float, float, Any, float, float]:
    """Median wall and CPU milliseconds of ``function(text)``, its last result, and the best wall and CPU
    milliseconds (the least disturbed by other processes)."""
    walls, cpus, result = [], [], None
    for _ in range(rounds):
        fresh = text.encode().decode()  # a new string each round: tokens are kept for the last text only
        wall, cpu = time.perf_counter(), time.process_time()
        result = function(fresh)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus), result, min(walls), min(cpus)


def measure(name: str, docs: list[dict[str, Any]], text: str, floor: tuple[float, float, Any],
            args: argparse.Namespace, **options: Any) -> bool:
    with Stages() as stages:
        training_stages(stages)
        wall, cpu = time.perf_counter(), time.process_time()
        suggest = train_suggester(docs, **options)
        train_s, train_cpu = time.perf_counter() - wall, time.process_time() - cpu
    median, median_cpu, suggestions, best, best_cpu = timed_rounds(suggest, text, args.rounds)
    with Stages() as parts:
        suggest_stages(parts)
        wall, cpu = time.perf_counter(), time.process_time()
        timed_rounds(suggest, text, args.rounds)
        part_wall, part_cpu = time.perf_counter() - wall, time.process_time() - cpu

    size = sum(len(doc["text"]) for doc in docs) / len(docs) / 1024
    layers = suggest.describe().splitlines()[0]
    train_target = f" (target < {TARGET_TRAIN_S} s)" if name == "dictionary" else ""
    print(f"{name}: {layers}")
    print(f"  training: {args.n} articles of {size:.1f} KB, {len(suggest)} entries in {train_s:.3f} s wall, "
          f"{train_cpu:.3f} s CPU{train_target}")
    print(stages.report(train_s, train_cpu, 1.0, "s"))
    print(
        f"  suggest: {len(text) / 1024:.0f} KB, {len(suggestions)} spans, median {median:.1f} ms wall, "
        f"{median_cpu:.1f} ms CPU = {median_cpu / floor[1]:.1f} x the tokenising floor (target <= "
        f"{TARGET_SUGGEST_MS:.0f} ms); best {best:.1f} ms wall, {best_cpu:.1f} ms CPU"
    )
    print(f"  its stages, mean of {args.rounds} rounds:")
    print(parts.report(part_wall, part_cpu, args.rounds / 1000, "ms"))
    return (train_s < TARGET_TRAIN_S or name != "dictionary") and median <= TARGET_SUGGEST_MS


if __name__ == "__main__":
    main()
