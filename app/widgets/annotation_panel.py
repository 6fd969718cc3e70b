"""The annotation panel: one article, its spans, and the keys that label them.

Keys (text or span list focused):
  label key (1, 2, 3 … from the label set)  label the selected text (snapped to words),
                                             or relabel the selected span
  Delete / Backspace                          delete the selected span
  Alt+A, then a label key                     label every occurrence of the selected words
  Esc                                         cancel Alt+A, or deselect
  Tab, Enter, X, Shift+Enter                  move between, accept, reject, accept all suggestions
                                             (app.widgets.suggestions)
  L (then 1–9 or N)                           link the selected entity span (app.widgets.entity_link)

Every edit goes through the ``EditGateway``; the panel redraws from its
``changes_applied`` signal, so undo, redo and edits made elsewhere show up the
same way as its own. The panel acts on each change when it is applied, before
it is stored, so it draws each change from its record and reads the article
again only when the gateway rolls unsaved edits back. Label and settings
changes come on the same signal: the label keys and the claim verdicts follow.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QEvent, QKeyCombination, QObject, QRect, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent, QKeySequence, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.changes import ChangeKind, Changes
from app.core.db.store import Store
from app.core.ops import library, span_rules
from app.core.ops.labels import LabelInfo, list_labels
from app.core.ops.library import ArticleDetail, SpanRecord
from app.core.ops.selection import find_occurrences, line_break_rule, snap_to_words
from app.core.settings import Settings
from app.widgets.article_text_view import ArticleTextView
from app.widgets.claim_details import ClaimDetails
from app.widgets.edits import EditGateway
from app.widgets.entity_link import EntityLinker
from app.widgets.icons import icon
from app.widgets.key_hint import KeyHint
from app.widgets.palette import Styled
from app.widgets.panel_header import (
    LabelBar,
    LinkLabel,
    MessageBanner,
    StatusBadge,
    muted_label,
    plain_label,
)
from app.widgets.review_mode import ReviewController
from app.widgets.span_list import SpanList, preview
from app.widgets.suggestions import SuggestionController

ARM_KEY = QKeyCombination(Qt.KeyboardModifier.AltModifier, Qt.Key.Key_A).toCombined()


def _combined(event: QKeyEvent) -> int:
    return event.keyCombination().toCombined() & ~int(Qt.KeyboardModifier.KeypadModifier.value)


class AnnotationPanel(QWidget):
    span_selection_changed = Signal(object)  # span id or None

    def __init__(self, store: Store, gateway: EditGateway, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store, self.gateway, self.settings = store, gateway, settings
        self._article: ArticleDetail | None = None
        self._labels: dict[str, LabelInfo] = {}
        self._keys: dict[int, LabelInfo] = {}
        self._armed = False  # Alt+A was pressed: the next label key labels every occurrence

        self._build_title()
        self._build_parts()
        head, meta_row = self._build_header_rows()
        self._build_splitter()
        self._build_pages(head, meta_row)
        self._build_outer_layout()
        self._install_key_filters()
        self._connect_signals()
        self.reload_labels()

    # -- building ------------------------------------------------------------------------
    def _build_title(self) -> None:
        """The article's title: large, wrapping, selectable for copying."""
        self.title = plain_label()
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.7)
        font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(font)

    def _build_parts(self) -> None:
        """The status, source line, label keys, text, span list, claim fields and key hint."""
        self.status_badge = StatusBadge()
        self.meta = muted_label()
        self.link = LinkLabel()
        self.label_bar = LabelBar()
        self.view = ArticleTextView()
        self.banner = MessageBanner(over=self.view)
        self.banner.avoid = self._selection_rect
        self.span_list = SpanList()
        self.linker = EntityLinker(self.gateway, self.span_list, self)
        self.claim_details = ClaimDetails(self.gateway, self.settings.verdicts)
        self.key_hint = KeyHint(self.settings)
        self.suggestions = SuggestionController(self.store, self.gateway, self.settings, self.view, self)
        self.review = ReviewController(self)

    def _build_header_rows(self) -> tuple[QHBoxLayout, QHBoxLayout]:
        """The title beside its status badge, and the source line below them."""
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.status_badge, 0, Qt.AlignmentFlag.AlignTop)
        meta_row = QHBoxLayout()
        meta_row.setSpacing(10)
        meta_row.addWidget(self.meta)
        meta_row.addWidget(self.link)
        meta_row.addStretch(1)
        return head, meta_row

    def _build_splitter(self) -> None:
        """The text on the left; the span list above the claim fields on the right."""
        spans_box = QWidget()
        spans_layout = QVBoxLayout(spans_box)
        spans_layout.setContentsMargins(0, 0, 0, 0)
        spans_title = plain_label("Spans")
        spans_title.setContentsMargins(8, 6, 8, 2)
        spans_title.setFont(self.claim_details.heading.font())
        spans_layout.addWidget(spans_title)
        spans_layout.addWidget(self.linker.strip)
        spans_layout.addWidget(self.span_list)
        side = QSplitter(Qt.Orientation.Vertical)
        side.addWidget(spans_box)
        side.addWidget(self.claim_details)
        side.setStretchFactor(0, 1)
        side.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setSizes([900, 380])
        self.splitter.setChildrenCollapsible(False)

    def _build_pages(self, head: QHBoxLayout, meta_row: QHBoxLayout) -> None:
        """The open article, or a line saying how to open one."""
        content = QWidget()
        body = QVBoxLayout(content)
        body.setContentsMargins(16, 12, 16, 12)
        body.setSpacing(8)
        body.addLayout(head)
        body.addLayout(meta_row)
        body.addWidget(self.label_bar)
        body.addWidget(self.review.bar)
        body.addWidget(self.splitter, 1)
        empty = muted_label("Open an article from the library to start labelling.")
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages = QStackedWidget()
        self.pages.addWidget(empty)
        self.pages.addWidget(content)

    def _build_outer_layout(self) -> None:
        """The label keys hint above the pages."""
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        hint_row = QHBoxLayout()  # above everything, so Help ▸ Show Label Keys Hint shows it with or without an article
        hint_row.setContentsMargins(16, 10, 16, 0)
        hint_row.addWidget(self.key_hint)
        outer.addLayout(hint_row)
        outer.addWidget(self.pages)

    def _install_key_filters(self) -> None:
        """The label keys work from the text and from the span list (see ``eventFilter``)."""
        self.setFocusProxy(self.view)  # opening an article focuses the panel: its label keys work at once
        self.view.installEventFilter(self)
        self.span_list.installEventFilter(self)

    def _connect_signals(self) -> None:
        """Clicks and choices in the parts, then the gateway's changes and failures."""
        self.view.span_clicked.connect(lambda span_id: self.select_span(span_id, reveal=False))
        self.view.background_clicked.connect(lambda: self.select_span(None))
        self.view.selectionChanged.connect(self._on_text_selection)
        self.view.context_menu_requested.connect(self._fill_context_menu)
        self.span_list.span_selected.connect(self.select_span)
        self.label_bar.label_chosen.connect(self._on_label_button)
        self.label_bar.all_button.toggled.connect(self._set_armed)
        self.status_badge.status_chosen.connect(self._set_status)
        # The hint names the suggestion keys while suggestions are on, not only while some are shown:
        # a hint that grew a line when suggestions arrived would move the text under the reader's eyes.
        self.key_hint.set_suggestion_keys(self.settings.show_suggestions)
        self.suggestions.show_action.toggled.connect(self.key_hint.set_suggestion_keys)
        self.gateway.changes_applied.connect(self._on_changes)
        self.gateway.edit_failed.connect(lambda message: self.banner.show_message(message, "error"))

    # -- public API ----------------------------------------------------------------------
    @property
    def current_article_id(self) -> int | None:
        return self._article.id if self._article else None

    def article(self) -> ArticleDetail | None:
        return self._article

    def open_article(self, article_id: int | None) -> None:
        if article_id is not None and article_id in self.gateway.unsaved_article_ids():
            self.gateway.wait_until_saved()  # read it with its last edits (back to an article just left)
        detail = library.get_article(self.store, article_id) if article_id is not None else None
        self._article = detail
        self._set_armed(False)
        self.banner.dismiss()
        if detail is None:
            self.pages.setCurrentIndex(0)
            self.view.set_article("", [])
            self.suggestions.set_article(None)
            self.review.set_article(None)
            self.span_list.set_content(self._labels.values(), [])
            self.claim_details.set_claim(None)
            self.linker.show_span(None)
            return
        self.title.setText(detail.title or "(untitled)")
        self.meta.setText("  ·  ".join(p for p in (detail.site_name, detail.author, detail.published) if p))
        self.meta.setVisible(bool(self.meta.text()))
        self.link.set_url(detail.url)
        self.status_badge.set_status(detail.status)
        spans = self.review.visible(detail.spans)  # in review mode the gold layer
        self.view.set_article(detail.text, spans)
        self.suggestions.set_article(detail)
        self.span_list.set_content(self._labels.values(), spans)
        self.linker.show_spans(spans)
        self.linker.show_span(None)
        self.claim_details.set_claim(None)
        self.pages.setCurrentIndex(1)
        self.view.moveCursor(QTextCursor.MoveOperation.Start)
        self.span_selection_changed.emit(None)
        self.review.set_article(detail)  # last: the spans it accepts are drawn over what was just shown

    def reload_labels(self) -> None:
        labels = list_labels(self.store)
        self._labels = {lb.name: lb for lb in labels}
        self._keys = {}
        for lb in labels:
            sequence = QKeySequence(lb.shortcut or "")
            if lb.shortcut and sequence.count():
                self._keys[sequence[0].toCombined()] = lb  # type: ignore[index]
        self.label_bar.set_labels(labels)
        self.key_hint.set_labels(labels)
        self.view.set_labels(labels)
        self.suggestions.set_labels(labels)
        self.review.set_labels(labels)
        self.linker.set_labels(labels, self._keys)
        spans = self.review.visible(self._article.spans if self._article else [])
        self.span_list.set_content(labels, spans)
        self.select_span(self.selected_span_id())

    def selected_span_id(self) -> int | None:
        return self.view.selected_span_id()

    def selected_span(self) -> SpanRecord | None:
        span_id = self.selected_span_id()
        spans = self._article.spans if self._article else []
        return next((s for s in spans if s.id == span_id), None)

    def select_span(self, span_id: int | None, *, reveal: bool = True) -> None:
        self.view.set_selected_span(span_id, reveal=reveal)
        self.span_list.select_span(self.view.selected_span_id())
        self._show_claim()
        self.linker.show_span(self.selected_span())
        self.span_selection_changed.emit(self.view.selected_span_id())

    def apply_label(self, name: str) -> None:
        """What pressing a label's key does: label the selected text, or relabel the selected span."""
        info = self._labels.get(name)
        if self._article is None or info is None:
            return
        if self._armed:
            self.label_all_occurrences(name)
            return
        selection = self.view.selection_range()
        span = self.selected_span()
        if selection is not None:
            self._add(info, *selection)
        elif span is not None:
            if span.label != name and self._line_breaks_allow(info, span.start, span.end):
                self.gateway.relabel_span(span.id, span.label, name)
        else:
            self.banner.show_message(f"Select some text first, then press {info.shortcut or name} to label it "
                                     f"{name}.", "info", seconds=6)

    def label_all_occurrences(self, name: str) -> int:
        """Label every whole-word occurrence of the selected words (or selected span) as ``name``; one undo step."""
        self._set_armed(False)
        article, info = self._article, self._labels.get(name)
        if article is None or info is None:
            return 0
        needle = self._needle()
        if not needle:
            self.banner.show_message("Select a word or a span first, then press Alt+A and a label key.", "info", 6)
            return 0
        mine = self.gateway.annotator
        taken = {(s.start, s.end) for s in article.spans if s.label == name and s.annotator == mine}
        todo = [o for o in find_occurrences(article.text, needle) if o not in taken]
        if not todo:
            self.banner.show_message(f"Every “{preview(needle, 60)}” is already labelled {name}.", "info", 6)
            return 0
        if not self._line_breaks_allow(info, *todo[0]):  # every occurrence is the same words: one answer for all
            return 0
        change = self.gateway.add_spans(article.id, todo, name, f"Label all “{preview(needle, 40)}” as {name}",
                                        self._new_attributes(info))
        added = len(change.span_ids) if change is not None else 0
        self.view.clear_text_selection()
        if added == len(todo):  # otherwise the failure stays on the banner
            self.banner.show_message(f"Labelled {added} more “{preview(needle, 60)}” as {name}.", "info", 5)
        return added

    def delete_selected_span(self) -> bool:
        span = self.selected_span()
        if span is None:
            return False
        return self.gateway.remove_span(span.id, span.label) is not None

    # -- keys ------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and isinstance(event, QKeyEvent):
            if self._article is None or not self._wants(event, watched):
                return False
            if kind == QEvent.Type.ShortcutOverride:
                event.accept()  # the key is ours here, not a window shortcut's
                return True
            self._handle_key(event, watched)
            return True
        return super().eventFilter(watched, event)

    def _suggestion_key(self, combo: int, watched: QObject) -> bool:
        # Only in the text: in the span list Tab moves the focus on, as everywhere else.
        return watched is self.view and (self.review if self.review.active else self.suggestions).wants(combo)

    def _wants(self, event: QKeyEvent, watched: QObject) -> bool:
        combo = _combined(event)
        if self.linker.wants(combo) or combo in self._keys or combo == ARM_KEY or self._suggestion_key(combo, watched):
            return True
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        key = event.key()
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            return self.selected_span_id() is not None
        if key == Qt.Key.Key_Escape:
            return self._armed or self.selected_span_id() is not None or self.banner.isVisible()
        return False

    def _handle_key(self, event: QKeyEvent, watched: QObject) -> None:
        combo = _combined(event)
        if self.linker.wants(combo):
            self.linker.handle(combo)
        elif combo in self._keys:
            self.apply_label(self._keys[combo].name)
        elif combo == ARM_KEY:
            self._set_armed(not self._armed)
        elif self._suggestion_key(combo, watched):
            (self.review if self.review.active else self.suggestions).handle(combo)
        elif event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selected_span()
        elif event.key() == Qt.Key.Key_Escape:
            if self._armed:
                self._set_armed(False)
            elif self.selected_span_id() is not None:
                self.select_span(None)
            else:
                self.banner.dismiss()

    def _set_armed(self, armed: bool) -> None:
        if armed and self._article is not None and not self._needle():
            self.banner.show_message("Select a word or a span first, then press Alt+A and a label key.", "info", 6)
            armed = False
        self._armed = armed
        self.label_bar.all_button.blockSignals(True)
        self.label_bar.all_button.setChecked(armed)
        self.label_bar.all_button.blockSignals(False)
        if armed:
            keys = ", ".join(f"{lb.shortcut} {lb.name}" for lb in self._labels.values() if lb.shortcut)
            self.banner.show_message(f"Label every “{preview(self._needle(), 60)}” as…  press {keys} "
                                     "(Esc cancels)", "armed")
        elif self.banner.kind == "armed":
            self.banner.dismiss()

    # -- edits -----------------------------------------------------------------------------
    def _add(self, info: LabelInfo, start: int, end: int) -> None:
        article = self._article
        assert article is not None
        snapped = snap_to_words(article.text, start, end)
        if snapped is None:
            self.banner.show_message("The selection holds no words to label.", "info", seconds=5)
            return
        if not self._line_breaks_allow(info, *snapped):
            return
        existing = span_rules.existing_span(article.spans, *snapped, info.name, self.gateway.annotator)
        if existing is not None:
            self.view.clear_text_selection()
            self.select_span(existing.id, reveal=False)
            return
        change = self.gateway.add_span(article.id, *snapped, info.name, self._new_attributes(info))
        if change is not None and change.span_id is not None:
            self.view.clear_text_selection()
            self.select_span(change.span_id, reveal=False)

    def _line_breaks_allow(self, info: LabelInfo, start: int, end: int) -> bool:
        """Entity spans stay within one line; a claim may run over line breaks once the annotator says so."""
        assert self._article is not None
        text = self._article.text
        rule = line_break_rule(text, start, end, info.kind)
        if rule == "refuse":
            self.banner.show_message(f"A {info.name} span cannot run over a line break, and the selection "
                                     f"“{preview(text[start:end], 60)}” does: select words within one paragraph.",
                                     "info", seconds=8)
            return False
        if rule == "confirm":
            answer = QMessageBox.question(
                self, "Span Over a Line Break",
                f"“{preview(text[start:end], 120)}” runs over a line break. Label it {info.name} as one span?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
            return answer == QMessageBox.StandardButton.Yes
        return True

    def _new_attributes(self, info: LabelInfo) -> dict[str, str] | None:
        """A new CLAIM starts with every attribute present (exports can rely on the keys)."""
        if info.kind != "claim":
            return None
        return span_rules.new_claim_attributes(self.settings.verdicts)

    def _needle(self) -> str:
        article = self._article
        if article is None:
            return ""
        selection = self.view.selection_range()
        if selection is not None:
            snapped = snap_to_words(article.text, *selection)
            return article.text[snapped[0] : snapped[1]] if snapped else ""
        span = self.selected_span()
        return span.text if span else ""

    def _selection_rect(self) -> QRect:
        """The selected words (or the caret) in the text view's coordinates: what a banner must not cover."""
        view, selection = self.view, self.view.textCursor()
        rect = QRect()
        for position in (selection.selectionStart(), selection.selectionEnd()):
            end = QTextCursor(selection)
            end.setPosition(position)
            rect = rect.united(view.cursorRect(end))
        return rect.translated(view.viewport().pos())

    def _set_status(self, status: str) -> None:
        if self._article is not None and status != self._article.status:
            self.gateway.set_status([self._article.id], status, self)

    # -- refresh ------------------------------------------------------------------------------
    def _on_changes(self, change: Changes, _initiator: object) -> None:
        if change.saved:
            return  # drawn from the record when applied; the dataset has nothing newer to show
        if change.touches_labels():
            self.reload_labels()
        if change.touches_setting("verdicts"):
            self.claim_details.set_verdicts(self.settings.verdicts)
        if self._article is None or not change.touches_article(self._article.id):
            return
        if change.has(ChangeKind.ARTICLES_DELETED):
            self.open_article(None)
            return
        if self.banner.kind == "error":
            self.banner.dismiss()
        if change.has(ChangeKind.ROLLED_BACK, ChangeKind.CHANGED_ELSEWHERE):
            if self._article.id in self.gateway.unsaved_article_ids():
                self.gateway.wait_until_saved()  # another's edit is read with this window's own, not over them
            self._reload()  # the dataset holds what the screen should show
        elif change.has(ChangeKind.ENTITIES_CHANGED, ChangeKind.SPANS_LINKED):
            self._reload()  # stored before announced: the dataset holds the links to show
        elif change.touches_spans() or change.has(ChangeKind.STATUS_CHANGED):
            self._show_spans(self._patched(self._article, change))

    def _patched(self, article: ArticleDetail, change: Changes) -> ArticleDetail:
        """The article after an edit, from the change record alone (it may not be stored yet)."""
        spans = list(article.spans)  # the same record objects: views skip what they already show
        status = article.status
        if change.touches_spans() and status == "new":
            status = "in_progress"  # labelling starts an article, as the dataset will record
        if change.kind is ChangeKind.SPAN_ADDED and change.span_id is not None:
            self._insert(spans, SpanRecord.of_state(change.span_id, change.after))
        elif change.kind is ChangeKind.SPANS_ADDED:  # many at once (Alt+A): one sort, not one insertion each
            states = zip(change.span_ids, change.after["spans"], strict=True)
            new = [SpanRecord.of_state(i, state) for i, state in states]
            spans = sorted(spans + new, key=self._span_order())
        elif change.kind is ChangeKind.SPANS_REMOVED:
            gone = set(change.span_ids)
            spans = [s for s in spans if s.id not in gone]
        elif change.kind is ChangeKind.SPAN_REMOVED:
            spans = [s for s in spans if s.id != change.span_id]
        elif change.kind is ChangeKind.SPAN_CHANGED:
            at = next((i for i, s in enumerate(spans) if s.id == change.span_id), None)
            if at is not None:
                changed = replace(spans.pop(at), label=change.after["label"],
                                  attributes=dict(change.after["attributes"]),
                                  entity_id=change.after.get("entity_id"))
                self._insert(spans, changed)  # a new label may change its place
        elif change.kind is ChangeKind.STATUS_CHANGED:
            after = change.after["status"]
            status = after.get(article.id, status) if isinstance(after, dict) else after
        return replace(article, spans=spans, status=status)

    def _span_order(self) -> Callable[[SpanRecord], tuple[int, int, int]]:
        """Where the dataset lists a span: by start, longer first, then by label."""
        return span_rules.span_order({name: info.position for name, info in self._labels.items()})

    def _insert(self, spans: list[SpanRecord], span: SpanRecord) -> None:
        key = self._span_order()
        spans.insert(bisect_right(spans, key(span), key=key), span)

    def _reload(self) -> None:
        """Fetch the open article again and redraw what changed (spans, status)."""
        if self._article is None:
            return
        detail = library.get_article(self.store, self._article.id)
        if detail is None:
            self.open_article(None)
        elif detail.text != self._article.text:
            selected = self.selected_span_id()
            self.open_article(detail.id)
            self.select_span(selected)
        else:
            self._show_spans(detail)

    def refresh_layers(self) -> None:
        """Draw the open article's spans again: review mode began or ended."""
        if self._article is not None:
            self._show_spans(self._article)

    def _show_spans(self, detail: ArticleDetail) -> None:
        self._article = detail
        self.status_badge.set_status(detail.status)
        spans = self.review.visible(detail.spans)
        self.view.set_spans(spans)
        self.suggestions.set_spans(detail.spans)
        self.review.set_spans(detail.spans)
        self.span_list.set_spans(spans)
        self.span_list.select_span(self.view.selected_span_id())
        self._show_claim()
        self.linker.show_spans(spans)
        self.linker.show_span(self.selected_span())

    def _show_claim(self) -> None:
        span = self.selected_span()
        info = self._labels.get(span.label) if span else None
        if span is None or info is None or info.kind != "claim" or self._article is None:
            self.claim_details.set_claim(None)
            return
        self.claim_details.set_claim(span, self._article)

    def _on_text_selection(self) -> None:
        if self.view.textCursor().hasSelection() and self.selected_span_id() is not None:
            self.select_span(None, reveal=False)

    def _on_label_button(self, name: str) -> None:
        self.apply_label(name)
        self.view.setFocus()

    def _fill_context_menu(self, menu: QMenu) -> None:
        if self._article is None:
            return
        menu.addSeparator()
        needle = self._needle()
        selection = self.view.selection_range()
        if selection is not None:
            label_as = menu.addMenu("Label as")
            all_as = menu.addMenu(f"Label all occurrences of “{preview(needle, 30)}” as")
        elif needle:
            label_as = menu.addMenu("Change label to")
            all_as = menu.addMenu(f"Label all occurrences of “{preview(needle, 30)}” as")
        else:
            return
        for info in self._labels.values():
            key = f"\t{info.shortcut}" if info.shortcut else ""
            label_as.addAction(f"{info.name}{key}", lambda n=info.name: self.apply_label(n))  # type: ignore[misc]
            all_as.addAction(info.name, lambda n=info.name: self.label_all_occurrences(n))  # type: ignore[misc]
        span = self.selected_span()
        if span is not None and selection is None:
            menu.addAction(icon("delete"), f"Delete {span.label} span\tDel", self.delete_selected_span)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            # Children with style sheets keep their palette and are not told: restyle them from here.
            for child in self.findChildren(QWidget):
                if isinstance(child, Styled):
                    child.restyle()

