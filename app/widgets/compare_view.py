"""Two near copies side by side, the words found in only one of them highlighted.

Opened from the library's context menu (Compare with Near Copy…). The panes
scroll together; "Copy Spans from the Left" offers the left copy's spans on
the right one as suggestions (app/core/quality/span_transfer.py).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QWidget,
)

from app.core.db.store import Store
from app.core.ops.library import ArticleDetail, get_article
from app.core.quality import near_copies
from app.core.quality.text_diff import Segments, word_diff
from app.widgets.palette import tinted
from app.widgets.tasks import Task, run_task

REMOVED = QColor("#ef4444")  # only in the left copy
ADDED = QColor("#22c55e")  # only in the right copy


def _html(segments: Segments, colour: QColor) -> str:
    back, fore, _border = tinted(colour, dark_alpha=0.45, light_alpha=0.30)
    parts = []
    for chunk, changed in segments:
        escaped = html.escape(chunk).replace("\n", "<br>")
        parts.append(f"<span style='background:{back}; color:{fore}'>{escaped}</span>" if changed else escaped)
    return "<div style='line-height:140%'>" + "".join(parts) + "</div>"


def _compare(left: str, right: str) -> tuple[float, Segments, Segments]:
    """How alike the texts are, and the words found in only one of them (run in the background)."""
    similarity = near_copies.jaccard(near_copies.shingle_hashes(left), near_copies.shingle_hashes(right))
    only_left, only_right = word_diff(left, right)
    return similarity, only_left, only_right


def _heading(art: ArticleDetail) -> str:
    title = html.escape(art.title.strip() or "(untitled)")
    site = html.escape(art.site_name or art.url or art.source or "")
    return f"<b>{title}</b>" + (f"<br><span style='color:gray'>{site}</span>" if site else "")


class CompareView(QDialog):
    """The articles ``left_id`` and ``right_id`` of one dataset, compared."""

    copy_spans_requested = Signal(int, int)  # target (right), source (left)

    def __init__(self, store: Store, left_id: int, right_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare Near Copies")
        self.resize(1100, 700)
        left, right = get_article(store, left_id), get_article(store, right_id)
        if left is None or right is None:
            raise LookupError("An article to compare is no longer in the dataset.")
        self.left_id, self.right_id = left_id, right_id
        # The texts show at once; the comparison, whose cost grows with their length, arrives from the background.
        self.summary = QLabel("Comparing the two copies…", self)
        self.panes: list[QTextBrowser] = []
        grid = QGridLayout(self)
        grid.addWidget(self.summary, 0, 0, 1, 2)
        for col, art in enumerate((left, right)):
            heading = QLabel(_heading(art), self)
            heading.setTextFormat(Qt.TextFormat.RichText)
            heading.setWordWrap(True)
            pane = QTextBrowser(self)
            pane.setOpenLinks(False)
            pane.setHtml(_html([(art.text, False)], ADDED))
            grid.addWidget(heading, 1, col)
            grid.addWidget(pane, 2, col)
            self.panes.append(pane)
        grid.setRowStretch(2, 1)
        self._scroll_together()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("Copy Spans from the Left", self)
        self.copy_button.setToolTip("Offer the left copy's spans on the right one as suggestions, where the text "
                                    "is the same")
        self.copy_button.setEnabled(bool(left.spans) and not store.read_only)
        if store.read_only:
            self.copy_button.setToolTip("Read-only: copy the dataset to edit it")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(lambda: self.copy_spans_requested.emit(self.right_id, self.left_id))
        buttons.rejected.connect(self.reject)
        grid.addWidget(buttons, 3, 0, 1, 2)
        left_text, right_text = left.text, right.text
        self.comparing: Task | None = run_task(lambda: _compare(left_text, right_text), on_done=self._show_comparison,
                                               on_error=self._comparison_failed)

    def _show_comparison(self, compared: tuple[float, Segments, Segments]) -> None:
        similarity, only_left, only_right = compared
        self.comparing = None
        self.summary.setText(
            f"{near_copies.percent(similarity)} similar (shared 5-word stretches).  "
            f"<span style='background:{tinted(REMOVED, 0.45, 0.30)[0]}'>&nbsp;Only on the left&nbsp;</span>  "
            f"<span style='background:{tinted(ADDED, 0.45, 0.30)[0]}'>&nbsp;Only on the right&nbsp;</span>")
        for pane, segments, colour in zip(self.panes, (only_left, only_right), (REMOVED, ADDED), strict=True):
            at = pane.verticalScrollBar().value()
            pane.setHtml(_html(segments, colour))
            pane.verticalScrollBar().setValue(at)

    def _comparison_failed(self, _exc: BaseException) -> None:
        self.comparing = None
        self.summary.setText("The two copies could not be compared.")

    def _scroll_together(self) -> None:
        """Each pane follows the other's scroll position, in proportion to its length."""
        a, b = (p.verticalScrollBar() for p in self.panes)

        def follow(src: object, dst: object) -> None:
            def moved(value: int) -> None:
                if dst.isSliderDown() or src.maximum() == 0:  # type: ignore[attr-defined]
                    return
                dst.blockSignals(True)  # type: ignore[attr-defined]
                dst.setValue(round(value / src.maximum() * dst.maximum()))  # type: ignore[attr-defined]
                dst.blockSignals(False)  # type: ignore[attr-defined]
            src.valueChanged.connect(moved)  # type: ignore[attr-defined]

        follow(a, b)
        follow(b, a)
