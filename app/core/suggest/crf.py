"""A conditional random field that tags names, trained on a dataset's labelled spans.

:class:`CrfModel` wraps a CRFsuite model (``pycrfsuite``): each sentence is a
sequence of tokens (``app.core.suggest.tokens``) tagged BIO per label ("B-PERSON",
"I-PERSON", "O"). A token's features are its folded word, its shape, its prefixes
and suffixes, its capitalisation, and the words and shapes of the two tokens on each
side. There are deliberately no dictionary features ("this string was labelled
before"): with them the model leans on the dictionary and over-suggests.

``predict(text)`` returns ``[{"start", "end", "label", "score"}, ...]`` like the
dictionary suggester, ``score`` being the least marginal probability of the
predicted tags over the span's tokens (how sure the model is of every token in it).
CRFsuite trains the model; tagging reads its weights and tags a whole text at once
(``app.core.suggest.crf_weights``), with the tags and probabilities CRFsuite gives.

The model is bytes (``to_bytes``/``from_bytes``, ``save``/``load``), and pickles as
those bytes, so it travels between processes.
"""

from __future__ import annotations

import bisect
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Mapping
from itertools import compress, count
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pycrfsuite

from app.core.suggest.dictionary import FUNCTION_WORDS, Suggestion
from app.core.suggest.documents import valid_document
from app.core.suggest.tokens import Columns, Token, columns, starts_sentence, tokenize

if TYPE_CHECKING:  # numpy loads when a text is first tagged, not before the window's first paint
    import numpy as np

    from app.core.suggest.crf_weights import WordScores

OUTSIDE = "O"
# L-BFGS with light L1 and L2 regularisation: L1 keeps the model small (most of
# the affix and context features get no weight), L2 keeps rare words from dominating.
TRAINING_PARAMS: dict[str, Any] = {
    "c1": 0.05,
    "c2": 0.05,
    "max_iterations": 40,
    "feature.possible_transitions": True,
}
WINDOW = 2  # tokens tagged on each side of a capitalised one (see _windows)
TRAINING_WINDOW = 4  # and learned from: more of the words around names, to learn where they end
MAX_SENTENCE_TOKENS = 120
# Tokens to tag from which all parts are tagged at once (CrfModel.predict): about where the
# two ways take the same time, for a model that meets most of the text's words for the first
# time (with words it has met, and two models asking about the same text, from about 200).
ALL_AT_ONCE_FROM = 500
_LINE_BREAK = re.compile("\n")
_SENTENCE_END = frozenset(".!?")  # long runs without a sentence end (lists, tables) are cut

GoldSpan = tuple[int, int, str]


def shape(word: str) -> str:
    """The word's character classes with repeats collapsed: "Touvron" → "Xx", "J." → "X.", "2024" → "d"."""
    classes: list[str] = []
    for char in word:
        if char.isupper():
            kind = "X"
        elif char.islower():
            kind = "x"
        elif char.isdigit():
            kind = "d"
        else:
            kind = char
        if not classes or classes[-1] != kind:
            classes.append(kind)
    return "".join(classes)


_OFFSETS = (-2, -1, 1, 2)  # the neighbours whose word and shape a token's features hold
_EDGE = tuple((f"{offset}edge".encode(),) for offset in _OFFSETS)  # a neighbour beyond the sentence
MAX_CACHED_WORDS = 30_000  # ~1.5 KB of feature strings a word
_START = b"start"  # the feature of a sentence's first token
# A word's own features, its features as each neighbour (see _OFFSETS), and whether it is worth tagging.
_Word = tuple[list[bytes], tuple[list[bytes], ...], bool]


