"""The strip above an article's text (label buttons, status badge, link) and the banner over it.

Small widgets of the annotation panel whose colours follow the palette (dark
and light themes); they know nothing of the panel itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QIcon, QMouseEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QWidget,
)

from app.core.ops.labels import LabelInfo
from app.core.ops.span_edits import ARTICLE_STATUSES
from app.widgets.icons import icon
from app.widgets.palette import STATUS_COLORS, Styled, status_icon, tinted

HINT = "Select text and press a label key · click a span, then a key to relabel · Del deletes · Alt+A: all occurrences"

LINK_SCHEMES = ("http", "https")


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that never interprets its text as HTML."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def muted_label(text: str = "") -> QLabel:
    """Secondary text (metadata, hints) in the palette's placeholder colour: quieter, still readable."""
    label = plain_label(text)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


class MessageBanner(Styled, QFrame):
    """Failures (red) and hints over the bottom of a widget (the article text); never modal.

    It floats over the widget instead of taking a row of the layout, so the text
    under the mouse does not move when a banner comes and goes. ``avoid`` gives
    the part of the widget it must leave in sight (the selected words); when
    they are at the bottom, the banner shows at the top.
    """

    COLOURS: ClassVar[dict[str, str]] = {"error": "#dc2626", "armed": "#7c3aed", "info": "#2563eb"}
    MARGIN = 8  # from the sides of the text area

    def __init__(self, over: QWidget) -> None:
        super().__init__(over)
        self.setObjectName("messageBanner")
        self.setFont(QApplication.font())  # not the larger font of the text it floats over
        self.message = plain_label()
        self.message.setWordWrap(True)
        close = QToolButton(text="✕", autoRaise=True, toolTip="Dismiss (Esc)")  # type: ignore[call-arg]
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.message, 1)
        layout.addWidget(close)
        self.kind = ""
        self.avoid: Callable[[], QRect | None] = lambda: None
        self._timer = QTimer(self, singleShot=True, timeout=self.dismiss)  # type: ignore[call-arg]
        self.hide()
        # The text area of a scroll area is its viewport: it also shrinks when a scroll bar appears.
        self._area = over.viewport() if isinstance(over, QAbstractScrollArea) else over
        self._area.installEventFilter(self)

    def style_sheet(self) -> str:
        colour = self.COLOURS.get(self.kind, "#2563eb")
        back, fore, edge = tinted(QColor(colour), 0.24, 0.12)
        return (f"#messageBanner {{ background: {back}; border: 1px solid {edge}; border-left: 5px solid {colour};"
                f" border-radius: 4px; }} #messageBanner QLabel {{ color: {fore}; }}")

    def show_message(self, text: str, kind: str = "error", seconds: float = 0) -> None:
        self.kind = kind
        self.message.setText(text)
        self.restyle()
        self.place()
        self.show()
        self.raise_()
        if seconds:
            self._timer.start(int(seconds * 1000))
        else:
            self._timer.stop()

    def dismiss(self) -> None:
        self.kind = ""
        self.hide()

    def place(self) -> None:
        """Lay the banner over the bottom of the text area, or its top when ``avoid`` is at the bottom."""
        area = self._area.geometry() if self._area is not self.parentWidget() else self._area.rect()
        area = area.adjusted(self.MARGIN, 0, -self.MARGIN, 0)  # flush with the edge: no sliver of text beyond it
        height = self.heightForWidth(area.width()) if self.hasHeightForWidth() else self.sizeHint().height()
        height = min(height, area.height())
        rect = QRect(area.left(), area.bottom() + 1 - height, area.width(), height)
        avoid = self.avoid()
        if avoid is not None and rect.intersects(avoid):
            rect.moveTop(area.top())
        self.setGeometry(rect)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self._area and event.type() == QEvent.Type.Resize and self.isVisible():
            self.place()
        return False


