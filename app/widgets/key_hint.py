"""The first-run hint above the annotation panel: which keys label, which key finishes an article.

Shown while ``Settings.show_key_hint`` is true. Closing it turns the setting off
(and saves it, so it stays closed after a restart); Help ▸ Show Label Keys Hint
turns it on again. The label keys come from the dataset's label set, so a key
changed in the settings shows here as soon as the labels are reloaded.
"""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QWidget,
)

from app.core.ops.labels import LabelInfo
from app.core.settings import Settings, save_settings
from app.widgets.icons import icon
from app.widgets.palette import Styled, mix, tinted

log = logging.getLogger(__name__)

SHOW_AGAIN = "Help ▸ Show Label Keys Hint shows it again"


def native(sequence: QKeySequence) -> str:
    """A key sequence as this platform writes it (Ctrl+Return here, ⌘↩ on macOS)."""
    return sequence.toString(QKeySequence.SequenceFormat.NativeText)


class KeyHint(Styled, QFrame):
    """A one-line, dismissible strip: "Select words, then press 1 PERSON · 2 ORG · 3 CLAIM …"."""

    dismissed = Signal()

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self._labels: list[LabelInfo] = []
        self._done_key = ""
        self._suggestion_keys = False  # the open article shows suggestions: say how to take them
        self.setObjectName("keyHint")
        self.setAccessibleName("Label keys hint")
        self.bulb = QLabel()
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.RichText)  # built from escaped parts: keys as small caps
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.close_button = QToolButton(autoRaise=True)
        self.close_button.setIcon(icon("cancel"))
        self.close_button.setIconSize(QSize(14, 14))
        self.close_button.setToolTip(f"Hide this hint ({SHOW_AGAIN})")
        self.close_button.setAccessibleName("Hide the label keys hint")
        self.close_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the text keeps the focus and its selection
        self.close_button.clicked.connect(self.dismiss)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 4, 4)
        row.setSpacing(8)
        row.addWidget(self.bulb, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.message, 1)
        row.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.restyle()
        self.setVisible(settings.show_key_hint)

    # -- content -----------------------------------------------------------------------------
    def set_labels(self, labels: list[LabelInfo]) -> None:
        self._labels = list(labels)
        self._fill()

    def set_done_key(self, sequence: QKeySequence) -> None:
        self._done_key = native(sequence)
        self._fill()

    def set_suggestion_keys(self, shown: bool) -> None:
        if shown != self._suggestion_keys:
            self._suggestion_keys = shown
            self._fill()

    def label_keys(self) -> list[tuple[str, str]]:
        """(key, label name) for every label that has a key, in the label set's order."""
        return [(lb.shortcut, lb.name) for lb in self._labels if lb.shortcut]

    def plain_text(self) -> str:
        """What the hint says, without its styling."""
        keys = " · ".join(f"{key} {name}" for key, name in self.label_keys())
        first = f"Select words, then press {keys}." if keys else "Select words, then click a label's button."
        if self._done_key:
            first += f" Finished? {self._done_key} marks the article done and opens the next."
        if self._suggestion_keys:
            first += " Dashed = suggested: " + ", ".join(
                f"{key} {what}" for key, what in self._suggestion_key_names()) + "."
        return first

    def _suggestion_key_names(self) -> list[tuple[str, str]]:
        """The suggestion keys to name: X only while no label has it (a label's key wins)."""
        taken = {lb.shortcut.upper() for lb in self._labels if lb.shortcut}
        keys = [("Tab", "next"), ("Enter", "accepts"), ("X", "rejects"), ("Shift+Enter", "accepts all")]
        return [(key, what) for key, what in keys if key.upper() not in taken]

    def _fill(self) -> None:
        pal = QApplication.palette()
        neutral = mix(pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text), 0.14).name()

        def cap(key: str, back: str = neutral, fore: str = "") -> str:
            colour = f" color:{fore};" if fore else ""
            return (f'<span style="background-color:{back};{colour} font-weight:600;">'
                    f"&nbsp;{html.escape(key)}&nbsp;</span>")

        parts = []
        for lb in self._labels:
            if lb.shortcut:
                back, fore, _edge = tinted(QColor(lb.color), 0.45, 0.30)
                parts.append(f"{cap(lb.shortcut, back, fore)}&nbsp;{html.escape(lb.name)}")
        if parts:
            text = "Select words, then press " + " &nbsp;·&nbsp; ".join(parts) + "."
        else:
            text = "Select words, then click a label’s button."
        if self._done_key:
            text += f" &nbsp; Finished? {cap(self._done_key)} marks the article done and opens the next."
        if self._suggestion_keys:
            text += " &nbsp; Dashed = suggested: " + ", ".join(
                f"{cap(key)} {what}" for key, what in self._suggestion_key_names()) + "."
        self.message.setText(text)

    # -- showing and hiding ------------------------------------------------------------------------
    def dismiss(self) -> None:
        """Close the hint for good (until Help ▸ Show Label Keys Hint)."""
        self.hide()
        self._remember(False)
        self.dismissed.emit()

    def show_again(self) -> None:
        self._remember(True)
        self.show()

    def _remember(self, shown: bool) -> None:
        self.settings.show_key_hint = shown
        try:
            save_settings(self.settings)
        except OSError:  # the choice still holds for this session; the window saves settings again on close
            log.warning("could not save the settings", exc_info=True)

    # -- palette -------------------------------------------------------------------------------------
    def style_sheet(self) -> str:
        pal = QApplication.palette()
        back, fore, _edge = tinted(pal.color(QPalette.ColorRole.Highlight), 0.16, 0.07)
        border = mix(pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text), 0.22).name()
        return (f"#keyHint {{ background: {back}; border: 1px solid {border}; border-radius: 4px; }}"
                f" #keyHint QLabel {{ color: {fore}; background: transparent; }}")

    def restyle(self) -> None:
        super().restyle()
        pal = QApplication.palette()
        size = self.fontMetrics().height()
        self.bulb.setPixmap(icon("hint", color=pal.color(QPalette.ColorRole.Highlight).name()).pixmap(size, size))
        self.close_button.setIcon(icon("cancel"))
        self._fill()
