"""Agreement between annotators' layers, on the articles they both marked done.

For every pair of annotators, over the articles both finished (``status.finished``):

- strict span F1: a span matches a span of the other layer with the same start,
  end and label; F1 = 2 * matches / (spans of one + spans of the other);
- relaxed span F1: a span matches when it overlaps a span of the other layer with
  the same label; precision is the share of one layer's spans that match, recall
  the share of the other's, F1 their harmonic mean (the same either way round);
- Cohen's kappa over tokens (``app/core/export/tokenizer.py``): per label, each
  token is in (it overlaps a span of that label) or out.

Krippendorff's alpha (nominal) is computed across all annotators, its units the
tokens of the articles finished by at least two of them, each annotator who
finished the article giving a value.

Labels overlap (a CLAIM span holds a PERSON span), so no token has one label.
The overall figures therefore never give a token a single label: overall kappa
and alpha pool the per-label in/out decisions, one unit per token and label
(a 2x2 table summed over the labels), and overall F1 counts the spans of every
label together. A figure that is undefined (no spans, or every token out in
both layers for kappa) is None.

The gold layer (a reviewer's) is left out unless asked for: agreement is about
the annotators. Pure Python: three annotators on 10,000 news articles with
430,000 spans take about 12 s of CPU the first time (most of it tokenizing),
5 s again with the tokens kept (benchmarks/agreement_bench.py).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, combinations
from threading import Lock
from typing import Any

from sqlalchemy import text

from app.core.db.in_lists import select_in
from app.core.db.store import Store
from app.core.export.tokenizer import tokenize
from app.core.team import status
from app.core.team.identity import GOLD_LAYER

OVERALL = ""  # the key of the figures over every chosen label
MEASURES = {"strict_f1": "Strict F1", "relaxed_f1": "Relaxed F1", "kappa": "Cohen's kappa"}


@dataclass(frozen=True)
class AgreementOptions:
    labels: tuple[str, ...] = ()  # only these labels (all when empty)
    annotators: tuple[str, ...] = ()  # only these annotators (all who finished an article when empty)
    include_gold: bool = False


@dataclass
class Counts:
    """What the figures of one pair (and one label, or all) are computed from."""

    spans_a: int = 0
    spans_b: int = 0
    strict: int = 0  # spans identical in both layers
    relaxed_a: int = 0  # spans of a overlapping a span of b with the same label
    relaxed_b: int = 0
    tokens: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # in both, only a, only b, in neither

    def add(self, other: Counts) -> None:
        self.spans_a += other.spans_a
        self.spans_b += other.spans_b
        self.strict += other.strict
        self.relaxed_a += other.relaxed_a
        self.relaxed_b += other.relaxed_b
        self.tokens = [x + y for x, y in zip(self.tokens, other.tokens, strict=True)]

    @property
    def strict_f1(self) -> float | None:
        spans = self.spans_a + self.spans_b
        return 2 * self.strict / spans if spans else None

    @property
    def relaxed_f1(self) -> float | None:
        if not self.spans_a and not self.spans_b:
            return None
        precision = self.relaxed_a / self.spans_a if self.spans_a else 0.0
        recall = self.relaxed_b / self.spans_b if self.spans_b else 0.0
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    @property
    def kappa(self) -> float | None:
        return cohen_kappa(*self.tokens)

    def figures(self) -> dict[str, float | None]:
        return {"strict_f1": self.strict_f1, "relaxed_f1": self.relaxed_f1, "kappa": self.kappa}


def cohen_kappa(both: int, only_a: int, only_b: int, neither: int) -> float | None:
    """Cohen's kappa of a 2x2 table of two raters' in/out decisions; None when chance agreement is total."""
    n = both + only_a + only_b + neither
    if not n:
        return None
    observed = (both + neither) / n
    expected = ((both + only_a) * (both + only_b) + (only_b + neither) * (only_a + neither)) / (n * n)
    return None if expected >= 1 else (observed - expected) / (1 - expected)


def krippendorff_binary(units: Counter[tuple[int, int]]) -> float | None:
    """Krippendorff's alpha (nominal) of binary values: ``units[(m, k)]`` counts the units that ``m`` raters
    valued, ``k`` of them "in". Units with fewer than two values cannot be paired and are left out."""
    ones = zeros = 0
    disagreeing = 0.0  # the off-diagonal of the coincidence matrix, o(0,1) + o(1,0)
    for (m, k), count in units.items():
        if m < 2:
            continue
        ones += count * k
        zeros += count * (m - k)
        disagreeing += count * 2 * k * (m - k) / (m - 1)
    n = ones + zeros
    if not ones or not zeros:
        return None  # one value throughout: nothing to agree about by chance either
    return 1 - (n - 1) * disagreeing / (2 * ones * zeros)


@dataclass(frozen=True)
class PairAgreement:
    a: str
    b: str
    shared: int  # articles both finished
    labels: dict[str, Counts]  # by label name, and OVERALL

    def figure(self, measure: str, label: str = OVERALL) -> float | None:
        counts = self.labels.get(label)
        return getattr(counts, measure) if counts is not None else None


@dataclass(frozen=True)
class ArticleAgreement:
    article_id: int
    uid: str
    title: str
    annotators: tuple[str, ...]
    # By label (and OVERALL), each measure's mean over the article's pairs of annotators; an undefined
    # figure (neither labelled anything of it) counts as full agreement.
    by_label: dict[str, dict[str, float]]

    @property
    def figures(self) -> dict[str, float]:
        return self.by_label[OVERALL]


@dataclass
class AgreementReport:
    annotators: list[str]  # who finished at least one article, in name order
    finished: dict[str, int]  # articles each marked done
    labels: list[str]
    pairs: list[PairAgreement]
    alpha: dict[str, float | None]  # by label name, and OVERALL
    alpha_articles: int  # articles finished by two or more annotators: alpha's units are their tokens
    articles: list[ArticleAgreement]

    def pair(self, a: str, b: str) -> PairAgreement | None:
        for p in self.pairs:
            if {p.a, p.b} == {a, b}:
                return p
        return None

    def lowest(self, measure: str = "strict_f1", limit: int = 20, label: str = OVERALL) -> list[ArticleAgreement]:
        """The articles with the lowest agreement by ``measure`` (on ``label``), lowest first."""
        return sorted(self.articles, key=lambda art: (art.by_label[label][measure], art.article_id))[:limit]

    def to_json(self, lowest: int = 20) -> dict[str, Any]:
        def figures(counts: Counts) -> dict[str, Any]:
            return {**counts.figures(), "spans": [counts.spans_a, counts.spans_b], "strict_matches": counts.strict}

        return {
            "annotators": self.annotators,
            "finished": self.finished,
            "labels": self.labels,
            "pairs": [{"annotators": [p.a, p.b], "shared_articles": p.shared, "overall": figures(p.labels[OVERALL]),
                       "labels": {name: figures(p.labels[name]) for name in self.labels}} for p in self.pairs],
            "alpha": {"overall": self.alpha.get(OVERALL), "labels": {n: self.alpha.get(n) for n in self.labels},
                      "articles": self.alpha_articles},
            "lowest_articles": [{"id": art.article_id, "uid": art.uid, "title": art.title,
                                 "annotators": list(art.annotators), **art.figures}
                                for art in self.lowest("strict_f1", lowest)],
        }


@dataclass
class _Layer:
    """One annotator's spans of one article, and the tokens each label covers."""

    spans: dict[str, set[tuple[int, int]]] = field(default_factory=dict)  # label: (start, end) of its spans
    covered: dict[str, set[int]] = field(default_factory=dict)  # label: indexes of the tokens it covers


