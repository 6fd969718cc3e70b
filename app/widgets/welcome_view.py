"""The welcome view: what the library tab shows while the dataset has no articles.

Three ways to start (import web addresses, import files, open the sample
dataset) instead of an empty table. ``LibraryPage`` swaps it for the library as
soon as the dataset has articles, and back when the last one is deleted. The
view only asks; the main window does the work.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.db.store import Store
from app.core.ops import library
from app.widgets.icons import icon
from app.widgets.panel_header import muted_label, plain_label

COLUMN_WIDTH = 600  # the content stays this narrow, centred, however large the window
SAMPLE_TEXT = "Open the Sample Dataset"
SAMPLE_BUSY_TEXT = "Preparing the Sample…"
BUTTON_STYLE = "QPushButton { text-align: left; padding: 0 14px; }"


class WelcomeView(QWidget):
    import_urls_requested = Signal()
    import_files_requested = Signal()
    sample_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build_heading()
        grid = self._build_buttons()
        column = self._build_column(grid)
        self._center(column)
        self.setFocusProxy(self.urls_button)
        self._paint_icons()
        self.setAutoFillBackground(True)  # the library's table is Base-coloured: so is its stand-in
        self.setBackgroundRole(QPalette.ColorRole.Base)

    def _build_heading(self) -> None:
        """The logo, the welcome and what an empty dataset is for."""
        self.logo = QLabel()
        self.logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.heading = plain_label("Welcome to Article Curator")
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.9)
        font.setWeight(QFont.Weight.DemiBold)
        self.heading.setFont(font)
        self.intro = plain_label("This dataset has no articles yet. Import news articles to label the people, "
                                 "organisations and claims in them, or open the sample dataset to try labelling "
                                 "right away.")
        self.intro.setWordWrap(True)
        self.intro.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def _build_buttons(self) -> QGridLayout:
        """The three ways to start, each beside a line saying what it does."""
        self.urls_button = self._button("url", "Import URLs…", "Paste addresses of articles, feeds or sitemaps.")
        self.files_button = self._button("import", "Import Files…",
                                         "HTML, text, Markdown or JSONL files, or folders.")
        self.sample_button = self._button("sample", SAMPLE_TEXT, "Six short news articles, some already labelled.")
        self.urls_button.clicked.connect(self.import_urls_requested)
        self.files_button.clicked.connect(self.import_files_requested)
        self.sample_button.clicked.connect(self.sample_requested)
        self.buttons = (self.urls_button, self.files_button, self.sample_button)
        width = max(b.sizeHint().width() for b in self.buttons)
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(10)
        for row, button in enumerate(self.buttons):
            button.setMinimumWidth(width)
            grid.addWidget(button, row, 0)
            description = muted_label(button.toolTip())
            description.setWordWrap(True)
            grid.addWidget(description, row, 1)
        grid.setColumnStretch(1, 1)
        return grid

    def _build_column(self, grid: QGridLayout) -> QWidget:
        """Everything in one narrow column: heading, buttons, and the hint that dropping works too."""
        self.drop_hint = muted_label("You can also drop files, folders and web addresses anywhere on this window.")
        self.drop_hint.setWordWrap(True)
        self.drop_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)

        column = QWidget()
        column.setMaximumWidth(COLUMN_WIDTH)
        column.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        body = QVBoxLayout(column)
        body.setContentsMargins(24, 24, 24, 24)
        body.setSpacing(14)
        body.addWidget(self.logo)
        body.addWidget(self.heading)
        body.addWidget(self.intro)
        body.addSpacing(12)
        body.addLayout(grid)
        body.addSpacing(12)
        body.addWidget(self.drop_hint)
        return column

    def _center(self, column: QWidget) -> None:
        """The column in the middle of the view, however large the window."""
        middle = QHBoxLayout()
        middle.addStretch(1)
        middle.addWidget(column, 100)
        middle.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        outer.addLayout(middle)
        outer.addStretch(3)  # a little above the middle, where the eye starts

    def _button(self, meaning: str, text: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setProperty("meaning", meaning)
        button.setToolTip(tip)
        button.setIconSize(QSize(18, 18))
        button.setMinimumHeight(int(button.fontMetrics().height() * 2.6))
        button.setStyleSheet(BUTTON_STYLE)
        return button

    def set_sample_busy(self, busy: bool) -> None:
        """While the sample dataset is being made: the button says so and cannot be pressed twice."""
        self.sample_button.setEnabled(not busy)
        self.sample_button.setText(SAMPLE_BUSY_TEXT if busy else SAMPLE_TEXT)

    def _paint_icons(self) -> None:
        """Icons are drawn in the palette's colours: again after every theme change."""
        pal = QApplication.palette()
        accent = pal.color(QPalette.ColorRole.Highlight).name()
        self.logo.setPixmap(icon("annotate", color=accent).pixmap(56, 56))
        for button in self.buttons:
            button.setIcon(icon(str(button.property("meaning")), color=accent))
            # A widget with a style sheet keeps the palette it had when the sheet was set: set it again.
            button.setStyleSheet("")
            button.setStyleSheet(BUTTON_STYLE)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._paint_icons()


class LibraryPage(QStackedWidget):
    """The library tab: the welcome view while the dataset is empty, the library otherwise."""

    def __init__(self, store: Store, library_view: QWidget, welcome: WelcomeView,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.library_view = library_view
        self.welcome = welcome
        self.addWidget(welcome)
        self.addWidget(library_view)
        self.update_page()

    @property
    def shows_welcome(self) -> bool:
        return self.currentWidget() is self.welcome

    def update_page(self) -> None:
        """Show the welcome view if the dataset has no articles (one COUNT; called when that may change)."""
        empty = library.count_articles(self.store) == 0
        page = self.welcome if empty else self.library_view
        self.setCurrentWidget(page)
        self.setFocusProxy(page)
