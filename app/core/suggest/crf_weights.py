"""A CRFsuite model's weights read from its bytes, and tagging with them in NumPy.

CRFsuite tags one sequence per call, from feature strings it looks up one by one:
for a 50 KB article, building ~50,000 strings and handing them over took two thirds
of a prediction. Here the model is read once (:func:`read_weights`) and a text is
scored per word type: a token's state score is the sum of the weights of its
features (CRFsuite's, ``state[label] += weight`` over the item's attributes, those
the model does not know adding nothing), and a token's features are its own word's
plus, for each neighbour, that neighbour's word and shape (``crf._Features``). So
each word type's own and neighbour scores are summed once (:class:`WordScores`) and
a token's score is five rows added. :func:`viterbi` and :func:`marginals` then run
over all the parts of a text at once, as CRFsuite does for each: the same best path
(ties go to the lower label, as in CRFsuite), and the same probabilities up to the
order of floating-point additions.

The model file (CRFsuite's ``crf1d_model.c``): a 48-byte header of little-endian
uint32 (magic "lCRF", size, type, version, then the numbers of features (left 0), labels
and attributes and the offsets of the features, the label and attribute string tables,
and the feature references). A feature is (type, source, destination: uint32,
weight: float64), type 0 a state feature (attribute → label), 1 a transition (label
→ label). A string table (CQDB) maps an id to its record through a backward array
of offsets; a record is (id, size with the final NUL: uint32, the string).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import chain, repeat
from operator import itemgetter
from typing import NamedTuple

import numpy as np

_FEATURE = np.dtype([("type", "<u4"), ("source", "<u4"), ("destination", "<u4"), ("weight", "<f8")])
_CHUNK_HEADER = 12  # a feature chunk's id, size and count of features
_STATE, _TRANSITION = 0, 1
_CQDB_BACKWARD_OFFSET = 20  # where a string table's header holds the offset of its backward array
_RECORD_HEADER = 8  # a string record's id and size


class Weights(NamedTuple):
    labels: list[str]
    attributes: dict[bytes, int]  # attribute string → row of ``state``
    state: np.ndarray  # (attributes + 1, labels); the last row, all zero, stands for unknown attributes
    transition: np.ndarray  # (labels, labels): from, to


def read_weights(data: bytes) -> Weights:
    """The labels, attributes and weights of a CRFsuite model's bytes (see the module)."""
    header = np.frombuffer(data, "<u4", count=12)
    if data[:4] != b"lCRF":
        raise ValueError("not a CRFsuite model")
    labels, attributes = int(header[5]), int(header[6])
    off_features, off_labels, off_attributes = (int(value) for value in header[7:10])
    # The header's count of features stays 0: the feature chunk's own count is the one written.
    features = int(np.frombuffer(data, "<u4", count=1, offset=off_features + 8)[0])
    table = np.frombuffer(data, _FEATURE, count=features, offset=off_features + _CHUNK_HEADER)
    state = np.zeros((attributes + 1, labels))
    transition = np.zeros((labels, labels))
    states = table[table["type"] == _STATE]
    state[states["source"], states["destination"]] = states["weight"]
    transitions = table[table["type"] == _TRANSITION]
    transition[transitions["source"], transitions["destination"]] = transitions["weight"]
    names = _strings(data, off_attributes, attributes)
    return Weights(
        [name.decode() for name in _strings(data, off_labels, labels)],
        dict(zip(names, range(attributes), strict=True)),
        state,
        transition,
    )


def _strings(data: bytes, offset: int, count: int) -> list[bytes]:
    """The strings of ids 0..count-1 of the string table at ``offset``."""
    if not count:
        return []
    backward = int(np.frombuffer(data, "<u4", count=1, offset=offset + _CQDB_BACKWARD_OFFSET)[0])
    records = np.frombuffer(data, "<u4", count=count, offset=offset + backward).astype(np.int64) + offset
    raw = np.frombuffer(data, np.uint8)
    sizes = raw[records + 4].astype(np.int64)  # little-endian uint32 at record + 4, read byte by byte (unaligned)
    for shift, byte in ((8, 5), (16, 6), (24, 7)):
        sizes |= raw[records + byte].astype(np.int64) << shift
    starts = records + _RECORD_HEADER
    return [data[start:end] for start, end in zip(starts.tolist(), (starts + sizes - 1).tolist(), strict=True)]