@dataclass
class _Article:
    uid: str
    title: str
    tokens: int
    layers: dict[str, _Layer]  # by annotator: those who finished it


def compute(store: Store, options: AgreementOptions = AgreementOptions()) -> AgreementReport:
    """The agreement of the annotators' layers in ``store`` (read in one transaction)."""
    with store.begin() as conn:
        done = status.finished(conn, options.annotators)
        if not options.include_gold:
            done.pop(GOLD_LAYER, None)
        shared_ids = _shared(done)
        articles = _read_articles(conn, shared_ids, done, set(options.labels))
        labels = _labels(conn, options.labels, articles.values())
    return agreement_of(articles, done, labels)


def _shared(done: dict[str, set[int]]) -> set[int]:
    """Articles finished by at least two of the annotators."""
    seen = Counter(a for ids in done.values() for a in ids)
    return {a for a, n in seen.items() if n >= 2}


_TextKey = tuple[int, str, int]  # an article's id, text hash and length: its text as the cache knows it


class _TokenCache:
    """The token boundaries of articles by (id, text hash, text length), kept between computations.

    Tokenizing is most of the work (about half of it at 10,000 news articles); the
    window computes again after every stored change, and a text seldom changes.
    Boundaries as arrays of 32-bit offsets (about 4 KB per news article of 450
    tokens), at most ``LIMIT`` articles (some 40 MB), the least recently used
    dropped first. Only the process that computes agreement holds it (the window
    once View ▸ Agreement was opened).
    """

    LIMIT = 10_000

    def __init__(self) -> None:
        self._lock = Lock()
        self._kept: OrderedDict[_TextKey, tuple[array[int], array[int]]] = OrderedDict()

    def get(self, key: _TextKey) -> tuple[array[int], array[int]] | None:
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def put(self, key: _TextKey, body: str) -> tuple[array[int], array[int]]:
        tokens = tokenize(body)
        bounds = array("I", (s for s, _ in tokens)), array("I", (e for _, e in tokens))
        with self._lock:
            self._kept[key] = bounds
            while len(self._kept) > self.LIMIT:
                self._kept.popitem(last=False)
        return bounds


