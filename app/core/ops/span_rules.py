"""The rules of spans, written once: their order, what makes one a repeat, what a new claim holds.

The dataset lists an article's spans in ``SPAN_ORDER_SQL`` and the window,
which shows edits before they are stored, places them with ``span_order``:
the same order. A span repeats another when one annotator labels the same
range of an article with the same label twice; the database refuses that too
(a unique constraint), but the window must know before its write is queued.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from app.core.settings import DEFAULT_VERDICTS

if TYPE_CHECKING:
    from app.core.ops.library import SpanRecord

# By start, longer first, then by the label's place in the label set.
SPAN_ORDER_SQL = 'span.start, span."end" DESC, label.position'

CLAIM_FIELDS = ("claimant", "verdict", "note")


def span_order(label_positions: Mapping[str, int]) -> Callable[[SpanRecord], tuple[int, int, int]]:
    """The sort key of ``SPAN_ORDER_SQL``, given each label's position."""
    return lambda s: (s.start, -s.end, label_positions.get(s.label, 0))


Identity = tuple[int, int, int, str, str]


def identity(state: Mapping[str, Any]) -> Identity:
    """What no two spans share: article, range, label and annotator (a span's state as edits carry it)."""
    return state["article_id"], state["start"], state["end"], state["label"], state["annotator"]


def existing_span(spans: Iterable[SpanRecord], start: int, end: int, label: str,
                  annotator: str) -> SpanRecord | None:
    """The span of one article's ``spans`` that a new span with these values would repeat."""
    return next((s for s in spans if (s.start, s.end, s.label, s.annotator) == (start, end, label, annotator)), None)


def is_repeat(state: Mapping[str, Any], stored_id: int | None,
              planned: Mapping[int, Mapping[str, Any] | None]) -> bool:
    """Whether ``state`` repeats a span the dataset holds, or will once the planned edits are stored.

    ``stored_id`` is the stored span with its identity, if any; ``planned`` the
    state each span will have after the queued edits (None: removed), so a
    stored span removed or changed since is no longer in the way.
    """
    wanted = identity(state)
    if stored_id is not None and stored_id in planned:
        still = planned[stored_id]
        stored_id = stored_id if still is not None and identity(still) == wanted else None
    return stored_id is not None or any(s is not None and identity(s) == wanted for s in planned.values())


def default_verdict(verdicts: Sequence[str]) -> str:
    return verdicts[0] if verdicts else DEFAULT_VERDICTS[0]


def new_claim_attributes(verdicts: Sequence[str]) -> dict[str, str]:
    """A new CLAIM starts with every attribute present (exports can rely on the keys)."""
    return {**dict.fromkeys(CLAIM_FIELDS, ""), "verdict": default_verdict(verdicts)}
