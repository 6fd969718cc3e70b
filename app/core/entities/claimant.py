"""Who made a claim: the PERSON and ORG mentions of an article ranked as its claimant.

``propose_claimant(text, claim, mentions)`` takes an article's text, a CLAIM's
``(start, end)`` and the article's entity mentions ``(start, end, label)`` and
returns :class:`ClaimantProposal` s ``(start, end, label, reason)``, best first.
Only mentions whose label is one of ``person_labels`` or ``org_labels`` are
candidates; each name is offered once (its best-ranked mention). No candidate
gives an empty list.

The rules, in the order their proposals come:

1. Attribution. A mention next to a speech verb ("said", "told", "according
   to", "claimed", "warned", ...) in the claim's sentence, in the previous
   sentence, or — when the claim is quoted — in the next sentence
   (``“It is cheap.” Smith said so.``). "Next to" means the verb follows the
   name within three words ("Smith has said"), possibly after an apposition
   between commas ("Okafor, who chairs the association, warned"), or precedes
   it within five words ("said Smith", "according to a study from Hallowmere
   University"); a name right after "told" or "urged" is the listener, not the
   speaker ("she told Seacrest Tidal"). A pronoun next to a speech verb ("she told the meeting")
   stands for the nearest earlier person; "he"/"she" for a person, "it" for an
   organisation, "they" for either; a noun such as "the office" or "the
   board" for the nearest earlier organisation, one whose name holds that noun
   first ("Northvale Food Standards Office"). Among attributions: mentions
   outside the claim before those inside it, the claim's sentence before the
   next (quoted claims) and the previous one, names before pronouns, the verb
   nearer before farther, the mention nearer the claim before farther.
2. Any other mention of the claim's sentence, those outside the claim first,
   nearest the claim first.
3. Any mention of the previous sentence, nearest the claim first.

Sentences are those of ``app.core.suggest.tokens.sentence_start``, except that
a closing quote right after a full stop ends the sentence it closes rather
than beginning the next. Only the claim's sentences and their neighbours are
read, so the cost does not grow with the article (beyond one tokenization,
which the suggesters share).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable, Sequence
from typing import NamedTuple

from app.core.suggest.tokens import Token, is_word, sentence_start, tokenize

PERSON_LABELS = ("PERSON", "PER")
ORG_LABELS = ("ORG", "ORGANIZATION", "ORGANISATION")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Verbs that introduce reported speech, in the forms news text uses. "according"
# stands for "according to".
SPEECH_VERBS = _word_set("""
    say says said saying tell tells told telling according claim claims claimed claiming
    state states stated argue argues argued add adds added write writes wrote written
    announce announces announced insist insists insisted deny denies denied warn warns warned
    explain explains explained note notes noted reveal reveals revealed admit admits admitted
    acknowledge acknowledges acknowledged confirm confirms confirmed caution cautions cautioned
    urge urges urged predict predicts predicted forecast forecasts estimate estimates estimated
    assert asserts asserted allege alleges alleged suggest suggests suggested maintain maintains
    maintained reply replies replied respond responds responded contend contends contended
    report reports reported tweeted posted declared recalled stressed countered concluded
""")

# Verbs whose name after them is the listener, not the speaker ("told the council").
_LISTENER_VERBS = _word_set("tell tells told telling urge urges urged")

# Words that stand for a person or an organisation named earlier.
_PERSON_PRONOUNS = frozenset({"he", "she"})
_ORG_PRONOUNS = frozenset({"it"})
_ANY_PRONOUNS = frozenset({"they"})
# Nouns that refer back to an organisation ("the office said", "the board said").
_ORG_NOUNS = _word_set("""
    company firm office board council union ministry department agency government group
    association federation trust university institute bank party commission authority
    regulator airline charity organisation organization spokesperson spokesman spokeswoman