_TOKENS = _TokenCache()


def _read_articles(conn: Any, ids: set[int], done: dict[str, set[int]], labels: set[str]) -> dict[int, _Article]:
    articles: dict[int, _Article] = {}
    starts_ends: dict[int, tuple[array[int], array[int]]] = {}
    missing: dict[int, _TextKey] = {}
    for art_id, uid, title, thash, length in select_in(
            conn, "SELECT id, uid, title, text_hash, length(text) FROM article WHERE id IN :values", ids):
        key = (art_id, thash or "", length)
        bounds = _TOKENS.get(key)
        if bounds is None:
            missing[art_id] = key
        else:
            starts_ends[art_id] = bounds
        articles[art_id] = _Article(uid, title or "", 0,
                                    {who: _Layer() for who, finished in done.items() if art_id in finished})
    for art_id, body in select_in(conn, "SELECT id, text FROM article WHERE id IN :values", missing):
        starts_ends[art_id] = _TOKENS.put(missing[art_id], body)
    for art_id, art in articles.items():
        art.tokens = len(starts_ends[art_id][0])
    rows = select_in(conn, 'SELECT s.article_id, s.start, s."end", l.name, s.annotator FROM span s '
                           "JOIN label l ON l.id = s.label_id WHERE s.article_id IN :values", ids)
    for art_id, start, end, label, who in rows:
        layer = articles[art_id].layers.get(who) if art_id in articles else None
        if layer is None or (labels and label not in labels):
            continue
        layer.spans.setdefault(label, set()).add((start, end))
        starts, ends = starts_ends[art_id]
        # The tokens a span overlaps: those ending after its start and starting before its end.
        layer.covered.setdefault(label, set()).update(range(bisect_right(ends, start), bisect_left(starts, end)))
    return articles


def _labels(conn: Any, wanted: Sequence[str], articles: Iterable[_Article]) -> list[str]:
    """The chosen labels, or those the compared layers use, in the dataset's order.

    Not every label of the dataset: a label nobody used in these articles would
    add only tokens out in every layer, and lift the pooled kappa and alpha."""
    if wanted:
        return list(dict.fromkeys(wanted))
    names = [n for (n,) in conn.execute(text("SELECT name FROM label ORDER BY position, id"))]
    used = {label for art in articles for layer in art.layers.values() for label in layer.spans}
    return [n for n in names if n in used] + sorted(used - set(names))


