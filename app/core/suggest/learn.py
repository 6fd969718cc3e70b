"""Learning a :class:`DictionarySuggester` from labelled documents.

``train_suggester(docs)`` reads documents shaped as the native export's lines,
``{"text": str, "spans": [{"start": int, "end": int, "label": str}, ...]}`` (other
keys are ignored, as are spans that do not fit their text), and builds entries:

- every labelled string, with its majority label (most occurrences, then the
  alphabetically first label);
- the first and last names of multi-word persons, as persons (unless the name is
  more often labelled otherwise);
- an organisation's name before a corporate suffix ("Acme Corp." → "Acme");
- minus the strings the texts leave unlabelled more often than they label them.

Labels of long spans are not learned: a span of more than 8 words, and every span
of a label whose median span is more than 6 words (claims, quotes).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from app.core.suggest.dictionary import FUNCTION_WORDS, PERSON_LABELS, DictionarySuggester, Entry, build_trie, scan
from app.core.suggest.tokens import Token, fold, fold_all, is_capitalised, is_initial, is_word, tokenize

MAX_SPAN_WORDS = 8
MAX_MEDIAN_WORDS = 6
ORG_LABELS = frozenset({"ORG", "ORGANIZATION", "ORGANISATION", "COMPANY"})
CORPORATE_SUFFIXES = frozenset(
    s.casefold() for s in ("Inc", "Corp", "Corporation", "Ltd", "LLC", "AG", "SA", "GmbH", "plc", "Co")
)

Key = tuple[str, ...]
GoldSpan = tuple[int, int, str]


def train_suggester(docs: Iterable[Mapping[str, Any]]) -> DictionarySuggester:
    """A suggester whose dictionary is the labelled strings of ``docs`` (see the module)."""
    texts: list[tuple[str, list[GoldSpan]]] = []
    surfaces: list[tuple[list[Token], str]] = []
    for doc in docs:
        text, spans = _valid_spans(doc)
        texts.append((text, spans))
        surfaces.extend((_trimmed(tokenize(text[start:end])), label) for start, end, label in spans)
    labels = _learnable_labels(surfaces)
    counts: dict[Key, Counter[str]] = defaultdict(Counter)
    for words, label in surfaces:
        if label in labels and words and _word_count(words) <= MAX_SPAN_WORDS:
            counts[_key(words)][label] += 1
            for derived in _derived(words, label):
                counts[_key(derived)][label] += 1
    majority = {key: min(counter.items(), key=lambda item: (-item[1], item[0])) for key, counter in counts.items()}
    unlabelled = _unlabelled_counts(texts, {key: (label, 1.0) for key, (label, _) in majority.items()})
    entries = {}
    for key, (label, labelled) in majority.items():
        missed = unlabelled[key]
        if missed <= labelled:
            entries[key] = (label, labelled / (labelled + missed))
    return DictionarySuggester(entries)


def _valid_spans(doc: Mapping[str, Any]) -> tuple[str, list[GoldSpan]]:
    text = doc.get("text")
    if not isinstance(text, str):
        return "", []
    spans = []
    for span in doc.get("spans") or ():
        if not isinstance(span, Mapping):
            continue
        start, end, label = span.get("start"), span.get("end"), span.get("label")
        if isinstance(start, int) and isinstance(end, int) and isinstance(label, str) and 0 <= start < end <= len(text):
            spans.append((start, end, label))
    return text, spans


def _trimmed(tokens: list[Token]) -> list[Token]:
    """A span's tokens without the punctuation and possessive around its words.

    A final period stays after an initial or a corporate suffix ("J.", "Corp.").
    """
    while tokens and not is_word(tokens[0].text):
        tokens = tokens[1:]
    while tokens and not is_word(tokens[-1].text) or _possessive(tokens):
        if tokens[-1].text == "." and len(tokens) >= 2 and _abbreviated(tokens[-2].text):
            break
        tokens = tokens[:-1]
    return tokens


def _possessive(tokens: list[Token]) -> bool:
    return len(tokens) >= 2 and tokens[-1].text[:1] in "'’"


def _abbreviated(word: str) -> bool:
    return is_initial(word) or word.casefold() in CORPORATE_SUFFIXES


def _word_count(tokens: list[Token]) -> int:
    return sum(is_word(token.text) for token in tokens)


def _key(tokens: list[Token]) -> Key:
    return tuple(fold(token.text) for token in tokens)


def _learnable_labels(surfaces: list[tuple[list[Token], str]]) -> set[str]:
    """The labels whose median span is short enough for a dictionary."""
    lengths: dict[str, list[int]] = defaultdict(list)
    for words, label in surfaces:
        lengths[label].append(_word_count(words))
    return {label for label, counts in lengths.items() if statistics.median(counts) <= MAX_MEDIAN_WORDS}


def _derived(tokens: list[Token], label: str) -> list[list[Token]]:
    """The entries a labelled string teaches besides itself: a person's first and last
    names, an organisation's name without its corporate suffix."""
    if label.upper() in PERSON_LABELS:
        words = [token for token in tokens if is_word(token.text)]
        if len(words) < 2:
            return []
        return [[name] for name in (words[0], words[-1]) if _name_part(name.text)]
    if label.upper() in ORG_LABELS:
        name = tokens[:-1] if tokens[-1].text == "." else tokens
        if len(name) >= 2 and name[-1].text.casefold() in CORPORATE_SUFFIXES:
            name = name[:-1]
            while name and not is_word(name[-1].text):  # "Acme, Inc."
                name = name[:-1]
            return [name] if name else []
    return []


def _name_part(word: str) -> bool:
    return len(word) > 1 and is_capitalised(word) and word.casefold() not in FUNCTION_WORDS


def _unlabelled_counts(texts: list[tuple[str, list[GoldSpan]]], entries: Mapping[Key, Entry]) -> Counter[Key]:
    """How often each entry occurs in the texts outside every span of its label."""
    root = build_trie(entries)
    missed: Counter[Key] = Counter()
    for text, spans in texts:
        by_label: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for start, end, label in spans:
            by_label[label].append((start, end))
        tokens = tokenize(text)
        keys = fold_all(tokens)
        for i, j, label, _ in scan(root, keys, [False] * len(tokens)):
            start, end = tokens[i].start, tokens[j - 1].end
            if not any(s <= start and end <= e for s, e in by_label[label]):
                missed[tuple(keys[i:j])] += 1
    return missed
