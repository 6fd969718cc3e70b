"""Claimant, verdict and note of the selected CLAIM span.

Values are saved through the edit gateway when the annotator finishes a field
(Return, Tab, leaving it, or picking from a list), never per keystroke, so
each finished field is one undoable edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QCompleter,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.ops.library import SpanRecord
from app.core.ops.span_rules import CLAIM_FIELDS, default_verdict
from app.widgets.edits import EditGateway
from app.widgets.span_list import preview

CLAIMANT_LABELS = ("PERSON", "ORG")


def claimant_candidates(claim: SpanRecord, spans: Sequence[SpanRecord]) -> list[str]:
    """Texts of the article's PERSON and ORG spans: those inside the claim first, then by distance."""

    def distance(span: SpanRecord) -> int:
        if span.start >= claim.start and span.end <= claim.end:
            return -1
        return claim.start - span.end if span.end <= claim.start else span.start - claim.end

    names: list[str] = []
    for span in sorted((s for s in spans if s.label in CLAIMANT_LABELS), key=lambda s: (distance(s), s.start)):
        name = " ".join(span.text.split())
        if name and name not in names:
            names.append(name)
    return names


class ClaimDetails(QWidget):
    def __init__(self, gateway: EditGateway, verdicts: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self._verdicts = list(verdicts)
        self._span: SpanRecord | None = None

        self._build_heading()
        self._build_quote()
        claimant_edit = self._build_fields()
        editor = self._build_editor()
        self._build_pages(editor)
        self._connect_fields(claimant_edit)
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

    def _build_fields(self) -> QLineEdit:
        """The claimant, verdict and note fields; returns the claimant box's line edit."""
        self.claimant = QComboBox()
        self.claimant.setEditable(True)
        self.claimant.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        claimant_edit, completer = self.claimant.lineEdit(), self.claimant.completer()
        assert claimant_edit is not None and completer is not None  # an editable combo box has both
        claimant_edit.setPlaceholderText("Who makes this claim?")
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.claimant.setToolTip("A PERSON or ORG of this article, or type a name")
        self.verdict = QComboBox()
        self.verdict.addItems(self._verdicts or [default_verdict(self._verdicts)])
        self.note = QLineEdit()
        self.note.setPlaceholderText("Why this verdict, sources…")
        self.note.setClearButtonEnabled(True)
        return claimant_edit

    def _build_editor(self) -> QWidget:
        """The quote above the labelled fields."""
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(6)
        form.addRow("Claimant", self.claimant)
        form.addRow("Verdict", self.verdict)
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

    def _connect_fields(self, claimant_edit: QLineEdit) -> None:
        """Each field is saved when it is finished or picked from its list."""
        claimant_edit.editingFinished.connect(self._commit)
        self.claimant.activated.connect(self._commit)
        self.verdict.activated.connect(self._commit)
        self.note.editingFinished.connect(self._commit)

    # -- state -------------------------------------------------------------------------
    def span_id(self) -> int | None:
        return self._span.id if self._span else None

    def set_verdicts(self, verdicts: Sequence[str]) -> None:
        """Offer these verdicts from now on (Settings changed the list); the shown claim keeps its own."""
        self._verdicts = list(verdicts)
        self.verdict.blockSignals(True)
        self.verdict.clear()
        self.verdict.addItems(self._verdicts or [default_verdict(self._verdicts)])
        self.verdict.blockSignals(False)
        if self._span is not None:
            self.set_claim(self._span, [self.claimant.itemText(i) for i in range(self.claimant.count())])

    def set_claim(self, span: SpanRecord | None, candidates: Sequence[str] = ()) -> None:
        """Show ``span`` (a CLAIM) or nothing. A field being typed in keeps its text."""
        same = span is not None and self._span is not None and span.id == self._span.id
        self._span = span
        editing = QApplication.focusWidget() if same else None
        if editing is self.claimant:  # the combo box holds the focus for its line edit
            editing = self.claimant.lineEdit()
        self.pages.setCurrentIndex(1 if span else 0)
        for widget in (self.claimant, self.verdict, self.note):
            widget.setEnabled(span is not None)
        if span is None:
            self.quote.clear()
            return
        self.quote.setText(f"“{preview(span.text, 180)}”")
        attrs = span.attributes
        if editing is not self.claimant.lineEdit():
            self.claimant.blockSignals(True)
            self._set_candidates(candidates)
            self.claimant.setEditText(str(attrs.get("claimant") or ""))
            self.claimant.blockSignals(False)
        verdict = str(attrs.get("verdict") or default_verdict(self._verdicts))
        self.verdict.blockSignals(True)
        if self.verdict.findText(verdict) < 0:
            self.verdict.addItem(verdict)
        self.verdict.setCurrentText(verdict)
        self.verdict.blockSignals(False)
        if editing is not self.note:
            self.note.setText(str(attrs.get("note") or ""))

    def _set_candidates(self, candidates: Sequence[str]) -> None:
        """Offer ``candidates``; the same list is left alone.

        The completer picks a suggestion by its row after the field has already saved
        the text (Return ends the editing first): rows filled again in between would
        make it pick another name.
        """
        combo = self.claimant
        if [combo.itemText(i) for i in range(combo.count())] != list(candidates):
            combo.clear()
            combo.addItems(list(candidates))

    def values(self) -> dict[str, str]:
        return {
            "claimant": " ".join(self.claimant.currentText().split()),
            "verdict": self.verdict.currentText(),
            "note": self.note.text().strip(),
        }

    def _commit(self, *_args: object) -> None:
        span = self._span
        if span is None:
            return
        values = self.values()
        stored = {key: str(span.attributes.get(key) or "") for key in CLAIM_FIELDS}
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