class LabelButton(Styled, QPushButton):
    """A label's button: its colour, its key and its name ("1  PERSON")."""

    def __init__(self, info: LabelInfo) -> None:
        key = f"{info.shortcut}  " if info.shortcut else ""
        super().__init__(f"{key}{info.name}".replace("&", "&&"))
        self.info = info
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the text keeps the focus and its selection
        self.setToolTip(info.description or info.name + (f"\nKey: {info.shortcut}" if info.shortcut else ""))
        self.restyle()

    def style_sheet(self) -> str:
        back, fore, edge = tinted(QColor(self.info.color))
        hover = tinted(QColor(self.info.color), 0.45, 0.30)[0]
        return (f"QPushButton {{ background: {back}; color: {fore}; border: 1px solid {edge};"
                f" border-left: 6px solid {self.info.color}; border-radius: 4px; padding: 5px 12px;"
                f" font-weight: 600; }} QPushButton:hover {{ background: {hover}; }}")


class StatusBadge(Styled, QToolButton):
    """The article's status as a coloured pill; its menu changes it."""

    status_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = "new"
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        font = self.font()
        font.setBold(True)  # in the font, not the style sheet, so the button's size hint is measured bold
        self.setFont(font)
        # The status icon of the library, in the same colour: one look for a status everywhere.
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._icons = {status: status_icon(status) for status in ARTICLE_STATUSES}
        self.restyle()
        widths = []
        for status in ARTICLE_STATUSES:  # as wide as the longest status: no jumping, no relayout
            self.setText(status.replace("_", " "))
            self.setIcon(self._icons[status])
            widths.append(self.sizeHint().width())
        self.setFixedWidth(max(widths))
        self.setToolTip("Status of this article; click to change it")
        menu = QMenu(self)
        for status in ARTICLE_STATUSES:
            action = menu.addAction(self._icons[status], f"Mark {status.replace('_', ' ')}")
            action.triggered.connect(lambda _=False, s=status: self.status_chosen.emit(s))
        self.setMenu(menu)

    def set_status(self, status: str) -> None:
        self.status = status
        self.restyle()
        self.setText(status.replace("_", " "))  # after the style: the button measures its text then
        self.setIcon(self._icons.get(status, QIcon()))

    def style_sheet(self) -> str:
        back, fore, edge = tinted(QColor(STATUS_COLORS.get(self.status, STATUS_COLORS["new"])))
        return (f"QToolButton {{ background: {back}; color: {fore}; border: 1px solid {edge}; border-radius: 11px;"
                " padding: 3px 12px; } QToolButton::menu-indicator { image: none; width: 0; }")


class LinkLabel(QLabel):
    """An article's URL as plain text in the link colour; a click opens it in the browser (web addresses only)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.url = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setForegroundRole(QPalette.ColorRole.Link)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        font = self.font()
        font.setUnderline(True)
        self.setFont(font)

    def set_url(self, url: str | None) -> None:
        self.url = url or ""
        self.setText(self.url if len(self.url) <= 80 else self.url[:79] + "…")
        self.setToolTip(f"Open in the browser: {self.url}")
        self.setVisible(bool(self.url))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.open()

    def open(self) -> bool:
        url = QUrl(self.url)
        if not url.isValid() or url.scheme().lower() not in LINK_SCHEMES:
            return False
        return QDesktopServices.openUrl(url)


class LabelBar(QWidget):
    """One button per label, the all-occurrences switch and a reminder of the keys."""

    label_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buttons: dict[str, LabelButton] = {}
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(6)
        self.all_button = QToolButton(  # type: ignore[call-arg]
            text="All occurrences", checkable=True, icon=icon("all_occurrences"))
        self.all_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.all_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.all_button.setToolTip("Alt+A: the next label applies to every occurrence of the selected words")
        self.hint = muted_label(HINT)
        self.hint.setWordWrap(True)

    def set_labels(self, labels: list[LabelInfo]) -> None:
        for button in self.buttons.values():
            button.deleteLater()
        while self.row.count():
            self.row.takeAt(0)
        self.buttons = {info.name: LabelButton(info) for info in labels}
        for name, button in self.buttons.items():
            button.clicked.connect(lambda _=False, n=name: self.label_chosen.emit(n))
            self.row.addWidget(button)
        self.row.addSpacing(8)
        self.row.addWidget(self.all_button)
        self.row.addSpacing(8)
        self.row.addWidget(self.hint, 1)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.all_button.setIcon(icon("all_occurrences"))  # drawn in the text colour of the palette