class _Features:
    """Feature strings of tokens. Those of each word (its own, and as each neighbour)
    are built once and cached: a text repeats most of its words, and a 50 KB article
    has 9,000 tokens to tag. They are kept UTF-8 encoded, as CRFsuite holds them:
    handing it strings would encode each one every time (half its reading time)."""

    def __init__(self) -> None:
        self._words: dict[str, _Word] = {}

    def _word(self, word: str) -> _Word:
        cached = self._words.get(word)
        if cached is None:
            lower, form = word.casefold(), shape(word)
            names = [
                "b",
                "w=" + lower,
                "s=" + form,
                "p1=" + lower[:1],
                "p2=" + lower[:2],
                "p3=" + lower[:3],
                "x2=" + lower[-2:],
                "x3=" + lower[-3:],
                "x4=" + lower[-4:],
            ]
            if word[:1].isupper():
                names.append("cap")
            if word.isupper() and len(word) > 1:
                names.append("upper")
            if any(char.isdigit() for char in word):
                names.append("digit")
            if "-" in word:
                names.append("hyphen")
            own = [name.encode() for name in names]
            context = tuple([f"{offset}w={lower}".encode(), f"{offset}s={form}".encode()] for offset in _OFFSETS)
            if len(self._words) >= MAX_CACHED_WORDS:  # a long-lived model meets many words
                self._words.clear()
            cached = self._words[word] = (own, context, worth_tagging(word))
        return cached

    def known(self, words: list[str]) -> list[_Word]:
        cached = self._words.get  # most words are known: no method call for them
        return [cached(word) or self._word(word) for word in words]

    def sequence(self, words: list[str]) -> list[list[bytes]]:
        """The features of a sentence's tokens (the first one marked as its start)."""
        return self.sequences(self.known(words), [(0, len(words))])[0]

    def sequences(self, known: list[_Word], parts: list[tuple[int, int]]) -> list[list[list[bytes]]]:
        """The features of the tokens of each part ``(first, end)`` of a sentence, from ``known(words)``."""
        last = len(known) - 1
        sequences = []
        for first, end in parts:
            sequence = [  # one list each, unpacked: no lists in between
                [
                    *known[i][0],
                    *(known[i - 2][1][0] if i >= 2 else _EDGE[0]),
                    *(known[i - 1][1][1] if i >= 1 else _EDGE[1]),
                    *(known[i + 1][1][2] if i < last else _EDGE[2]),
                    *(known[i + 2][1][3] if i < last - 1 else _EDGE[3]),
                ]
                for i in range(first, end)
            ]
            if sequence and first == 0:
                sequence[0].append(_START)
            sequences.append(sequence)
        return sequences


# Every model has the same features: one cache serves them all (the starter's and the dataset's).
_FEATURES = _Features()


class _Prepared(NamedTuple):
    """What tagging a text needs of it, whichever the model (see ``_prepared``)."""

    tokens: Columns
    sentence_first: np.ndarray  # per token, the first token of its sentence
    sentence_end: np.ndarray  # and the token after its sentence's last
    parts: list[tuple[int, int]]  # the tokens (first, after the last) of each part worth tagging
    # The parts' features as CRFsuite holds them, built by the first model that tags part by part.
    item_sequences: list[list[pycrfsuite.ItemSequence]]


_last_prepared: tuple[str, _Prepared] | None = None


def _prepared(text: str) -> _Prepared:
    """The text's tokens, sentences and the parts of them worth tagging. The last
    text's are kept for the next model asked about the same text (the app asks the
    dataset's model, then the starter's)."""
    import numpy as np

    global _last_prepared
    last = _last_prepared
    if last is not None and last[0] is text:
        return last[1]
    tokens = columns(text)
    words = tokens.words
    worth = list(map(itemgetter(2), _FEATURES.known(words)))
    bounds = sentence_bounds(text, tokens)
    parts = _sentence_windows(worth, bounds)
    lengths = [end - first for first, end in bounds]
    prepared = _Prepared(
        tokens,
        np.repeat(np.array([first for first, _ in bounds], np.intp), lengths),
        np.repeat(np.array([end for _, end in bounds], np.intp), lengths),
        parts,
        [],
    )
    _last_prepared = (text, prepared)
    return prepared