""")

_WORDS_AFTER = 3  # "Smith has also said"
_WORDS_BEFORE = 5  # "according to a study from X"
_APPOSITION_TOKENS = 30  # "Okafor, who chairs the Harbour Pilots' Association, warned"
_CLOSING = frozenset("”’»)\"'")
_OPENING_QUOTES = frozenset("“‘«\"'")
_SENTENCE_END = frozenset(".!?")

# Reasons, short enough for a hint in the span editor.
REASON_SPEECH = "next to “{verb}”"
REASON_PRONOUN = "“{pronoun} {verb}”, the nearest earlier name"
REASON_CLAIM_SENTENCE = "in the claim's sentence"
REASON_PREVIOUS_SENTENCE = "in the previous sentence"


class ClaimantProposal(NamedTuple):
    start: int
    end: int
    label: str
    reason: str


Mention = tuple[int, int, str]


def propose_claimant(text: str, claim: tuple[int, int], mentions: Iterable[Sequence], *,
                     person_labels: Collection[str] = PERSON_LABELS,
                     org_labels: Collection[str] = ORG_LABELS) -> list[ClaimantProposal]:
    """The mentions that may have made the claim ``text[claim[0]:claim[1]]``, best first (rules above)."""
    every = [(int(m[0]), int(m[1]), str(m[2])) for m in mentions if m[2] in person_labels or m[2] in org_labels]
    tokens = tokenize(text)
    if not every or not tokens:
        return []
    context = _Context(text, tokens, claim)
    # Only the mentions of the sentences around the claim are ranked (sorting them all
    # would cost more than the rest for an article with thousands); a pronoun may
    # still stand for any earlier one.
    lo, hi = context.span()
    candidates = sorted({m for m in every if m[0] < hi and m[1] > lo})
    ranked: list[tuple[tuple, ClaimantProposal]] = []
    for key, proposal in _attributions(context, candidates, every, person_labels, org_labels):
        ranked.append(((0, *key), proposal))
    for start, end, label in candidates:
        place = context.place(start)
        if place is None or place == "next":
            continue  # the next sentence counts only through a speech verb
        tier = 1 if place == "claim" else 2
        reason = REASON_CLAIM_SENTENCE if tier == 1 else REASON_PREVIOUS_SENTENCE
        ranked.append(((tier, context.inside(start, end), context.distance(start, end)),
                       ClaimantProposal(start, end, label, reason)))
    ranked.sort(key=lambda pair: pair[0])
    return _first_of_each_name(text, (proposal for _, proposal in ranked))


class _Context:
    """The claim's sentences and their neighbours, as token index ranges."""

    def __init__(self, text: str, tokens: list[Token], claim: tuple[int, int]) -> None:
        self.text, self.tokens = text, tokens
        self.claim_start, self.claim_end = claim
        self.starts = [t.start for t in tokens]
        first = max(0, min(bisect_right(self.starts, claim[0]) - 1, len(tokens) - 1))
        last = max(first, bisect_left(self.starts, claim[1]) - 1)
        begin = self._sentence_begin(first)
        finish = self._sentence_finish(last)
        self.claim_sentence = (begin, finish)
        self.previous = (self._sentence_begin(begin - 1), begin) if begin > 0 else (begin, begin)
        # A quoted claim is often attributed after it: “It is cheap.” Smith said so.
        quoted = self._quoted(begin, first)
        self.next = (finish, self._sentence_finish(finish)) if quoted and finish < len(tokens) else (finish, finish)

    def _starts_sentence(self, i: int) -> bool:
        tokens = self.tokens
        if i > 0 and tokens[i - 1].end == tokens[i].start and tokens[i].text in _CLOSING:
            return False  # a closing quote glued to the full stop belongs to the sentence it closes
        if sentence_start(self.text, tokens, i):
            return True
        return (i >= 2 and tokens[i - 1].text in _CLOSING and tokens[i - 2].text in _SENTENCE_END
                and tokens[i - 2].end == tokens[i - 1].start)

    def _sentence_begin(self, i: int) -> int:
        while i > 0 and not self._starts_sentence(i):
            i -= 1
        return i

    def _sentence_finish(self, i: int) -> int:
        """The index after the last token of the sentence holding token i."""
        i += 1
        while i < len(self.tokens) and not self._starts_sentence(i):
            i += 1
        return i

    def _quoted(self, begin: int, first: int) -> bool:
        before = self.text[self.tokens[begin].start:self.claim_start].strip()
        return self.tokens[begin].text in _OPENING_QUOTES or before[-1:] in _OPENING_QUOTES or (
            first > begin and self.tokens[first - 1].text in _OPENING_QUOTES)

    def span(self) -> tuple[int, int]:
        """The characters from the previous sentence's start to the end of the last sentence read."""
        first = min(self.previous[0], self.claim_sentence[0])
        last = max(self.next[1], self.claim_sentence[1]) - 1
        return self.tokens[first].start, self.tokens[last].end

    def token_range(self, start: int, end: int) -> tuple[int, int]:
        return bisect_left(self.starts, start), bisect_left(self.starts, end)

    def place(self, start: int) -> str | None:
        """Which sentence around the claim a position is in: "claim", "previous", "next" or None."""
        i = bisect_right(self.starts, start) - 1
        for name, (a, b) in (("claim", self.claim_sentence), ("previous", self.previous), ("next", self.next)):
            if a <= i < b:
                return name
        return None

    def inside(self, start: int, end: int) -> bool:
        return start < self.claim_end and end > self.claim_start

    def distance(self, start: int, end: int) -> int:
        if self.inside(start, end):
            return 0
        return self.claim_start - end if end <= self.claim_start else start - self.claim_end

    def speech_verb(self, first: int, after: int, *, before_too: bool = True) -> tuple[str, int] | None:
        """The speech verb next to tokens ``first`` to ``after`` (exclusive) and how many words lie between.

        ``before_too=False`` looks only after them: "it" in "said it would" is what was said, not who said it."""
        lo, hi = min(self.previous[0], self.claim_sentence[0]), max(self.next[1], self.claim_sentence[1])
        found = self._verb_after(after, hi)
        before = self._verb_before(first, lo) if before_too else None
        if before is not None and (found is None or before[1] < found[1]):
            found = before
        return found

    def _verb_after(self, i: int, hi: int) -> tuple[str, int] | None:
        tokens = self.tokens
        if i < hi and tokens[i].text == ",":
            # Skip an apposition: "Okafor, who chairs the association, warned".
            close = next((j for j in range(i + 1, min(hi, i + _APPOSITION_TOKENS)) if tokens[j].text in ",.!?;"), None)
            if close is None or tokens[close].text != ",":
                return None
            i = close + 1
        words = 0
        while i < hi and words <= _WORDS_AFTER:
            token = tokens[i].text
            if is_word(token):
                if token.casefold() in SPEECH_VERBS:
                    return token, words
                words += 1
            elif token not in _CLOSING and token not in _OPENING_QUOTES:
                return None  # a comma or a full stop ends the phrase
            i += 1
        return None

    def _verb_before(self, i: int, lo: int) -> tuple[str, int] | None:
        tokens = self.tokens
        words = 0
        i -= 1
        while i >= lo and words <= _WORDS_BEFORE:
            token = tokens[i].text
            if is_word(token):
                if token.casefold() in _LISTENER_VERBS:
                    return None  # "she told Seacrest Tidal": the name after "told" heard it
                if token.casefold() in SPEECH_VERBS:
                    return ("according to" if token.casefold() == "according" else token), words
                words += 1
            elif token not in _CLOSING and token not in _OPENING_QUOTES and token != ",":
                return None
            elif token == "," and words > 0:
                return None  # "said, Smith" is rare; "the turbines, Smith" is no attribution
            i -= 1
        return None