MAX_WORDS = 30_000  # word types kept per model (a long-lived model meets many)
_Known = Callable[[list[str]], list[tuple[list[bytes], tuple[list[bytes], ...], bool]]]


class WordScores:
    """Per word type, the state scores of its own features and of its features as each
    neighbour (rows of ``own`` and ``context[offset]``, which hold spare rows beyond
    those of the words seen), summed once per model."""

    def __init__(self, weights: Weights, known: _Known) -> None:
        self.weights = weights
        self._known = known  # words → their own and neighbour feature strings (crf._Features.known)
        self._fixed: dict[tuple[bytes, ...], np.ndarray] = {}
        self._clear()

    def _clear(self) -> None:
        self._rows: dict[str, int] = {}
        width = len(self.weights.labels)
        self.own = np.zeros((0, width))
        self.context = np.zeros((0, 0, width))  # (neighbour offset, row, label)

    def rows(self, words: list[str]) -> np.ndarray:
        """The rows of the words, those not seen before added."""
        try:  # most texts bring no new word after the first few
            return np.fromiter(map(self._rows.__getitem__, words), np.intp, len(words))
        except KeyError:
            pass
        if len(self._rows) >= MAX_WORDS:
            self._clear()
        self._add([word for word in dict.fromkeys(words) if word not in self._rows])
        return np.fromiter(map(self._rows.__getitem__, words), np.intp, len(words))

    def _add(self, words: list[str]) -> None:
        known = self._known(words)
        own = self._summed(list(map(itemgetter(0), known)))
        neighbours = list(map(itemgetter(1), known))
        context = np.stack([self._summed(list(map(itemgetter(k), neighbours))) for k in range(len(neighbours[0]))])
        size = len(self._rows)
        self._reserve(size + len(words), len(context))
        self.own[size : size + len(words)] = own
        self.context[:, size : size + len(words)] = context
        for word in words:
            self._rows[word] = len(self._rows)

    def _reserve(self, needed: int, offsets: int) -> None:
        """Room for ``needed`` rows: the capacity doubles (up to ``MAX_WORDS``), so that
        the rows are copied a few times per model, not once per text bringing new words."""
        if needed <= len(self.own):
            return
        capacity = max(needed, min(2 * len(self.own), MAX_WORDS))
        size = len(self._rows)
        own = np.zeros((capacity, self.own.shape[1]))
        context = np.zeros((offsets, capacity, self.own.shape[1]))
        if size:
            own[:size] = self.own[:size]
            context[:, :size] = self.context[:, :size]
        self.own, self.context = own, context

    def _summed(self, names: list[list[bytes]]) -> np.ndarray:
        """Per list of feature strings, the sum of their weights (looked up in C: a new
        article brings thousands of new words, each with 20 strings)."""
        ids = self.weights.attributes
        counts = np.fromiter(map(len, names), np.intp, len(names))
        flat = np.fromiter(map(ids.get, chain.from_iterable(names), repeat(len(ids))), np.intp, int(counts.sum()))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        summed = np.add.reduceat(self.weights.state.take(flat, axis=0), starts, axis=0)
        summed[counts == 0] = 0.0  # reduceat gives the row at an empty list's start
        return summed

    def scores(self, attributes: tuple[bytes, ...]) -> np.ndarray:
        """The summed weights of a few feature strings (the sentence start, the edges)."""
        summed = self._fixed.get(attributes)
        if summed is None:
            ids = self.weights.attributes
            rows = [ids.get(name, len(ids)) for name in attributes]
            summed = self._fixed[attributes] = self.weights.state[rows].sum(axis=0)
        return summed


GROUP_VALUES = 1 << 18  # values (positions x labels) of a group's tables: 2 MB each, whatever the labels


