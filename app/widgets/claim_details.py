"""Claimant, verdict, date and note of the selected CLAIM span.

Values are saved through the edit gateway when the annotator finishes a field
(Return, Tab, leaving it, or picking from a list), never per keystroke, so
each finished field is one undoable edit.

The claimant box offers, as the annotator types (or presses Down), the PERSON
and ORG mentions of the article with the proposed claimant first
(``app.core.entities.claim_links``), then the registry's entities whose name or
an alias matches, then a new entity of that name. Picking one stores its name
and links the claim to its entity (making the entity when it is new). A name
typed and left without picking is linked only when it names exactly one entity;
otherwise it stays a free name, unlinked.

The list is a ``QCompleter`` given the box as its widget (not installed as the
box's completer): the box then never rewrites its text from the list, and what
is picked is read from the picked row itself, so the name stored is the one the
annotator saw highlighted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    Qt,
    QTimer,
)
from PySide6.QtGui import QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QCompleter,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStackedWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from app.core.db.store import STORE_ERRORS
from app.core.entities import claim_links, registry
from app.core.entities.claim_links import ClaimantOption
from app.core.entities.claimant import ORG_LABELS
from app.core.entities.claims import check_date
from app.core.entities.matching import normalise
from app.core.errors import InvalidInput
from app.core.ops.library import ArticleDetail, SpanRecord
from app.core.ops.span_rules import default_verdict
from app.widgets.claim_edits import WAIT_FOR_WRITES_S
from app.widgets.edits import EditGateway
from app.widgets.icons import icon
from app.widgets.span_list import preview

_ROOT = QModelIndex()
TYPING_DELAY_MS = 150  # the registry is searched once typing pauses, not for every key
_UNREADABLE: tuple[type[BaseException], ...] = (InvalidInput, *STORE_ERRORS)  # a span or entity gone, a locked file
_SOURCE_TEXT = {"proposed": "proposed", "article": "in this article", "registry": "in the registry"}


def option_text(option: ClaimantOption) -> str:
    """How an option reads in the list: the name, its kind, and why it is offered."""
    if option.source == "new":
        return f"New {option.kind} “{option.name}”"
    where = _SOURCE_TEXT.get(option.source, option.source)
    if option.detail and option.detail != "in this article":
        where += f" ({option.detail})"
    parts = [option.name, option.kind, where] + (["new entity"] if option.new_kind is not None else [])
    return "  ·  ".join(parts)


class ClaimantOptions(QAbstractListModel):
    """The claimant box's list: display text shows where a name comes from, the edit role is the name."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.options: list[ClaimantOption] = []

    def set_options(self, options: Sequence[ClaimantOption]) -> None:
        self.beginResetModel()
        self.options = list(options)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.options)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.options):
            return None
        option = self.options[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return option_text(option)
        if role == Qt.ItemDataRole.EditRole:
            return option.name
        if role == Qt.ItemDataRole.DecorationRole:
            return icon("label.org" if option.kind in ORG_LABELS else "label.person")
        if role == Qt.ItemDataRole.ToolTipRole:
            return option_text(option)
        return None


class ClaimDetails(QWidget):
    def __init__(self, gateway: EditGateway, verdicts: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self._verdicts = list(verdicts)
        self._span: SpanRecord | None = None
        self._article: ArticleDetail | None = None
        self._claimant_id: int | None = None
        self._article_options: list[ClaimantOption] | None = None  # worked out on first need
        self._kinds: list[str] | None = None  # the claimant kinds of the dataset, read once per claim shown
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_DELAY_MS)
        self._typing.timeout.connect(lambda: self.show_options(self.claimant.text()))
        self._picked: tuple[int, ClaimantOption] | None = None  # the last row picked, and of which claim

        self._build_heading()
        self._build_quote()
        self._build_fields()
        editor = self._build_editor()
        self._build_pages(editor)
        self._connect_fields()
        self.set_claim(None)

    # -- building ------------------------------------------------------------------------
    def _build_heading(self) -> None:
        """The bold heading, whose font the annotation panel's "Spans" title takes too."""
        self.heading = QLabel("Claim")
        self.heading.setObjectName("claimHeading")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)

    def _build_quote(self) -> None:
        """The claim's text, quoted above its fields."""
        self.quote = QLabel()
        self.quote.setTextFormat(Qt.TextFormat.PlainText)
        self.quote.setWordWrap(True)
        self.quote.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # A fixed three lines: a wrapping label's height depends on its width, which splitters
        # do not ask about, and would squeeze the fields below it.
        self.quote.setFixedHeight(self.quote.fontMetrics().lineSpacing() * 3 + 4)
        self.quote.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def _build_fields(self) -> None:
        """The claimant box with its list, the entity it links, and the verdict, date and note fields."""
        self.claimant = QLineEdit()
        self.claimant.setPlaceholderText("Who makes this claim?")
        self.claimant.setToolTip("A PERSON or ORG of this article or of the registry (Down lists them), "
                                 "or type a name")
        self.claimant.installEventFilter(self)
        self.options = ClaimantOptions(self)
        self.completer = QCompleter(self.options, self)
        self.completer.setWidget(self.claimant)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setMaxVisibleItems(10)
        self.claimant_link = QLabel()
        self.claimant_link.setTextFormat(Qt.TextFormat.PlainText)
        self.claimant_link.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.claimant_link.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.verdict = QComboBox()
        self.verdict.addItems(self._verdicts or [default_verdict(self._verdicts)])
        self.date = QLineEdit()
        self.date.setToolTip("The claim's date as YYYY-MM-DD; left empty, the article's publication date")
        self.date.setClearButtonEnabled(True)
        self.note = QLineEdit()
        self.note.setPlaceholderText("Why this verdict, sources…")
        self.note.setClearButtonEnabled(True)

    def _build_editor(self) -> QWidget:
        """The quote above the labelled fields."""
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(6)
        form.addRow("Claimant", self.claimant)
        form.addRow("", self.claimant_link)
        form.addRow("Verdict", self.verdict)
        form.addRow("Date", self.date)
        form.addRow("Note", self.note)
        editor = QWidget()
        editor_layout = QVBoxLayout(editor)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.addWidget(self.quote)
        editor_layout.addLayout(form)
        return editor

    def _build_pages(self, editor: QWidget) -> None:
        """Under the heading: the editor, or a hint while no claim is selected."""
        self.hint = QLabel("Select a CLAIM span to set who makes it and whether it holds.")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.hint)
        self.pages.addWidget(editor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.heading)
        layout.addWidget(self.pages)
        layout.addStretch(1)
        self.setMinimumHeight(self.sizeHint().height())

    def _connect_fields(self) -> None:
        """Each field is saved when it is finished or picked from its list."""
        self.claimant.textEdited.connect(lambda _typed: self._typing.start())
        self.claimant.editingFinished.connect(self._commit_claimant)
        self.completer.activated[QModelIndex].connect(self._pick)  # type: ignore[index]
        self.verdict.activated.connect(self._commit)
        self.date.editingFinished.connect(self._commit)
        self.note.editingFinished.connect(self._commit)

    # -- state -------------------------------------------------------------------------
    def span_id(self) -> int | None:
        return self._span.id if self._span else None

    def claimant_id(self) -> int | None:
        """The entity the shown claim's claimant links to."""
        return self._claimant_id

    def set_verdicts(self, verdicts: Sequence[str]) -> None:
        """Offer these verdicts from now on (Settings changed the list); the shown claim keeps its own."""
        self._verdicts = list(verdicts)
        self.verdict.blockSignals(True)
        self.verdict.clear()
        self.verdict.addItems(self._verdicts or [default_verdict(self._verdicts)])
        self.verdict.blockSignals(False)
        if self._span is not None:
            self.set_claim(self._span, self._article)

    def set_claim(self, span: SpanRecord | None, article: ArticleDetail | None = None) -> None:
        """Show ``span`` (a CLAIM of ``article``) or nothing. A field being typed in keeps its text."""
        same = span is not None and self._span is not None and span.id == self._span.id
        if not same:
            self._typing.stop()
            self._popup().hide()
            self._article_options = None
            self._kinds = None
        self._span, self._article = span, article
        editing = QApplication.focusWidget() if same else None
        if same and self._popup().isVisible():
            editing = self.claimant
        self.pages.setCurrentIndex(1 if span else 0)
        for widget in (self.claimant, self.verdict, self.date, self.note):
            widget.setEnabled(span is not None)
        if span is None:
            self.quote.clear()
            self._claimant_id = None
            return
        self.quote.setText(f"“{preview(span.text, 180)}”")
        attrs = span.attributes
        self._claimant_id = self._stored_claimant_id(span.id)
        self._show_link()
        if editing is not self.claimant:
            self.claimant.setText(str(attrs.get("claimant") or ""))
        verdict = str(attrs.get("verdict") or default_verdict(self._verdicts))
        self.verdict.blockSignals(True)
        if self.verdict.findText(verdict) < 0:
            self.verdict.addItem(verdict)
        self.verdict.setCurrentText(verdict)
        self.verdict.blockSignals(False)
        published = (article.published or "")[:10] if article is not None else ""
        self.date.setPlaceholderText(f"{published} (the article's date)" if published else "YYYY-MM-DD")
        if editing is not self.date:
            self.date.setText(str(attrs.get("date") or ""))
        if editing is not self.note:
            self.note.setText(str(attrs.get("note") or ""))

    def _stored_claimant_id(self, span_id: int) -> int | None:
        try:
            return self.gateway.span_state(span_id).get("claimant_id")
        except _UNREADABLE:
            return None

    def _show_link(self) -> None:
        """Under the claimant: the entity it links to, or that it links to none."""
        if self._claimant_id is None:
            named = bool(self._span and self._span.attributes.get("claimant"))
            self.claimant_link.setText("Not linked to an entity: pick a name from the list to link it" if named
                                       else "Down lists the people and organisations of this article")
            return
        try:
            entity = registry.read_entity(self.gateway.store, self._claimant_id)
        except _UNREADABLE:
            self.claimant_link.setText("Linked to an entity no longer in the registry")
            return
        self.claimant_link.setText(f"Linked to {entity['name']} ({entity['kind']}, entity {entity['id']})")

    # -- the claimant's list -------------------------------------------------------------
    def _popup(self) -> QAbstractItemView:
        popup = self.completer.popup()
        assert popup is not None  # a completer always has its list
        return popup

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (watched is self.claimant and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Down and not self._popup().isVisible()):
            # The claimant as stored lists every name of the article; words typed since, those that fit.
            stored = self._span is not None and self.claimant.text() == self._span.attributes.get("claimant")
            self.show_options("" if stored else self.claimant.text())
            return True
        return super().eventFilter(watched, event)

    def show_options(self, typed: str) -> None:
        """List the names that fit what is typed (all of the article's when nothing is), none highlighted."""
        self._typing.stop()
        if self._span is None:
            return
        store = self.gateway.store
        try:
            options = self._options_of_article()
            if typed.strip():
                options = claim_links.matching_options(options, typed)
                options += claim_links.registry_options(store, typed)
                # A new entity of a name and kind already offered would only repeat it.
                offered = {(normalise(o.name), o.kind) for o in options}
                if self._kinds is None:
                    self._kinds = claim_links.claimant_kinds(store)
                options += [o for o in claim_links.new_options(typed, self._kinds)
                            if (normalise(o.name), o.kind) not in offered]
        except STORE_ERRORS:
            return  # a locked or damaged dataset: the box still takes a typed name
        firsts: dict[tuple[Any, ...], ClaimantOption] = {}
        for option in options:
            firsts.setdefault(option.key(), option)  # each once, at its first place
        unique = list(firsts.values())
        self.options.set_options(unique)
        self._picked = None
        if not unique:
            self._popup().hide()
            return
        # As wide as its rows need (the box is narrow in the side panel), within reason, its right edge
        # under the box's: it opens over the text rather than off the window's side.
        popup = self._popup()
        wanted = popup.sizeHintForColumn(0) + popup.verticalScrollBar().sizeHint().width() + 8
        width = max(self.claimant.width(), min(wanted, 640))
        self.completer.complete(QRect(self.claimant.width() - width, 0, width, self.claimant.height()))
        # Nothing is picked until the annotator moves to a row: Return keeps what was typed.
        self._popup().setCurrentIndex(QModelIndex())

    def _options_of_article(self) -> list[ClaimantOption]:
        if self._article_options is None:
            span, article = self._span, self._article
            if span is None or article is None:
                return []
            # The mentions are read from the dataset: the spans labelled a moment ago must be stored first.
            self.gateway.wait_until_saved(WAIT_FOR_WRITES_S)
            mentions = claim_links.article_mentions(self.gateway.store, article.id)
            self._article_options = claim_links.article_options(self.gateway.store, article.text,
                                                                (span.start, span.end), mentions)
        return list(self._article_options)

    def _pick(self, index: QModelIndex) -> None:
        """A row of the list was picked (Return, Tab or a click): store its name and entity."""
        if not 0 <= index.row() < len(self.options.options):
            return
        option = self.options.options[index.row()]
        if self._span is None or self._picked == (self._span.id, option):
            return  # already picked when the box was finished by the same key
        self._picked = (self._span.id, option)
        self.claimant.setText(option.name)
        self._store_claimant(option.name, option.entity_id, option.new_kind)

    def _commit_claimant(self) -> None:
        """The claimant box was finished: with a row of its list highlighted, that row is picked; else the
        typed name is stored, linked when it names exactly one entity.

        The list hands Return and Tab to the box before it acts on them itself, so the box is finished
        while the highlighted row is still to be picked: it is picked here, once (see ``_pick``).
        """
        self._typing.stop()  # finished: no list opens again for what was typed
        popup = self._popup()
        current = popup.currentIndex() if popup.isVisible() else QModelIndex()
        popup.hide()
        if self._span is None:
            return
        if current.isValid():
            self._pick(current)
            return
        name = " ".join(self.claimant.text().split())
        if name == str(self._span.attributes.get("claimant") or ""):
            return
        try:
            entity_id = claim_links.exact_entity(self.gateway.store, name) if name else None
        except STORE_ERRORS:
            entity_id = None
        self._store_claimant(name, entity_id, None)

    def _store_claimant(self, name: str, entity_id: int | None, new_kind: str | None) -> None:
        span = self._span
        if span is None:
            return
        if new_kind is None and name == span.attributes.get("claimant", "") and entity_id == self._claimant_id:
            return
        attributes = {**span.attributes, "claimant": name}
        # Keep ours current until the panel shows the edit, so the Return that follows a pick saves nothing twice.
        self._span = replace(span, attributes=attributes)
        change = self.gateway.set_claimant(span.id, attributes, entity_id, new_kind)
        if change is None:
            self._span = span
            return
        self._claimant_id = change.after.get("claimant_id")
        self._article_options = None  # a new entity is now in the registry
        self._show_link()

    # -- verdict, date, note ---------------------------------------------------------------
    def _commit(self, *_args: object) -> None:
        span = self._span
        if span is None:
            return
        try:
            day = check_date(self.date.text())
        except ValueError as exc:
            self.date.setText(str(span.attributes.get("date") or ""))
            QToolTip.showText(self.date.mapToGlobal(self.date.rect().bottomLeft()), str(exc), self.date)
            return
        values = {"verdict": self.verdict.currentText(), "note": self.note.text().strip()}
        if day or span.attributes.get("date"):
            values["date"] = day
        stored = {key: str(span.attributes.get(key) or "") for key in values}
        if not stored["verdict"]:
            stored["verdict"] = default_verdict(self._verdicts)
        if values == stored:
            return
        attributes = {**span.attributes, **values}
        # The panel reloads the span from changes_applied; until then keep ours current so a
        # second signal for the same edit (Return, then leaving the field) saves nothing twice.
        self._span = replace(span, attributes=attributes)
        if self.gateway.set_attributes(span.id, attributes) is None:
            self._span = span
