"""The status bar's share of suggestions accepted per label: "Suggestions accepted: PERSON 82% · ORG 64%".

It reads the rates from the dataset (``service.acceptance_rates``, two small
grouped queries) when it is made, and again whenever a stored change may have
moved them: a span with origin "suggested" added, removed or relabelled, a
suggestion rejected or its rejection undone, labels renamed or deleted, articles
deleted, edits rolled back. Hidden while no suggestion has been decided.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QWidget

from app.core.changes import ChangeKind, Changes
from app.core.db.store import STORE_ERRORS, Store
from app.core.suggest import service
from app.widgets.edits import EditGateway

SUGGESTED = "suggested"
# Changes after which the rates are read again whatever the record says.
_ALWAYS = (ChangeKind.SUGGESTION_REJECTED, ChangeKind.LABELS_CHANGED, ChangeKind.ARTICLES_DELETED,
           ChangeKind.ROLLED_BACK)


class SuggestionStats(QLabel):
    def __init__(self, store: Store, gateway: EditGateway, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("suggestion_stats")
        self.store = store
        self.rates: dict[str, tuple[int, int]] = {}
        gateway.changes_applied.connect(self._on_change)
        self.refresh()

    def refresh(self) -> None:
        try:
            self.rates = service.acceptance_rates(self.store)
        except STORE_ERRORS:
            return  # a busy or failing dataset: keep what is shown; the next change tries again
        self.setText(describe_rates(self.rates))
        self.setToolTip("\n".join(f"{label}: {accepted} accepted, {rejected} rejected"
                                  for label, (accepted, rejected) in self.rates.items()))
        self.setVisible(bool(self.rates))

    def _on_change(self, change: Changes, _initiator: object) -> None:
        if change.saved and moves_rates(change):
            self.refresh()


def describe_rates(rates: dict[str, tuple[int, int]]) -> str:
    parts = [f"{label} {service.acceptance_percent(accepted, rejected)}%"
             for label, (accepted, rejected) in rates.items()]
    return f"Suggestions accepted: {' · '.join(parts)}" if parts else ""


def moves_rates(change: Changes) -> bool:
    """Whether this change may move the share of suggestions accepted."""
    if change.has(*_ALWAYS):
        return True
    if not change.touches_spans():
        return False
    if len(change.kinds) > 1:
        return True  # a merged record keeps no span states: cannot tell
    states: list[dict[str, Any]] = [change.before, change.after, *change.before.get("spans", ()),
                                    *change.after.get("spans", ())]
    return any(state.get("origin") == SUGGESTED for state in states)
