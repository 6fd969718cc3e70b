"""Learning a suggester from labelled documents.

``train_suggester(docs, *, rejected=(), starter=True)`` reads documents shaped as the
native export's lines, ``{"text": str, "spans": [{"start": int, "end": int, "label": str}, ...]}``
(other keys are ignored, as are spans that do not fit their text), and returns a
:class:`~app.core.suggest.blend.BlendedSuggester` of up to three layers:

- the dictionary of the labelled strings (always);
- a CRF trained on the documents (``app.core.suggest.crf``), when on documents held
  out of its training it does better than the dictionary alone; its spans then take
  precedence over the dictionary's;
- the shipped starter model (``app.core.suggest.starter``), its labels renamed to the
  dataset's: first while the dataset's own layers do no better on held-out
  documents, filling in after them once they do.

Each layer's score cut-offs (per rule and label) and the order of the layers are
chosen on held-out documents (``app.core.suggest.blend.choose_cutoffs``): for the
dictionary and the starter, each document as suggested for by a dictionary trained
on the others (k-fold); for the CRF, the last fifth of every five documents, by a
CRF and a dictionary trained on the rest. The CRF is then trained again on all,
from the same features (each document's built once). The CRF learns from the parts
of sentences around the words it tags (``crf.training_sequences``): the rest would
only teach it "O", at twice the training time.
With too few labelled spans to judge by, fixed conservative cut-offs apply.

The dictionary's entries (``train_dictionary``):

- every labelled string, with its majority label (most occurrences, then the
  alphabetically first label);
- the first and last names of multi-word persons, as persons (unless the name is
  more often labelled otherwise);
- an organisation's name before a corporate suffix ("Acme Corp." → "Acme");
- minus the strings the texts leave unlabelled more often than they label them
  (each rejected suggestion counting as one occurrence left unlabelled).

Labels of long spans are not learned: a span of more than 8 words, and every span
of a label whose median span is more than 6 words (claims, quotes).
"""

from __future__ import annotations

import functools
import statistics
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from itertools import accumulate, chain, compress
from typing import Any

from app.core.suggest.blend import (
    NEVER,
    BlendedSuggester,
    HeldOut,
    Layer,
    ModelLayer,
    Outcome,
    choose_cutoffs,
    describe_cutoffs,
)
from app.core.suggest.crf import CrfModel, TrainingSequence, training_sequences
from app.core.suggest.dictionary import (
    ANY,
    ENTRY,
    EXTENDED,
    FUNCTION_WORDS,
    LAST_NAME,
    PART,
    PERSON_LABELS,
    REPEAT,
    UNEXTENDED,
    DictionarySuggester,
    Entry,
    Group,
    RuledSuggestion,
    build_trie,
    scan,
)
from app.core.suggest.documents import Document, GoldSpan, valid_document
from app.core.suggest.starter import STARTER, StarterLayer, load_starter, starter_label_map
from app.core.suggest.tokens import Token, columns, fold, fold_words, is_capitalised, is_initial, is_word, tokenize

MAX_SPAN_WORDS = 8
MAX_MEDIAN_WORDS = 6
ORG_LABELS = frozenset({"ORG", "ORGANIZATION", "ORGANISATION", "COMPANY"})
CORPORATE_SUFFIXES = frozenset(
    s.casefold() for s in ("Inc", "Corp", "Corporation", "Ltd", "LLC", "AG", "SA", "GmbH", "plc", "Co")
)

FOLDS = 5  # the dictionary's hold-out: k-fold, each document suggested for by the others
MIN_HELD_OUT_GOLD = 20  # fewer held-out gold spans than this judge nothing: fixed cut-offs
# Fewer held-out gold spans than this do not judge the starter model: it stays first at its
# fixed cut-off (tuned on 10 GUM documents, ~75 spans, it was switched off in some orders
# and F1 fell below what it scores with nothing labelled).
MIN_STARTER_GOLD = 150
# A CRF is not tried on fewer documents: on its hold-out (a fifth of them) fewer than
# 16 documents over-fit its cut-offs (measured on GUM at 50 documents: held-out
# precision 0.75, on new documents 0.63).
MIN_CRF_DOCS = 80
CRF_WINDOWS = True
CRF_HOLD_OUT_EVERY = 5  # every fifth document is held out of the CRF tried
DICTIONARY, CRF = "dictionary", "crf"
# Untuned cut-offs: the labelled strings themselves, not what the rules guess from them;
# the starter only where it is fairly sure.
FIXED_CUTOFFS: dict[Group, float] = {
    (EXTENDED, ANY): NEVER,
    (PART, ANY): NEVER,
    (REPEAT, ANY): NEVER,
    (LAST_NAME, ANY): NEVER,
    (UNEXTENDED, ANY): NEVER,
    (STARTER, ANY): 0.8,
}

