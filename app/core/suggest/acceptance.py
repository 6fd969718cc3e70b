"""How well suggestions do: per label, how many were accepted and how many rejected.

Apart from ``service`` (which re-exports both) so that ``article-curator stats``
reads these figures without loading the suggester and the validation models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.db.reader import Dataset


def acceptance_rates(store: Dataset) -> dict[str, tuple[int, int]]:
    """Per label, ``(accepted, rejected)``: spans with origin "suggested", and rejections.

    Only labels with at least one of either, in the label list's order.
    """
    with store.reader() as reader:
        # origin = 'suggested' as a literal, so that the planner sees the partial index ix_span_suggested.
        accepted: dict[int, int] = dict(reader.rows(
            "SELECT label_id, count(*) FROM span WHERE origin = 'suggested' GROUP BY label_id"))
        rejected: dict[int, int] = dict(reader.rows(
            "SELECT label_id, count(*) FROM suggestion_rejection GROUP BY label_id"))
        labels = reader.rows("SELECT id, name FROM label ORDER BY position, name")
    return {str(name): (int(accepted.get(i, 0)), int(rejected.get(i, 0)))
            for i, name in labels if i in accepted or i in rejected}


def acceptance_percent(accepted: int, rejected: int) -> int | None:
    """The share accepted, in whole percent; None when nothing was decided."""
    decided = accepted + rejected
    return round(100 * accepted / decided) if decided else None