def _item_sequences(prepared: _Prepared) -> list[pycrfsuite.ItemSequence]:
    """The features of the text's parts, as CRFsuite holds them."""
    every = _FEATURES.known(prepared.tokens.words)
    sequences = []
    for first, end in prepared.parts:
        sentence, after = int(prepared.sentence_first[first]), int(prepared.sentence_end[first])
        part = [(first - sentence, end - sentence)]
        sequences.append(pycrfsuite.ItemSequence(_FEATURES.sequences(every[sentence:after], part)[0]))
    return sequences


def worth_tagging(word: str) -> bool:
    """A capitalised word, but a function word (such as a sentence's first "The")."""
    return word[:1].isupper() and word.casefold() not in FUNCTION_WORDS


def _windows(worth: list[bool], width: int = WINDOW) -> list[tuple[int, int]]:
    """The parts of a sentence worth tagging: the words ``worth_tagging`` with ``WINDOW``
    words on each side, overlapping parts merged. Names are capitalised, and away
    from them the model tags "O"; tagging only these parts takes a third of the time
    on a news article. Each part's tokens keep the features of the whole sentence."""
    return _sentence_windows(worth, [(0, len(worth))], width)


def _sentence_windows(worth: list[bool], bounds: list[tuple[int, int]], width: int = WINDOW) -> list[tuple[int, int]]:
    """``_windows`` of each sentence ``bounds`` (token ranges, in order) of a text, in one pass over its words."""
    windows: list[tuple[int, int]] = []
    sentence = iter(bounds)
    first = end = 0
    for i in compress(range(len(worth)), worth):  # only the words worth tagging are visited
        while i >= end:
            first, end = next(sentence)
        start, stop = max(first, i - width), min(end, i + width + 1)
        if windows and windows[-1][1] >= start and windows[-1][0] >= first:  # overlapping, in the same sentence
            windows[-1] = (windows[-1][0], stop)
        else:
            windows.append((start, stop))
    return windows


def sentences(text: str, tokens: list[Token]) -> list[tuple[int, int]]:
    """Token ranges (first, after last) of the text's sentences (``tokens.sentence_start``), long ones cut."""
    return sentence_bounds(text, Columns.of(tokens))


def sentence_bounds(text: str, tokens: Columns) -> list[tuple[int, int]]:
    """``sentences`` of the text's :class:`Columns`."""
    if not tokens.words:
        return []
    # Only tokens after a line break or after "." "!" "?" can start a sentence: the
    # others are not asked (a 50 KB article has 9,000 tokens).
    starts = tokens.starts
    candidates = {bisect.bisect_left(starts, match.start()) for match in _LINE_BREAK.finditer(text)}
    # "." "!" "?" are tokens of their own: the tokens after them are found in C.
    candidates.update(compress(count(1), map(_SENTENCE_END.__contains__, tokens.words)))
    n = len(starts)
    bounds = [0, *sorted(i for i in candidates if 0 < i < n and starts_sentence(text, tokens, i)), n]
    return [
        (cut, min(cut + MAX_SENTENCE_TOKENS, end))
        for first, end in zip(bounds, bounds[1:], strict=False)
        for cut in range(first, end, MAX_SENTENCE_TOKENS)
    ]


def bio_tags(tokens: list[Token], spans: Iterable[GoldSpan]) -> list[str]:
    """BIO tags of the tokens: a span tags the tokens wholly inside it. Of overlapping
    spans the leftmost is kept, the longest of those starting together."""
    tags = [OUTSIDE] * len(tokens)
    starts = [token.start for token in tokens]
    for start, end, label in sorted(spans, key=lambda span: (span[0], -span[1], span[2])):
        first = last = _first_at_or_after(starts, start)
        while last < len(tokens) and tokens[last].end <= end:
            last += 1
        if first == last or any(tag != OUTSIDE for tag in tags[first:last]):
            continue
        tags[first] = "B-" + label
        for i in range(first + 1, last):
            tags[i] = "I-" + label
    return tags