Key = tuple[str, ...]


def train_suggester(
    docs: Iterable[Mapping[str, Any]],
    *,
    rejected: Iterable[tuple[str, str]] = (),
    starter: bool | CrfModel = True,
    labels: Iterable[str] | None = None,
    crf: bool = True,
) -> BlendedSuggester:
    """A suggester learned from ``docs`` (see the module).

    ``rejected``: ``(surface, label)`` of suggestions the annotator rejected.
    ``starter``: blend in the shipped starter model when it is installed (or this
    model instead); False never. ``labels``: the dataset's entity labels, which
    name the starter's labels before any document has spans. ``crf``: False keeps to
    the dictionary (and the starter).
    """
    texts = valid_documents(docs)
    rejections = rejected_keys(rejected)
    # What each document teaches is found once: the hold-outs learn from most documents again.
    taught = taught_documents(texts)
    entity_labels = _short_labels(pair for doc in taught for pair in doc.sizes())
    gold = [{span for span in spans if span[2] in entity_labels} for _, spans in texts]
    dictionary = dictionary_of(taught, rejections)
    layers: dict[str, Layer] = {DICTIONARY: dictionary}
    starter_layer = _starter_layer(starter, entity_labels | set(labels or ()) if texts or labels else None)
    if starter_layer is not None:
        layers[STARTER] = starter_layer
    plan = _dictionary_plan(taught, gold, rejections, layers)
    if crf and len(texts) >= MIN_CRF_DOCS and entity_labels:
        # Each document's features are built once, for the CRF tried and the one kept.
        sequences = [training_sequences(doc, entity_labels, windows=CRF_WINDOWS) for doc in _as_docs(texts)]
        plan = _crf_plan(taught, gold, rejections, layers, sequences, plan)
        if CRF in plan[0]:
            layers[CRF] = ModelLayer(CrfModel.fit(chain.from_iterable(sequences)), CRF)
    order, cutoffs, held_out = plan
    blocked = _blocked(taught, rejections)
    return BlendedSuggester(
        [layers[name] for name in order],
        cutoffs,
        blocked=blocked,
        size=len(dictionary),
        description=_description(order, cutoffs, held_out, len(dictionary), len(blocked)),
    )


Plan = tuple[tuple[str, ...], dict[Group, float], Outcome | None]  # layer order, cut-offs, held-out outcome


def _starter_layer(starter: bool | CrfModel, dataset_labels: set[str] | None) -> Layer | None:
    """The starter as a layer, its labels the dataset's; None when off, missing or silent."""
    if starter is False:
        return None
    model = load_starter() if starter is True else starter
    if model is None:
        return None
    label_map = starter_label_map(model.labels, dataset_labels)
    if not label_map:
        return None
    return StarterLayer(label_map) if starter is True else ModelLayer(model, STARTER, label_map)


def _orders(layers: Collection[str]) -> list[tuple[str, ...]]:
    """The layer orders worth comparing: the CRF (when there) before the dictionary,
    the starter first, last or not at all."""
    own = tuple(name for name in (CRF, DICTIONARY) if name in layers)
    if STARTER not in layers:
        return [own]
    return [own, (STARTER, *own), (*own, STARTER)]


def _best(held_out: HeldOut, orders: Sequence[tuple[str, ...]]) -> Plan:
    best: Plan | None = None
    for order in orders:
        cutoffs, result = choose_cutoffs(held_out, order)
        if best is None or best[2] is None or result.key() > best[2].key():
            best = (order, {**FIXED_CUTOFFS, **cutoffs}, result)
    assert best is not None
    return best


def _dictionary_plan(texts: list[Taught], gold: list[set[GoldSpan]], rejected: list[tuple[Key, str]],
                     layers: Mapping[str, Layer]) -> Plan:
    """Order and cut-offs of the dictionary and the starter, from k-fold hold-outs."""
    folds = min(FOLDS, len(texts))
    if sum(map(len, gold)) < MIN_HELD_OUT_GOLD or folds < 2:
        order: tuple[str, ...] = (STARTER, DICTIONARY) if STARTER in layers else (DICTIONARY,)
        return order, dict(FIXED_CUTOFFS), None
    trained = [
        dictionary_of([doc for index, doc in enumerate(texts) if index % folds != fold], rejected)
        for fold in range(folds)
    ]

    def held_out_dictionary(index: int, text: str) -> list[RuledSuggestion]:
        return trained[index % folds].scored(text, texts[index].tokens, texts[index].keys)

    scorers = {DICTIONARY: held_out_dictionary}
    if STARTER in layers:
        scorers[STARTER] = _scorer(layers[STARTER])
    held_out = HeldOut.collect(gold, [doc.text for doc in texts], scorers)
    if STARTER in layers and held_out.gold_count < MIN_STARTER_GOLD:
        order = (STARTER, DICTIONARY)
        cutoffs, result = choose_cutoffs(held_out, order, FIXED_CUTOFFS, fixed_rules=[STARTER])
        return order, {**FIXED_CUTOFFS, **cutoffs}, result
    return _best(held_out, _orders(layers))


