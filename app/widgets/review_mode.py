"""Review mode in the annotation panel: the annotators' layers merged, disagreements decided by key.

While it is on (View ▸ Review Mode, Ctrl+Shift+R) the panel shows the gold
layer as spans, and every span of an annotator's layer that the gold layer
lacks as a dashed outline, as suggestions are shown: the annotators'
disagreements, highlighted. Spans every annotator made alike are accepted into
the gold layer as the article opens (one undo step), so only disagreements are
left. The keys are the suggestion keys:

  Tab / Shift+Tab   next / previous disagreement
  Enter             accept the current one into the gold layer (claim attributes merged)
  X                 reject it for the gold layer (not offered again for this article)

A bar above the text names the current one: who made it, who did not, and
claim attributes the annotators disagree on, with each one's value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel

from app.core.changes import ChangeKind, Changes
from app.core.ops.library import ArticleDetail, SpanRecord
from app.core.suggest import Suggestion
from app.core.team import review
from app.widgets.article_text_view import ArticleTextView
from app.widgets.suggestion_layer import Shown, SuggestionLayer
from app.widgets.suggestions import ACCEPT_KEYS, NEXT_KEYS, PREVIOUS_KEYS, REJECT_KEYS

if TYPE_CHECKING:
    from app.widgets.annotation_panel import AnnotationPanel

SHORTCUT = "Ctrl+Shift+R"


class CandidateLayer(SuggestionLayer):
    """The suggestion layer, stepping by place in the list rather than by caret: candidates overlap
    (ana's "Hugo Touvron", ben's "Hugo"), and each must be reachable by Tab."""

    def __init__(self, view: ArticleTextView) -> None:
        super().__init__(view)
        self.index = 0

    def current(self) -> Shown | None:
        shown = self.suggestions()
        return shown[self.index % len(shown)] if shown else None

    def step(self, direction: int) -> Shown | None:
        shown = self.suggestions()
        if not shown:
            return None
        self.index = (self.index % len(shown) + direction) % len(shown)
        target = shown[self.index]
        self.view.reveal(target.qt_start, target.qt_end)
        return target

    def _caret_moved(self) -> None:
        # A click elsewhere makes the candidate under it current (the first, where several overlap).
        shown, caret, current = self.suggestions(), self.view.textCursor().position(), self.current()
        if current is not None and not current.qt_start <= caret <= current.qt_end:
            self.index = next((i for i, s in enumerate(shown) if s.qt_start <= caret <= s.qt_end), self.index)
        super()._caret_moved()


class ReviewController(QObject):
    """The panel's review mode: the candidates of the open article, their layer, bar and keys."""

    def __init__(self, panel: AnnotationPanel) -> None:
        super().__init__(panel)
        self.panel, self.store, self.gateway = panel, panel.store, panel.gateway
        view = panel.view
        shown_before = view.overlay
        self.layer = CandidateLayer(view)
        view.overlay = shown_before  # the suggestions' layer is painted until review mode is on
        view.cursorPositionChanged.connect(self._show_current)
        self.active = False
        self._article: ArticleDetail | None = None
        self._annotators: list[str] = []
        self._rejected: set[review.Key] = set()
        self._candidates: dict[review.Key, review.Candidate] = {}
        self.bar = QLabel()
        self.bar.setObjectName("reviewBar")
        self.bar.setWordWrap(True)
        # A tinted strip, so the reviewer sees at a glance that this is not their own layer.
        self.bar.setStyleSheet("QLabel#reviewBar { background: palette(alternate-base); "
                               "border-left: 3px solid palette(highlight); padding: 4px 8px; }")
        self.bar.hide()
        self.toggle_action = QAction("&Review Mode", self)
        self.toggle_action.setCheckable(True)
        self.toggle_action.setShortcut(QKeySequence(SHORTCUT))
        self.toggle_action.setToolTip("Merge the annotators' layers into the gold layer: accept (Enter) or "
                                      "reject (X) each disagreement")
        self.toggle_action.toggled.connect(self.set_active)
        self._actions = {**dict.fromkeys(NEXT_KEYS, lambda: self.layer.step(+1)),
                         **dict.fromkeys(PREVIOUS_KEYS, lambda: self.layer.step(-1)),
                         **dict.fromkeys(ACCEPT_KEYS, self.accept),
                         **dict.fromkeys(REJECT_KEYS, self.reject)}
        self.gateway.changes_applied.connect(self._on_changes)

    # -- on and off ---------------------------------------------------------------------------
    def set_active(self, active: bool) -> None:
        if active == self.active:
            return
        self.active = active
        self.gateway.layer = review.GOLD_LAYER if active else None  # labelling in review labels the gold layer
        self.panel.view.overlay = self.layer if active else self.panel.suggestions.layer
        self.bar.setVisible(active)
        article = self.panel.article()
        self.panel.refresh_layers()  # the panel shows the gold layer only, or every layer again
        if active and article is not None:
            self.set_article(article)
        self.panel.view.viewport().update()

    def visible(self, spans: Sequence[SpanRecord]) -> list[SpanRecord]:
        """The spans the panel draws and lists: in review mode the gold layer's."""
        return [s for s in spans if s.annotator == review.GOLD_LAYER] if self.active else list(spans)

    # -- what the panel tells it ------------------------------------------------------------------
    def set_labels(self, labels: Sequence[object]) -> None:
        self.layer.set_labels(labels)  # type: ignore[arg-type]

    def set_article(self, detail: ArticleDetail | None) -> None:
        self._article = detail
        if not self.active or detail is None:
            self._candidates = {}
            self.layer.set_suggestions([])
            return
        self._annotators = review.article_annotators(self.store, detail.id)
        self._rejected = review.rejected(self.store, detail.id)
        found = review.candidates(detail.spans, self._annotators, self._rejected)
        agreed = [c for c in found if c.agreed]
        if agreed and not self.store.read_only and not review.was_reviewed(self.store, detail.id):
            self._accept_agreed(detail.id, agreed)
        else:
            self._show(found)

    def set_spans(self, spans: Sequence[SpanRecord]) -> None:
        if self.active and self._article is not None:
            self._show(review.candidates(spans, self._annotators, self._rejected))

    # -- keys ---------------------------------------------------------------------------------------
    def wants(self, combo: int) -> bool:
        return combo in self._actions and bool(self.layer.suggestions()) and not self.store.read_only

    def handle(self, combo: int) -> None:
        self._actions[combo]()

    def current(self) -> review.Candidate | None:
        shown = self.layer.current()
        return self._candidates.get(shown.key) if shown is not None else None

    def accept(self) -> Changes | None:
        candidate, article = self.current(), self._article
        if candidate is None or article is None:
            return None
        return self.gateway.add_span(article.id, candidate.start, candidate.end, candidate.label,
                                     candidate.merged_attributes() or None)

    def reject(self) -> Changes | None:
        candidate, article = self.current(), self._article
        if candidate is None or article is None:
            return None
        return self.gateway.reject_for_gold(article.id, candidate.key)

    # -- showing ------------------------------------------------------------------------------------
    def _accept_agreed(self, article_id: int, agreed: list[review.Candidate]) -> None:
        """What every annotator made alike goes into the gold layer: one undo step."""
        stack = self.gateway.undo_stack
        stack.beginMacro(f"Accept {len(agreed)} agreed spans into the gold layer")
        try:
            for c in agreed:
                self.gateway.add_span(article_id, c.start, c.end, c.label, c.merged_attributes() or None)
        finally:
            stack.endMacro()

    def _show(self, found: list[review.Candidate]) -> None:
        self._candidates = {c.key: c for c in found}
        # Candidates of different labels may overlap; the layer draws each, ordered by start.
        self.layer.set_suggestions([Suggestion(start=c.start, end=c.end, label=c.label,
                                               score=len(c.by) / max(1, len(c.by) + len(c.without)))
                                    for c in found])
        self._show_current()

    def _show_current(self) -> None:
        if not self.active:
            return
        left = len(self._candidates)
        if not left:
            self.bar.setText("Review: no disagreements left in this article. Mark it done (Ctrl+Return) "
                             "to go on.")
            return
        current = self.current()
        said = f"Review: {left} disagreement{'s' if left != 1 else ''} left."
        if current is not None:
            said += f"  Current: {review.describe(current)}.  Enter accepts it into the gold layer, X rejects it."
        self.bar.setText(said)

    def _on_changes(self, change: Changes, _initiator: object) -> None:
        article = self._article
        if change.saved or article is None or not change.has(ChangeKind.REVIEW_REJECTED):
            return
        if not change.touches_article(article.id):
            return
        state = change.after or change.before
        key = (int(state["start"]), int(state["end"]), str(state["label"]))
        if change.after:
            self._rejected.add(key)
        else:
            self._rejected.discard(key)
        shown = self.panel.article()
        self.set_spans(shown.spans if shown is not None else [])