def _first_at_or_after(starts: list[int], offset: int) -> int:
    return bisect.bisect_left(starts, offset)


TrainingSequence = tuple[pycrfsuite.ItemSequence, list[str]]  # a sentence's features and BIO tags


def training_sequences(doc: Mapping[str, Any], labels: set[str] | None = None, *,
                       windows: bool = False) -> list[TrainingSequence]:
    """The sentences of a labelled document as the CRF learns them: each one's features
    (built once, in the form CRFsuite holds them, so that several trainings share them)
    and tags of ``labels`` (every label when None). ``windows``: only the parts of the
    sentences around the words ``predict`` tags (see ``_windows``), ``TRAINING_WINDOW``
    words on each side, about half of a news article's tokens: the CRF trains in about
    half the time. (With only the parts it tags, ``WINDOW`` words on each side, its
    precision fell by about 0.01 on held-out news.)"""
    text, spans = _doc_spans(doc, labels)
    tokens = tokenize(text)
    tags = bio_tags(tokens, spans)
    by_column = Columns.of(tokens)
    every = _FEATURES.known(by_column.words)
    worth = list(map(itemgetter(2), every))
    sequences = []
    for first, end in sentence_bounds(text, by_column):
        known = every[first:end]
        parts = _windows(worth[first:end], TRAINING_WINDOW) if windows else [(0, end - first)]
        for (start, stop), sequence in zip(parts, _FEATURES.sequences(known, parts), strict=True):
            sequences.append((pycrfsuite.ItemSequence(sequence), tags[first + start : first + stop]))
    return sequences


def _doc_spans(doc: Mapping[str, Any], labels: set[str] | None) -> tuple[str, list[GoldSpan]]:
    text, spans = valid_document(doc)
    return text, [span for span in spans if labels is None or span[2] in labels]