def _attributions(context: _Context, candidates: list[Mention], every: list[Mention], person_labels: Collection[str],
                  org_labels: Collection[str]) -> Iterable[tuple[tuple, ClaimantProposal]]:
    """Rule 1: named mentions and pronouns next to a speech verb, with their sort keys."""
    sentence_rank = {"claim": 0, "next": 1, "previous": 2}
    heads = _heads(context.text, candidates)
    for mention in candidates:
        place = context.place(mention[0])
        if place is None:
            continue
        first, after = context.token_range(mention[0], mention[1])
        verb = context.speech_verb(first, after)
        if verb is not None:
            # The verb after "Professor Adeyemi of the Calder Institute" is the professor's.
            start, end, label = heads.get(mention, mention)
            key = (context.inside(start, end), sentence_rank[place], 0, verb[1], context.distance(start, end))
            yield key, ClaimantProposal(start, end, label, REASON_SPEECH.format(verb=verb[0]))
    for place in ("claim", "next", "previous"):
        a, b = getattr(context, "claim_sentence" if place == "claim" else place)
        for i in range(a, b):
            word = context.tokens[i].text.casefold()
            if word in _PERSON_PRONOUNS:
                wanted = person_labels
            elif word in _ORG_PRONOUNS or word in _ORG_NOUNS:
                wanted = org_labels
            elif word in _ANY_PRONOUNS:
                wanted = (*person_labels, *org_labels)
            else:
                continue
            if context.inside(context.tokens[i].start, context.tokens[i].end):
                continue  # the claim's own "it" or "they" is what it is about
            # A pronoun speaks before its verb ("she told"); a noun may follow it ("according to the office").
            verb = context.speech_verb(i, i + 1, before_too=word in _ORG_NOUNS)
            if verb is None:
                continue
            named = _nearest_before(context, every, context.tokens[i], wanted, word in _ORG_NOUNS)
            if named is not None:
                key = (False, sentence_rank[place], 1, verb[1], context.distance(named[0], named[1]))
                reason = REASON_PRONOUN.format(pronoun=context.tokens[i].text, verb=verb[0])
                yield key, ClaimantProposal(*named, reason)


# What joins a name to the organisation it belongs to: "Adeyemi of the Calder Institute".
_OF = frozenset({"of", "of the", "at", "at the", "from", "from the", "with", "with the"})


def _heads(text: str, candidates: list[Mention]) -> dict[Mention, Mention]:
    """For each mention that qualifies the one before it ("X of Y"), the first mention of the chain."""
    heads: dict[Mention, Mention] = {}
    for before, mention in zip(candidates, candidates[1:], strict=False):
        between = " ".join(text[before[1]:mention[0]].split()).casefold()
        if between in _OF:
            heads[mention] = heads.get(before, before)
    return heads


def _nearest_before(context: _Context, candidates: Iterable[Mention], token: Token, labels: Collection[str],
                    noun: bool) -> Mention | None:
    """The last mention with one of ``labels`` before ``token``; for a noun, one whose name holds it if any."""
    earlier = [m for m in candidates if m[1] <= token.start and m[2] in labels]
    if noun:
        word = token.text.casefold()
        holding = [m for m in earlier if word in context.text[m[0]:m[1]].casefold().split()]
        earlier = holding or earlier
    return max(earlier, default=None)


def _first_of_each_name(text: str, proposals: Iterable[ClaimantProposal]) -> list[ClaimantProposal]:
    """The proposals in order, each name (its text, without case) only at its best place."""
    seen: set[str] = set()
    kept = []
    for proposal in proposals:
        name = text[proposal.start:proposal.end].casefold()
        if name not in seen:
            seen.add(name)
            kept.append(proposal)
    return kept
