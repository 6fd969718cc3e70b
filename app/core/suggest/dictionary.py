"""The dictionary suggester: spans suggested by looking a text's tokens up in a trie.

:class:`DictionarySuggester` holds entries learned from a dataset's labels (see
``app.core.suggest.learn``); each entry is a sequence of folded tokens (see
``tokens.fold``) with a label and a score in 0..1. Calling the suggester on a text
returns ``[{"start", "end", "label", "score"}, ...]``, sorted by start and not
overlapping, each ``text[start:end]`` a run of whole tokens. It suggests in three steps:

1. leftmost-longest matches of the entries over the tokens;
2. each match extended over adjacent name words and initials ("Touvron" known →
   "Hugo Touvron", "J. R. Smith"), never across a sentence start, a line break or
   a common word (a function word, or a word the same text also writes lower-case);
3. every other occurrence of a suggested string in the same text, and of the last
   name of a suggested multi-word person ("Guillaume Lample" … "Lample").

Each suggestion comes from a rule (``RULES``): a labelled string ("entry"), a part of
one ("part": a person's first or last name, an organisation without its corporate
suffix), an extension or joining of matches ("extended"), another occurrence in the
same text ("repeat"), a last name alone ("last name"); where an extension is cut
off, the match it grew from ("unextended"). ``cutoffs`` maps
``(rule, label)`` to the least score kept of that rule's suggestions of that label
(chosen on held-out documents by ``app.core.suggest.learn``); ``scored(text)`` gives
every suggestion with its rule, before the cut-offs.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import compress
from typing import NamedTuple, TypedDict

from app.core.suggest.tokens import (
    Columns,
    columns,
    fold,
    fold_words,
    is_capitalised,
    is_initial,
    is_word,
    starts_sentence,
)

# Labels that name people: their last names are looked for on their own (step 3).
PERSON_LABELS = frozenset({"PERSON", "PER", "PEOPLE"})
MAX_EXTENSION = 3  # name words added on each side of a match
EXTENDED_FACTOR = 0.8  # an extended match is less sure than the entry it grew from
PROPAGATED_FACTOR = 0.9  # another occurrence of a string suggested in the same text
LAST_NAME_FACTOR = 0.6  # a last name alone, from a full name suggested in the text
# Capitalised words that are not names, though they start sentences and headings.
_FUNCTION_WORDS = """a about above according after again against all along alongside also although among an
    and another any are as at
    because been before being below besides between both but by despite did do does during each
    either even every few for from had has have having he her here hers him his how however i if in inside
    instead into is it its just last later like many meanwhile more most much my neither nevertheless next
    no nor not now of off on once one only or other our out over per perhaps since so some still such than
    that the their them then there these they this those though through thus to today too toward towards
    under unlike until up upon us via was we were what whatever when where whereas whether which while who
    whom whose why will with within without yet you your said says asked told added"""
# Endings of the verbs and adverbs that open sentences ("Compounding", "Asked", "Reportedly").
VERB_ENDINGS = ("ing", "ed", "ly")
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())

ENTRY, PART, EXTENDED, REPEAT, LAST_NAME = "entry", "part", "extended", "repeat", "last name"
UNEXTENDED = "unextended"  # the match an extension grew from, where the extension is cut off
RULES = (ENTRY, PART, EXTENDED, REPEAT, LAST_NAME, UNEXTENDED)

Entry = tuple[str, float, str]  # label, score, rule
Match = tuple[int, int, str, float, str]  # first token, token after the last, label, score, rule
Group = tuple[str, str]  # rule, label: the unit a score cut-off applies to
ANY = "*"  # the label of a cut-off that applies to all labels of its rule


class Suggestion(TypedDict):
    start: int
    end: int
    label: str
    score: float


class RuledSuggestion(NamedTuple):
    suggestion: Suggestion
    rule: str
    # What is suggested instead when this is cut off: the match an extension grew from.
    fallback: RuledSuggestion | None = None


def cutoff_of(cutoffs: Mapping[Group, float], group: Group) -> float:
    """The group's cut-off: its own, else its rule's for any label (``(rule, ANY)``), else none."""
    value = cutoffs.get(group)
    return value if value is not None else cutoffs.get((group[0], ANY), 0.0)


def passing(scored: list[RuledSuggestion], cutoffs: Mapping[Group, float]) -> list[Suggestion]:
    """The suggestions at or above their group's cut-off (or their fallbacks, when those are)."""
    kept = []
    for ruled in scored:
        if _passes(ruled, cutoffs):
            kept.append(ruled.suggestion)
        elif ruled.fallback is not None and _passes(ruled.fallback, cutoffs):
            kept.append(ruled.fallback.suggestion)
    return kept