class CrfModel:
    """A trained CRF name tagger (see the module)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open_inmemory(data)
        self.labels = sorted({tag[2:] for tag in self._tagger.labels() if tag != OUTSIDE})
        # A tagger holds the sequence it tagged last, which marginal() reads, and tagging
        # all parts at once keeps its word types' scores: one thread at a time.
        self._lock = threading.Lock()
        self._scores: WordScores | None = None  # read from the model when first asked (the starter's is large)

    @classmethod
    def train(cls, docs: Iterable[Mapping[str, Any]], labels: Iterable[str] | None = None) -> CrfModel:
        """A model trained on ``docs`` (``{"text", "spans": [{"start", "end", "label"}]}``),
        for ``labels`` only when given, else for every label the spans use."""
        wanted = set(labels) if labels is not None else None
        return cls.fit([sequence for doc in docs for sequence in training_sequences(doc, wanted)])

    @classmethod
    def fit(cls, sequences: Iterable[TrainingSequence]) -> CrfModel:
        """A model trained on sentences' features and tags (``training_sequences``)."""
        trainer = pycrfsuite.Trainer(verbose=False)
        trainer.set_params(TRAINING_PARAMS)
        for features, tags in sequences:
            trainer.append(features, tags)
        # CRFsuite trains into a file only; the model is kept as its bytes.
        handle, name = tempfile.mkstemp(suffix=".crfsuite")
        os.close(handle)
        try:
            trainer.train(name)
            return cls(Path(name).read_bytes())
        finally:
            os.unlink(name)

    def predict(self, text: str) -> list[Suggestion]:
        """The spans the model tags in ``text``, sorted by start (see the module for the score).

        Tags each part worth tagging (``_windows``) with the features of ``_Features``:
        CRFsuite one part after the other in a short text, else all parts at once from the
        model's weights (see ``crf_weights``), which costs less per token but more to set up."""
        prepared = _prepared(text)
        if not prepared.parts:
            return []
        if sum(end - first for first, end in prepared.parts) < ALL_AT_ONCE_FROM:
            return self._tag_each(prepared)
        import numpy as np

        from app.core.suggest.crf_weights import WordScores, named_parts, read_weights

        # Parts longest first: at each position only the parts that reach it are computed.
        by_length = sorted(prepared.parts, key=lambda part: part[0] - part[1])
        firsts = np.array([first for first, _ in by_length], np.intp)
        lengths = np.array([end - first for first, end in by_length], np.intp)
        # The parts' tokens one after the other.
        tokens = np.repeat(firsts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + np.arange(lengths.sum())
        with self._lock:
            if self._scores is None:
                self._scores = WordScores(read_weights(self._data), _FEATURES.known)
            scores = self._scores
            states = self._states(scores, prepared, tokens)
        labels = scores.weights.labels
        outside = labels.index(OUTSIDE) if OUTSIDE in labels else -1
        starts = firsts.tolist()
        found: list[Suggestion] = []
        for part, tags, sure in sorted(named_parts(states, lengths, scores.weights.transition, outside),
                                       key=lambda named: starts[named[0]]):
            found.extend(_spans([labels[tag] for tag in tags], sure, prepared.tokens, starts[part]))
        return found

    def _tag_each(self, prepared: _Prepared) -> list[Suggestion]:
        """``predict`` by CRFsuite, one part at a time."""
        if not prepared.item_sequences:  # one list in it, whichever thread appends first
            prepared.item_sequences.append(_item_sequences(prepared))
        found: list[Suggestion] = []
        with self._lock:
            tagger = self._tagger
            for (first, _), sequence in zip(prepared.parts, prepared.item_sequences[0], strict=True):
                tags = tagger.tag(sequence)
                if tags.count(OUTSIDE) < len(tags):  # most parts hold no name: counted in C
                    sure = [0.0 if tag == OUTSIDE else tagger.marginal(tag, k) for k, tag in enumerate(tags)]
                    found.extend(_spans(tags, sure, prepared.tokens, first))
        return found

    @staticmethod
    def _states(scores: WordScores, prepared: _Prepared, tokens: np.ndarray) -> np.ndarray:
        """The state scores (tokens, labels) of the text's ``tokens`` (indices): the weights
        of each one's own word's features, of each neighbour's in the sentence (or of the
        edge beyond it), and of the sentence start at a sentence's first token (see ``_Features``)."""
        import numpy as np

        rows = scores.rows(prepared.tokens.words)
        first, end = prepared.sentence_first[tokens], prepared.sentence_end[tokens]
        states = scores.own[rows[tokens]]
        for k, offset in enumerate(_OFFSETS):
            neighbour = tokens + offset
            within = (neighbour >= first) & (neighbour < end)
            beside = scores.context[k][rows[np.where(within, neighbour, tokens)]]
            states += np.where(within[:, None], beside, scores.scores(_EDGE[k]))
        states[first == tokens] += scores.scores((_START,))
        return states

    def __call__(self, text: str) -> list[Suggestion]:
        return self.predict(text)

    def to_bytes(self) -> bytes:
        return self._data

    @classmethod
    def from_bytes(cls, data: bytes) -> CrfModel:
        return cls(data)

    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_bytes(self._data)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CrfModel:
        return cls(Path(path).read_bytes())

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        return (CrfModel, (self._data,))


def _spans(tags: list[str], sure: list[float], tokens: Columns, offset: int) -> list[Suggestion]:
    """Spans of the BIO tags of one part (an "I-" without its "B-" opens a span too), each
    scored by the least marginal probability ``sure`` of its tags."""
    spans: list[Suggestion] = []
    i = 0
    while i < len(tags):
        tag = tags[i]
        if tag == OUTSIDE:
            i += 1
            continue
        label = tag[2:]
        j = i + 1
        while j < len(tags) and tags[j] == "I-" + label:
            j += 1
        start, end = tokens.starts[offset + i], tokens.ends[offset + j - 1]
        spans.append(Suggestion(start=start, end=end, label=label, score=round(min(sure[i:j]), 4)))
        i = j
    return spans