def named_parts(
    states: np.ndarray, lengths: np.ndarray, transition: np.ndarray, outside: int
) -> Iterator[tuple[int, list[int], list[float]]]:
    """Each part whose best labels are not all ``outside``: its index, its best labels and
    their probabilities. ``states`` (tokens, labels) holds the parts' state scores one part
    after the other, ``lengths`` the parts' lengths, longest first. The parts go in groups,
    each padded only to its own longest part: a table for all of a long text's parts at
    once, padded to the longest, took hundreds of MB."""
    width = states.shape[1]
    starts = np.concatenate([[0], np.cumsum(lengths)]).tolist()
    first = 0
    while first < len(lengths):
        longest = int(lengths[first])
        # A group's tables: (parts, longest, labels), and viterbi's (parts, labels, labels) at each step.
        stop = min(len(lengths), first + max(1, GROUP_VALUES // (max(longest, width) * width)))
        group = lengths[first:stop]
        inside = np.arange(longest) < group[:, None]
        scores = np.zeros((*inside.shape, width))
        scores[inside] = states[starts[first] : starts[stop]]
        tags = viterbi(scores, group, transition)
        named = np.flatnonzero(((tags != outside) & inside).any(axis=1))  # most parts hold no name
        if len(named):
            sure = marginals(scores[named], group[named], transition)
            within = inside[named]
            best = tags[named][within]  # the named parts' labels one part after the other
            ends = np.cumsum(group[named]).tolist()
            best_rows, sure_rows = best.tolist(), sure[within][np.arange(len(best)), best].tolist()
            for part, begin, end in zip((named + first).tolist(), [0, *ends[:-1]], ends, strict=True):
                yield part, best_rows[begin:end], sure_rows[begin:end]
        first = stop


def viterbi(scores: np.ndarray, lengths: np.ndarray, transition: np.ndarray) -> np.ndarray:
    """The best label of each position of each part: ``scores`` (parts, longest, labels)
    holds the state scores, ``lengths`` the parts' lengths, longest first (the rest of a
    part's row is padding; at each position only the parts that reach it are computed)."""
    parts, longest, width = scores.shape
    reaching = _reaching(lengths, longest)
    best = scores[:, 0].copy()
    back = np.zeros((longest, parts, width), np.intp)
    for t in range(1, longest):
        k = reaching[t]
        candidates = best[:k, :, None] + transition  # (part, from, to)
        back[t, :k] = candidates.argmax(axis=1)  # the first of equal maxima, as CRFsuite
        best[:k] = candidates.max(axis=1) + scores[:k, t]
    labels = np.zeros((parts, longest), np.intp)
    current = best.argmax(axis=1)  # each part's last label
    everyone = np.arange(parts)
    for t in range(longest - 1, -1, -1):
        if t + 1 < longest:  # the parts that go on after t step back; the others end at t
            k = reaching[t + 1]
            current[:k] = back[t + 1, everyone[:k], current[:k]]
        labels[: reaching[t], t] = current[: reaching[t]]
    return labels


def marginals(scores: np.ndarray, lengths: np.ndarray, transition: np.ndarray) -> np.ndarray:
    """P(label at position | part) for each part, shaped like ``scores`` (parts longest first),
    by forward-backward with the probabilities scaled at each position, as CRFsuite does."""
    parts, longest, _ = scores.shape
    reaching = _reaching(lengths, longest)
    state = np.exp(scores.transpose(1, 0, 2))  # (position, part, label): each step reads one block
    edge = np.exp(transition)
    forward = np.zeros(state.shape)
    scale = np.ones((longest, parts, 1))
    alpha = state[0]
    for t in range(longest):
        k = reaching[t]
        if t:
            alpha = (alpha[:k] @ edge) * state[t, :k]
        scale[t, :k] = total = alpha.sum(axis=1, keepdims=True)
        forward[t, :k] = alpha = alpha / total
    backward = np.zeros(state.shape)
    backward[lengths - 1, np.arange(parts)] = 1.0
    for t in range(longest - 2, -1, -1):
        k = reaching[t + 1]
        backward[t, :k] = ((state[t + 1, :k] * backward[t + 1, :k]) @ edge.T) / scale[t + 1, :k]
    return (forward * backward).transpose(1, 0, 2)


def _reaching(lengths: np.ndarray, longest: int) -> list[int]:
    """Per position, how many parts (longest first) reach it."""
    if len(lengths) > 1 and (np.diff(lengths) > 0).any():
        raise ValueError("parts must come longest first")
    return np.searchsorted(-lengths, -np.arange(longest), side="left").tolist()
