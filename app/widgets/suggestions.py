"""Suggested spans in the annotation panel: learned in the background, shown over the text, taken by key.

Keys (text or span list focused, while the open article has suggestions; a label's own key wins):
  Tab / Shift+Tab     move to the next / previous suggestion (cycles)
  Enter               accept the current suggestion: the one under the caret, or else the next one
  X                   reject the current suggestion (not offered again for this article)
  Shift+Enter         accept every suggestion of the article (one undo step)

Accepting adds a span with origin "suggested" through the ``EditGateway``, so it
is undone like any edit and from then on drawn as a span. Rejecting goes through
the gateway too: it is stored for the article and counts against the string
when the suggester is trained again.

The suggester is trained off the GUI thread: when the window opens, and again a
little after articles are marked done or suggestions rejected (several in a row
train once). Until the first one is ready nothing is shown. Each opened article
asks it for suggestions off the GUI thread as well; an answer for an article
that is no longer open, or for an older request, is dropped.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from itertools import accumulate

from PySide6.QtCore import QKeyCombination, QObject, Qt, QThreadPool, QTimer
from PySide6.QtGui import QAction

from app.core.cancel import CancelToken
from app.core.changes import ChangeKind, Changes
from app.core.db.store import Store
from app.core.ops.labels import LabelInfo
from app.core.ops.library import ArticleDetail, SpanRecord
from app.core.settings import Settings, update_settings
from app.core.suggest import Suggestion, service
from app.core.suggest.trainer import BackgroundTrainer, train_with_rejections
from app.widgets.article_text_view import ArticleTextView
from app.widgets.edits import EditGateway
from app.widgets.suggestion_layer import Shown, SuggestionLayer
from app.widgets.tasks import Task, run_task

RETRAIN_DELAY_MS = 3000  # after the last article marked done: a run of them trains once
Suggester = Callable[[str], list[Suggestion]]
Key = tuple[int, int, str]  # start, end, label

_K, _M = Qt.Key, Qt.KeyboardModifier


def _combo(key: Qt.Key, modifiers: Qt.KeyboardModifier = _M.NoModifier) -> int:
    return QKeyCombination(modifiers, key).toCombined()


NEXT_KEYS = {_combo(_K.Key_Tab)}
PREVIOUS_KEYS = {_combo(_K.Key_Backtab), _combo(_K.Key_Backtab, _M.ShiftModifier), _combo(_K.Key_Tab, _M.ShiftModifier)}
ACCEPT_KEYS = {_combo(_K.Key_Return), _combo(_K.Key_Enter)}
REJECT_KEYS = {_combo(_K.Key_X)}
ACCEPT_ALL_KEYS = {_combo(_K.Key_Return, _M.ShiftModifier), _combo(_K.Key_Enter, _M.ShiftModifier)}
# What Help ▸ Keyboard Shortcuts and the key hint say.
KEY_ROWS = [
    ("Tab / Shift+Tab", "Go to the next / previous suggestion"),
    ("Enter", "Accept the suggestion under the caret, or the next one"),
    ("X", "Reject the suggestion (not offered again for this article)"),
    ("Shift+Enter", "Accept every suggestion in the article"),
]


class SuggestionController(QObject):
    """The open article's suggestions: asks for them, filters them, shows them, and takes the keys."""


    def __init__(self, store: Store, gateway: EditGateway, settings: Settings, view: ArticleTextView,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store, self.gateway, self.settings = store, gateway, settings
        self.layer = SuggestionLayer(view)
        self.layer.visible = settings.show_suggestions
        self._entity_labels: set[str] = set()
        self._article: ArticleDetail | None = None
        self._spans: Sequence[SpanRecord] = ()
        self._raw: list[Suggestion] = []  # what the suggester said about the open article
        self._rejected: set[Key] = set()  # rejected in this window, for the open article
        self._asked = 0  # the latest request for suggestions: older answers are dropped
        self._suggester: Suggester | None = None
        self._trainer = BackgroundTrainer()  # its worker process starts with the first training
        self._training: Task | None = None
        self._train_again = False
        self._train_pool = QThreadPool(self)
        self._train_pool.setMaxThreadCount(1)  # training waits here, never in the pool the window's work uses
        self._retrain = QTimer(self)
        self._retrain.setSingleShot(True)
        self._retrain.setInterval(RETRAIN_DELAY_MS)
        self._retrain.timeout.connect(self.train)
        self._actions = {**dict.fromkeys(NEXT_KEYS, lambda: self.layer.step(+1)),
                         **dict.fromkeys(PREVIOUS_KEYS, lambda: self.layer.step(-1)),
                         **dict.fromkeys(ACCEPT_KEYS, self.accept),
                         **dict.fromkeys(REJECT_KEYS, self.reject),
                         **dict.fromkeys(ACCEPT_ALL_KEYS, self.accept_all)}
        self.show_action = QAction("Show &Suggestions", self)
        self.show_action.setCheckable(True)
        self.show_action.setChecked(settings.show_suggestions)
        self.show_action.setToolTip("Show spans suggested from your labels over the article (dashed outlines)")
        self.show_action.toggled.connect(self._show_toggled)
        gateway.changes_applied.connect(self._on_changes)
        QTimer.singleShot(0, self, self.train)  # once the window is up

    # -- what the panel tells it --------------------------------------------------------------
    def set_labels(self, labels: Iterable[LabelInfo]) -> None:
        labels = list(labels)
        self._entity_labels = {lb.name for lb in labels if lb.kind == "entity"}
        self.layer.set_labels(labels)
        self._refresh()

    def set_article(self, detail: ArticleDetail | None) -> None:
        """A newly opened article (its text already in the view): nothing of the last one stays."""
        self._article = detail
        self._spans = detail.spans if detail else ()
        self._raw, self._rejected = [], set()
        self.layer.set_suggestions([])
        self._ask()

    def set_spans(self, spans: Sequence[SpanRecord]) -> None:
        """The open article's spans after an edit: a suggestion a span of its label now covers goes."""
        self._spans = spans
        self._refresh()

    # -- keys -----------------------------------------------------------------------------------
    def wants(self, combo: int) -> bool:
        # A read-only dataset takes no edits: its keys keep their usual meaning (the panel says why).
        return combo in self._actions and bool(self.layer.suggestions()) and not self.store.read_only

    def handle(self, combo: int) -> None:
        self._actions[combo]()

    # -- accepting and rejecting ------------------------------------------------------------------
    def accept(self) -> Changes | None:
        """Make the current suggestion a span (origin "suggested")."""
        item, article = self.layer.current(), self._article
        if item is None or article is None:
            return None
        return self.gateway.add_span(article.id, item.start, item.end, item.label, origin="suggested")

    def accept_all(self) -> int:
        """Make every shown suggestion a span: one undo step, one write per label."""
        shown, article = self.layer.suggestions(), self._article
        if not shown or article is None:
            return 0
        by_label: dict[str, list[tuple[int, int]]] = {}
        for item in shown:
            by_label.setdefault(item.label, []).append((item.start, item.end))
        stack = self.gateway.undo_stack
        stack.beginMacro(f"Accept {len(shown)} suggestions")
        try:
            added = 0
            for label, ranges in by_label.items():
                change = self.gateway.add_spans(article.id, ranges, label, f"Accept {label} suggestions",
                                                origin="suggested")
                added += len(change.span_ids) if change is not None else 0
        finally:
            stack.endMacro()
        return added

    def reject(self) -> Changes | None:
        """Refuse the current suggestion for this article; it feeds the suggester's next training."""
        item, article = self.layer.current(), self._article
        if item is None or article is None:
            return None
        return self.gateway.reject_suggestion(article.id, item.start, item.end, item.label)

    def current(self) -> Shown | None:
        return self.layer.current()

    # -- showing ------------------------------------------------------------------------------------
    def _show_toggled(self, shown: bool) -> None:
        self.gateway.publish(update_settings(self.settings, show_suggestions=shown), self)

    def _refresh(self) -> None:
        """Show what the suggester said minus what is rejected, unknown, or already labelled with its label."""
        rejected, labels = self._rejected, self._entity_labels
        covered = _Covered(self._spans)
        text = self._article.text if self._article else ""
        self.layer.set_suggestions([s for s in self._raw if s["label"] in labels
                                    and (s["start"], s["end"], s["label"]) not in rejected
                                    and "\n" not in text[s["start"]:s["end"]]  # as an entity span, one line
                                    and not covered.overlaps(s["start"], s["end"], s["label"])])

    def _ask(self) -> None:
        """Ask the suggester about the open article, off the GUI thread (its rejections read there too).

        Until a suggester is trained, the layer ``article-curator suggest`` stored is shown.
        """
        self._asked += 1
        asked, article, suggester, store = self._asked, self._article, self._suggester, self.store
        if article is None:
            return
        article_id = article.id
        run_task(lambda: service.suggestions_for(store, suggester, article_id),
                 lambda found: self._answered(asked, found))

    def _answered(self, asked: int, found: list[Suggestion]) -> None:
        if asked != self._asked:
            return  # another article opened, or a newer suggester asked, since
        self._raw = list(found)
        self._refresh()

    # -- training -------------------------------------------------------------------------------------
    def train(self) -> None:
        """Train the suggester again from the dataset, in the background; a training under way finishes first."""
        if self._training is not None:
            self._train_again = True
            return
        store, trainer, settings = self.store, self._trainer, replace(self.settings)  # a copy for the thread

        def train(cancel: CancelToken) -> Suggester | None:
            docs, rejected = service.training_documents(store), service.rejected_strings(store)
            labels = service.entity_labels(store)
            if not docs and not rejected:  # nothing to learn from (a new dataset): the starter model alone
                trained: Suggester | None = train_with_rejections(docs, rejected, labels)
            else:
                trained = _wait(trainer.submit(docs, rejected, labels), cancel)
            # The source chosen in the settings (an installed spaCy pipeline) joins it here, off the GUI thread.
            return service.with_source(store, trained, settings) if trained is not None else None

        self._training = run_task(train, self._trained, self._training_failed, pool=self._train_pool)

    def _trained(self, suggester: Suggester | None) -> None:
        self._training = None
        if suggester is None:
            return  # the window is closing
        self._suggester = suggester
        self._ask()
        self._train_later()

    def _training_failed(self, _exc: BaseException) -> None:  # logged by the task; the last suggester stays
        self._training = None
        self._train_later()

    def _train_later(self) -> None:
        if self._train_again:
            self._train_again = False
            self._retrain.start()

    def _on_changes(self, change: Changes, initiator: object) -> None:
        if change.touches_setting("show_suggestions"):
            self.show_action.setChecked(self.settings.show_suggestions)
            self.layer.set_visible(self.settings.show_suggestions)
        if change.saved and change.touches_setting("suggestion_source"):
            self.train()
        here = self._article is not None and change.touches_article(self._article.id)
        if change.saved:
            if here and change.has(ChangeKind.ROLLED_BACK):
                self._rejected.clear()  # the dataset says which rejections hold
            if here and change.has(ChangeKind.SUGGESTION_REJECTED, ChangeKind.ROLLED_BACK):
                self._ask()  # a rejection taken back may have been made before the article was last opened
            if ("done" in change.statuses or change.touches_labels()
                    or change.has(ChangeKind.SUGGESTION_REJECTED, ChangeKind.ARTICLES_ADDED,
                                  ChangeKind.ARTICLES_DELETED)):
                self._retrain.start()  # restarted by each: a run of articles marked done trains once
        elif here and change.has(ChangeKind.SUGGESTION_REJECTED):
            for side, rejected in ((change.after, True), (change.before, False)):
                if side:
                    key = (side["start"], side["end"], side["label"])
                    (self._rejected.add if rejected else self._rejected.discard)(key)
            self._refresh()

    def close(self) -> None:
        """The window is closing: no more training, and the trainer's worker process ends."""
        self._retrain.stop()
        if self._training is not None:
            self._training.cancel.cancel()
        self._train_pool.waitForDone(10000)
        self._trainer.shutdown(wait=False)


class _Covered:
    """The spans of each label, to tell at once whether a range overlaps one of them."""

    def __init__(self, spans: Iterable[SpanRecord]) -> None:
        by_label: dict[str, list[tuple[int, int]]] = {}
        for span in spans:
            by_label.setdefault(span.label, []).append((span.start, span.end))
        self._starts: dict[str, list[int]] = {}
        self._reach: dict[str, list[int]] = {}  # the furthest end among the spans up to each one, by start
        for label, ranges in by_label.items():
            ranges.sort()
            self._starts[label] = [s for s, _ in ranges]
            self._reach[label] = list(accumulate((e for _, e in ranges), max))

    def overlaps(self, start: int, end: int, label: str) -> bool:
        starts = self._starts.get(label)
        if not starts:
            return False
        before = bisect_left(starts, end)  # the spans starting before this range ends
        return before > 0 and self._reach[label][before - 1] > start


def _wait(future: Future[Suggester], cancel: CancelToken) -> Suggester | None:
    """The trained suggester, once the worker has it; None when the window closes first."""
    while not cancel.cancelled:
        try:
            return future.result(timeout=0.1)
        except FutureTimeout:
            continue
    future.cancel()
    return None