def _passes(ruled: RuledSuggestion, cutoffs: Mapping[Group, float]) -> bool:
    return ruled.suggestion["score"] >= cutoff_of(cutoffs, (ruled.rule, ruled.suggestion["label"]))


class _Node:
    __slots__ = ("children", "entry")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.entry: Entry | None = None


def build_trie(entries: Mapping[tuple[str, ...], Entry]) -> _Node:
    root = _Node()
    for key, entry in entries.items():
        node = root
        for part in key:
            node = node.children.setdefault(part, _Node())
        node.entry = entry
    return root


def scan(root: _Node, keys: list[str], taken: list[bool]) -> list[Match]:
    """Leftmost-longest matches over the tokens not yet taken; marks the matched ones taken."""
    matches: list[Match] = []
    n = len(keys)
    # Most tokens start no entry: only those that do are visited (found in C). The tokens
    # of a match are taken, so the search goes on after it.
    for i in compress(range(n), map(root.children.__contains__, keys)):
        if taken[i]:
            continue
        node: _Node | None = root
        best: Match | None = None
        j = i
        while j < n and not taken[j] and node is not None:
            node = node.children.get(keys[j])
            j += 1
            if node is not None and node.entry is not None:
                best = (i, j, *node.entry)
        if best is not None:
            matches.append(best)
            for k in range(best[0], best[1]):
                taken[k] = True
    return matches