def _crf_plan(texts: list[Taught], gold: list[set[GoldSpan]], rejected: list[tuple[Key, str]],
              layers: Mapping[str, Layer], sequences: list[list[TrainingSequence]], without: Plan) -> Plan:
    """The plan with a CRF when, on held-out documents, it beats the plan without.
    ``sequences``: each document's training sentences (``crf.training_sequences``)."""
    held = [index % CRF_HOLD_OUT_EVERY == CRF_HOLD_OUT_EVERY - 1 for index in range(len(texts))]
    kept = [not out for out in held]
    training = list(compress(texts, kept))
    held_gold = [spans for spans, out in zip(gold, held, strict=True) if out]
    if sum(map(len, held_gold)) < MIN_HELD_OUT_GOLD:
        return without
    trial: dict[str, Layer] = {
        DICTIONARY: dictionary_of(training, rejected),
        CRF: ModelLayer(CrfModel.fit(chain.from_iterable(compress(sequences, kept))), CRF),
    }
    if STARTER in layers:
        trial[STARTER] = layers[STARTER]
    held_texts = [doc.text for doc, out in zip(texts, held, strict=True) if out]
    held_out = HeldOut.collect(held_gold, held_texts, {name: _scorer(layer) for name, layer in trial.items()})
    with_crf = _best(held_out, _orders(trial))
    alone = _best(held_out, _orders([name for name in trial if name != CRF]))
    assert with_crf[2] is not None and alone[2] is not None
    return with_crf if with_crf[2].key() > alone[2].key() else without


def _scorer(layer: Layer) -> Any:
    return lambda _index, text: layer.scored(text)


def _as_docs(texts: list[Document]) -> list[dict[str, Any]]:
    return [
        {"text": text, "spans": [{"start": s, "end": e, "label": label} for s, e, label in spans]}
        for text, spans in texts
    ]


def _blocked(texts: list[Taught], rejected: list[tuple[Key, str]]) -> set[tuple[Key, str]]:
    """Rejected strings rejected more often than the documents label them."""
    times_rejected = Counter(rejected)
    times_labelled: Counter[tuple[Key, str]] = Counter()
    wanted = {key for key, _ in times_rejected}
    for doc in texts:
        for key, _, _, label in doc.labelled:
            if key in wanted:
                times_labelled[key, label] += 1
    return {pair for pair, count in times_rejected.items() if count > times_labelled[pair]}


def _description(order: Sequence[str], cutoffs: Mapping[Group, float], held_out: Outcome | None, entries: int,
                 blocked: int) -> str:
    lines = [f"layers: {', '.join(order)} (earlier ones take precedence); {entries} dictionary entries, "
             f"{blocked} rejected strings blocked", f"cut-offs: {describe_cutoffs(cutoffs)}"]
    if held_out is None:
        lines.append("too few labelled spans to judge by: fixed cut-offs")
    else:
        lines.append(f"held out: precision {held_out.precision:.2f}, recall {held_out.recall:.2f}, "
                     f"F1 {held_out.f1:.2f}")
    return "\n".join(lines)


def train_dictionary(texts: list[Document], rejected: Iterable[tuple[Key, str]] = ()) -> DictionarySuggester:
    """The dictionary learned from documents' labelled strings (see the module); each
    ``(key, label)`` in ``rejected`` (see ``rejected_keys``) counts as one occurrence left unlabelled."""
    return dictionary_of(taught_documents(texts), rejected)


def dictionary_of(texts: Sequence[Taught], rejected: Iterable[tuple[Key, str]] = ()) -> DictionarySuggester:
    """``train_dictionary`` of documents already read (``taught_documents``)."""
    labels = _short_labels(pair for doc in texts for pair in doc.sizes())
    counts: dict[Key, Counter[str]] = defaultdict(Counter)
    labelled_whole: set[Key] = set()
    for doc in texts:
        for key, words, derived, label in doc.labelled:
            if label in labels and key and words <= MAX_SPAN_WORDS:
                counts[key][label] += 1
                labelled_whole.add(key)
                for part in derived:
                    counts[part][label] += 1
    majority = {key: min(counter.items(), key=lambda item: (-item[1], item[0])) for key, counter in counts.items()}
    unlabelled = _unlabelled_counts(texts, {key: (label, 1.0, ENTRY) for key, (label, _) in majority.items()})
    for key, label in rejected:
        if key in majority and majority[key][0] == label:
            unlabelled[key] += 1
    entries = {}
    for key, (label, labelled) in majority.items():
        missed = unlabelled[key]
        if missed <= labelled:
            entries[key] = (label, labelled / (labelled + missed), ENTRY if key in labelled_whole else PART)
    return DictionarySuggester(entries)