def agreement_of(articles: dict[int, _Article], done: dict[str, set[int]], labels: list[str]) -> AgreementReport:
    annotators = sorted(done)
    pairs = []
    per_article: dict[int, list[dict[str, dict[str, float | None]]]] = defaultdict(list)
    for a, b in combinations(annotators, 2):
        shared = sorted(done[a] & done[b] & articles.keys())
        totals = {name: Counts() for name in (*labels, OVERALL)}
        for art_id in shared:
            art = articles[art_id]
            overall = Counts()
            figures = {}
            for name in labels:
                counts = _compare(art.layers[a], art.layers[b], name, art.tokens)
                totals[name].add(counts)
                overall.add(counts)
                figures[name] = counts.figures()
            totals[OVERALL].add(overall)
            figures[OVERALL] = overall.figures()
            per_article[art_id].append(figures)
        pairs.append(PairAgreement(a, b, len(shared), totals))
    alpha, alpha_articles = _alpha(articles, labels)
    return AgreementReport(
        annotators=annotators, finished={who: len(ids) for who, ids in sorted(done.items())}, labels=labels,
        pairs=pairs, alpha=alpha, alpha_articles=alpha_articles,
        articles=[ArticleAgreement(art_id, articles[art_id].uid, articles[art_id].title,
                                   tuple(sorted(articles[art_id].layers)),
                                   {name: _mean_figures([f[name] for f in figures]) for name in (*labels, OVERALL)})
                  for art_id, figures in per_article.items()])


def _compare(a: _Layer, b: _Layer, label: str, tokens: int) -> Counts:
    spans_a, spans_b = a.spans.get(label, set()), b.spans.get(label, set())
    counts = Counts(spans_a=len(spans_a), spans_b=len(spans_b))
    if spans_a and spans_b:
        counts.strict = len(spans_a & spans_b)
        counts.relaxed_a = _overlapping(spans_a, spans_b)
        counts.relaxed_b = _overlapping(spans_b, spans_a)
    in_a, in_b = a.covered.get(label, set()), b.covered.get(label, set())
    both = len(in_a & in_b)
    counts.tokens = [both, len(in_a) - both, len(in_b) - both, tokens - len(in_a | in_b)]
    return counts


def _overlapping(spans: set[tuple[int, int]], others: set[tuple[int, int]]) -> int:
    """How many of ``spans`` overlap one of ``others``: those starting before a span's end, the furthest
    reaching of them ending after its start (a sweep, not every pair: long articles have many spans)."""
    ordered = sorted(others)
    starts = [s for s, _ in ordered]
    reach = list(accumulate((e for _, e in ordered), max))
    found = 0
    for start, end in spans:
        before = bisect_left(starts, end)
        if before and reach[before - 1] > start:
            found += 1
    return found


def _mean_figures(figures: list[dict[str, float | None]]) -> dict[str, float]:
    """Each measure's mean over an article's pairs; an undefined figure (nothing labelled) is full agreement."""
    return {m: sum(1.0 if f[m] is None else f[m] for f in figures) / len(figures) for m in MEASURES}  # type: ignore[misc]


def _alpha(articles: dict[int, _Article], labels: list[str]) -> tuple[dict[str, float | None], int]:
    """Krippendorff's alpha per label and pooled over the labels, and how many articles gave units."""
    units: dict[str, Counter[tuple[int, int]]] = {name: Counter() for name in labels}
    counted = 0
    for art in articles.values():
        m = len(art.layers)
        if m < 2:
            continue
        counted += 1
        for name in labels:
            raters: Counter[int] = Counter()  # token index: how many annotators have it in a span of the label
            for layer in art.layers.values():
                raters.update(layer.covered.get(name, ()))
            tally = units[name]
            for k, tokens in Counter(raters.values()).items():
                tally[(m, k)] += tokens
            tally[(m, 0)] += art.tokens - len(raters)
    pooled: Counter[tuple[int, int]] = Counter()
    for tally in units.values():
        pooled.update(tally)
    return {**{name: krippendorff_binary(tally) for name, tally in units.items()},
            OVERALL: krippendorff_binary(pooled)}, counted