class DictionarySuggester:
    """Suggests spans of a text from a dictionary of token sequences.

    ``entries`` maps a tuple of folded tokens (``tokens.fold``) to ``(label, score, rule)``;
    ``cutoffs`` maps ``(rule, label)`` to the least score kept (none: all kept).
    """

    def __init__(self, entries: Mapping[tuple[str, ...], Entry], cutoffs: Mapping[Group, float] | None = None) -> None:
        self.entries = dict(entries)
        self.cutoffs = dict(cutoffs or {})
        self._root = build_trie(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __call__(self, text: str) -> list[Suggestion]:
        return passing(self.scored(text), self.cutoffs)

    def with_cutoffs(self, cutoffs: Mapping[Group, float]) -> DictionarySuggester:
        """The same dictionary with other cut-offs."""
        return DictionarySuggester(self.entries, cutoffs)

    def scored(self, text: str, tokens: Columns | None = None, keys: list[str] | None = None) -> list[RuledSuggestion]:
        """Every suggestion with the rule it comes from, cut-offs not applied. ``tokens`` and
        ``keys``: the text's ``columns`` and their ``fold_words``, when the caller has them
        (training asks dictionaries of its hold-outs about the same texts)."""
        if tokens is None:
            tokens = columns(text)
        if keys is None:
            keys = fold_words(tokens.words)
        taken = [False] * len(keys)
        matches = scan(self._root, keys, taken)
        if not matches:
            return []
        extender = _Extender(text, tokens, keys, taken)
        matches = extender.extend_all(matches)
        again = scan(_same_text_trie(matches, tokens.words, keys), keys, [False] * len(keys))
        matches = _with_same_text(matches, again)

        starts, ends = tokens.starts, tokens.ends

        def ruled(match: Match, rule: str, fallback: RuledSuggestion | None = None) -> RuledSuggestion:
            i, j, label, score, _ = match
            suggestion = Suggestion(start=starts[i], end=ends[j - 1], label=label, score=round(score, 4))
            return RuledSuggestion(suggestion, rule, fallback)

        grown_from = extender.grown_from
        return [
            ruled(match, match[4], ruled(grown_from[match], UNEXTENDED) if match in grown_from else None)
            for match in matches
        ]


class _Extender:
    """Grows matches over the name words next to them (step 2)."""

    def __init__(self, text: str, tokens: Columns, keys: list[str], taken: list[bool]) -> None:
        self.text = text
        self.tokens = tokens
        self.words = tokens.words
        self.taken = taken
        # A word the text also writes lower-case is a common word, not a name; the keys
        # of capitalised words are marked (see ``fold``), so these are the others.
        self.lower_words = set(keys)
        self.grown_from: dict[Match, Match] = {}  # extended match → the entry's match it grew from

    def starts(self, i: int) -> bool:
        return starts_sentence(self.text, self.tokens, i)

    def extend_all(self, matches: list[Match]) -> list[Match]:
        extended: list[Match] = []
        for i, j, label, score, rule in self._joined(matches):
            first, last = self._left(i, label.upper() in PERSON_LABELS), self._right(j)
            for k in range(first, last):
                self.taken[k] = True
            if (first, last) != (i, j):
                grown = (first, last, label, score * EXTENDED_FACTOR, EXTENDED)
                if rule != EXTENDED:  # not joined from two matches: there is one to fall back to
                    self.grown_from[grown] = (i, j, label, score, rule)
                extended.append(grown)
            else:
                extended.append((i, j, label, score, rule))
        return extended

    def _joined(self, matches: list[Match]) -> list[Match]:
        """Adjacent matches of one person joined: "Hugo" and "Touvron" known apart."""
        joined: list[Match] = []
        for i, j, label, score, rule in matches:
            person = label.upper() in PERSON_LABELS
            if person and joined and joined[-1][1] == i and joined[-1][2] == label and not self.starts(i):
                first, _, _, before, _ = joined.pop()
                i, score, rule = first, min(score, before) * EXTENDED_FACTOR, EXTENDED
            joined.append((i, j, label, score, rule))
        return joined

    def _name_word(self, k: int) -> bool:
        if k < 0 or k >= len(self.words) or self.taken[k]:
            return False
        word = self.words[k]
        return (
            len(word) > 1
            and is_capitalised(word)
            and not word[1:].isupper()  # "CEO", "AI": acronyms are often titles or products
            and word.replace("-", "").replace("'", "").replace("’", "").isalpha()
            and word.casefold() not in FUNCTION_WORDS
            and word.casefold() not in self.lower_words
        )

    def _initial_before(self, k: int) -> bool:
        """Tokens k-1, k are an initial and its period ("J", ".")."""
        return (
            k >= 1
            and self.words[k] == "."
            and is_initial(self.words[k - 1])
            and not (self.taken[k] or self.taken[k - 1])
        )

    def _left(self, first: int, person: bool) -> int:
        """Grows leftwards; a sentence's first word joins only a person's name
        ("Hugo Touvron said"), as other sentences often open with a capitalised
        verb or adverb ("Compounding Meta's troubles")."""
        added = 0
        while added < MAX_EXTENSION and not self.starts(first):
            if self._initial_before(first - 1):
                before = first - 2
            elif self._name_word(first - 1):
                before = first - 1
            else:
                break
            if self.starts(before) and (not person or self.words[before].endswith(VERB_ENDINGS)):
                break
            first = before
            added += 1
        return first

    def _right(self, end: int) -> int:
        added = 0
        while added < MAX_EXTENSION and end < len(self.words) and not self.starts(end) and self._name_word(end):
            end += 1
            added += 1
        return end


def _same_text_trie(matches: list[Match], words: list[str], keys: list[str]) -> _Node:
    """The strings suggested in a text, and the last names of its multi-word persons (step 3)."""
    found: dict[tuple[str, ...], Entry] = {}
    for i, j, label, score, _ in matches:
        found.setdefault(tuple(keys[i:j]), (label, score * PROPAGATED_FACTOR, REPEAT))
    for i, j, label, score, _ in matches:
        inside = [k for k in range(i, j) if is_word(words[k])]
        last = words[inside[-1]] if inside else ""
        if label.upper() in PERSON_LABELS and len(inside) >= 2 and len(last) > 1 and is_capitalised(last):
            found.setdefault((fold(last),), (label, score * LAST_NAME_FACTOR, LAST_NAME))
    return build_trie(found)


def _with_same_text(matches: list[Match], again: list[Match]) -> list[Match]:
    """The matches, plus each repeated occurrence that overlaps none of them or holds
    all it overlaps ("HUGO TOUVRON" over the dictionary's "TOUVRON")."""
    owner: dict[int, int] = {}
    for index, (i, j, *_) in enumerate(matches):
        for k in range(i, j):
            owner[k] = index
    replaced: set[int] = set()
    added: list[Match] = []
    for match in again:
        i, j = match[0], match[1]
        inside = {owner[k] for k in range(i, j) if k in owner}
        if all(i <= matches[m][0] and matches[m][1] <= j and matches[m][1] - matches[m][0] < j - i for m in inside):
            replaced |= inside
            added.append(match)
    kept = [match for index, match in enumerate(matches) if index not in replaced]
    return sorted(kept + added)