def valid_documents(docs: Iterable[Mapping[str, Any]]) -> list[Document]:
    return [valid_document(doc) for doc in docs]


def rejected_keys(rejected: Iterable[tuple[str, str]]) -> list[tuple[Key, str]]:
    """The dictionary keys of rejected ``(surface, label)`` pairs (malformed pairs skipped)."""
    keys = []
    for pair in rejected:
        if isinstance(pair, tuple | list) and len(pair) == 2 and all(isinstance(part, str) for part in pair):
            words = _span_words(pair[0])
            if words:
                keys.append((_key(words), pair[1]))
    return keys


def span_labels(texts: list[Document]) -> set[str]:
    """The labels of the documents' spans that a suggester learns (short spans: names, not claims)."""
    return learnable_labels([(_span_words(text[s:e]), label) for text, spans in texts for s, e, label in spans])


class Taught:
    """What one document teaches a dictionary, read once per training (the hold-outs learn
    from most documents several times): its tokens and their keys, and for each span its
    key (that of its trimmed words, ``_span_words``), number of words, the keys it derives
    (``_derived``) and its label."""

    __slots__ = ("_reach", "keys", "labelled", "spans", "text", "tokens")

    def __init__(self, document: Document) -> None:
        self.text, self.spans = document
        self.tokens = columns(self.text)
        self.keys = fold_words(self.tokens.words)
        self.labelled: list[tuple[Key, int, tuple[Key, ...], str]] = [
            (*_span_teaching(self.text[start:end], label), label) for start, end, label in self.spans
        ]
        # Per label, its spans' starts in order and the furthest end of the spans up to each:
        # whether a span holds a match is then one search, as each hold-out asks about its matches.
        by_label: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for start, end, label in self.spans:
            by_label[label].append((start, end))
        self._reach = {
            label: ([start for start, _ in spans], list(accumulate((end for _, end in spans), max)))
            for label, spans in ((label, sorted(spans)) for label, spans in by_label.items())
        }

    def sizes(self) -> Iterable[tuple[str, int]]:
        """Each span's label and number of words."""
        return ((label, words) for _, words, _, label in self.labelled)

    def covers(self, i: int, j: int, label: str) -> bool:
        """Whether a span of ``label`` holds tokens i..j-1."""
        reach = self._reach.get(label)
        if reach is None:
            return False
        before = bisect_right(reach[0], self.tokens.starts[i])  # the spans that start no later
        return before > 0 and reach[1][before - 1] >= self.tokens.ends[j - 1]


def taught_documents(texts: Iterable[Document]) -> list[Taught]:
    return [Taught(document) for document in texts]


@functools.lru_cache(maxsize=65536)
def _span_teaching(surface: str, label: str) -> tuple[Key, int, tuple[Key, ...]]:
    """A labelled string's key, number of words and the keys it derives (``_derived``, when
    it has words); cached: names repeat."""
    words = _span_words(surface)
    derived = tuple(_key(part) for part in _derived(words, label)) if words else ()
    return _key(words), _word_count(words), derived


@functools.lru_cache(maxsize=65536)
def _span_words(surface: str) -> list[Token]:
    """A labelled string's tokens, trimmed (see ``_trimmed``); cached: names repeat."""
    return _trimmed(tokenize(surface))


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


def learnable_labels(surfaces: list[tuple[list[Token], str]]) -> set[str]:
    """The labels whose median span is short enough for a dictionary."""
    return _short_labels((label, _word_count(words)) for words, label in surfaces)


def _short_labels(sizes: Iterable[tuple[str, int]]) -> set[str]:
    """``learnable_labels`` of each span's label and number of words."""
    lengths: dict[str, list[int]] = defaultdict(list)
    for label, words in sizes:
        lengths[label].append(words)
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


def _unlabelled_counts(texts: Sequence[Taught], entries: Mapping[Key, Entry]) -> Counter[Key]:
    """How often each entry occurs in the texts outside every span of its label."""
    root = build_trie(entries)
    missed: Counter[Key] = Counter()
    for doc in texts:
        keys = doc.keys
        for i, j, label, *_ in scan(root, keys, [False] * len(keys)):
            if not doc.covers(i, j, label):
                missed[tuple(keys[i:j])] += 1
    return missed
