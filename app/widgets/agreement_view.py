"""View ▸ Agreement: how far the annotators' layers agree, as a matrix the eye can read.

A cell of the matrix is a pair of annotators: its colour is the chosen measure on
a red (low) to blue (high) scale, its text the figure and the number of articles
both marked done. The measure (strict F1, relaxed F1, Cohen's kappa) and the
label (or all) are chosen above it; Krippendorff's alpha across every annotator
is shown beside them; below, the articles with the lowest agreement, each opened
in the annotation panel by double-click or Enter (``article_activated``).

The figures come from ``app.core.team.agreement`` (Qt-free), computed on a worker
thread; stored changes that move them (statuses, spans, labels, imports) compute
them again, debounced, while the view is shown, or when it is shown next.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QLinearGradient, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.db.store import Store, describe_db_error
from app.core.team.agreement import MEASURES, OVERALL, AgreementReport, compute
from app.widgets.edits import EditGateway
from app.widgets.figures_page import FiguresPage
from app.widgets.palette import text_on

LOWEST = 50  # articles listed
ALL_LABELS = "All labels"
# Low to high agreement: a diverging scale that stays apart for red-green colour blindness (ColorBrewer
# RdYlBu, all nine classes: with fewer, the colours mixed between them turn grey).
SCALE = ("#d73027", "#f46d43", "#fdae61", "#fee090", "#ffffbf", "#e0f3f8", "#abd9e9", "#74add1", "#4575b4")
NO_FIGURE = "#e5e7eb"  # a pair without a figure (nothing shared, or nothing labelled)
_ARTICLE_ROLE = Qt.ItemDataRole.UserRole


def scale_color(value: float | None) -> QColor:
    """The colour of a figure: 0 (or less, for kappa) red, 1 blue."""
    if value is None:
        return QColor(NO_FIGURE)
    where = min(1.0, max(0.0, value)) * (len(SCALE) - 1)
    low = int(where) if where < len(SCALE) - 1 else len(SCALE) - 2
    a, b, t = QColor(SCALE[low]), QColor(SCALE[low + 1]), where - low
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t, a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t)


def _shown(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


class ScaleLegend(QWidget):
    """The colour scale under the matrix, 0 to 1."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(220, 34)
        self.setMaximumHeight(34)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        bar = self.rect().adjusted(24, 2, -24, -18)
        gradient = QLinearGradient(bar.left(), 0, bar.right(), 0)
        for i, colour in enumerate(SCALE):
            gradient.setColorAt(i / (len(SCALE) - 1), QColor(colour))
        painter.fillRect(bar, QBrush(gradient))
        painter.setPen(self.palette().color(self.foregroundRole()))
        for value in (0.0, 0.5, 1.0):
            x = bar.left() + int(bar.width() * value)
            painter.drawText(x - 30, bar.bottom() + 2, 60, 16, Qt.AlignmentFlag.AlignHCenter, f"{value:g}")
        painter.end()


class AgreementView(FiguresPage):
    """The agreement page; ``article_activated`` carries the id of a low-agreement article to open."""

    article_activated = Signal(int)

    def __init__(self, store: Store, gateway: EditGateway, parent: QWidget | None = None) -> None:
        super().__init__(gateway, lambda: compute(store), parent)
        self.store = store
        self.report: AgreementReport | None = None
        self.refresh()

        self.measure = QComboBox(self)
        for key, title in MEASURES.items():
            self.measure.addItem(title, key)
        self.measure.setToolTip("Strict F1: same start, end and label. Relaxed F1: overlapping, same label. "
                                "Cohen's kappa: each token in or out of a span of the label, corrected for chance.")
        self.label = QComboBox(self)
        self.label.addItem(ALL_LABELS, OVERALL)
        self.alpha = QLabel(self)
        self.alpha.setTextFormat(Qt.TextFormat.PlainText)
        self.summary = QLabel("Computing agreement…", self)
        self.summary.setWordWrap(True)
        self.matrix = QTableWidget(self)
        self.matrix.setObjectName("agreement_matrix")
        self.matrix.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matrix.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.matrix.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for header in (self.matrix.horizontalHeader(), self.matrix.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            header.setDefaultSectionSize(96)
        self.matrix.verticalHeader().setDefaultSectionSize(56)
        # As large as its cells, not the page: a few annotators' matrix is not a sea of white.
        self.matrix.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.lowest = QTableWidget(0, 4, self)
        self.lowest.setObjectName("lowest_agreement")
        self.lowest.setHorizontalHeaderLabels(["Agreement", "Title", "Annotators", "Id"])
        self.lowest.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.lowest.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.lowest.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.lowest.verticalHeader().hide()
        self.lowest.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.lowest.activated.connect(self._open)  # double-click, or Enter
        self._build_layout()
        self.measure.currentIndexChanged.connect(self._fill)
        self.label.currentIndexChanged.connect(self._fill)

    def _build_layout(self) -> None:
        choosers = QHBoxLayout()
        for caption, combo in (("&Measure:", self.measure), ("&Label:", self.label)):
            buddy = QLabel(caption, self)
            buddy.setBuddy(combo)
            choosers.addWidget(buddy)
            choosers.addWidget(combo)
        choosers.addSpacing(16)
        choosers.addWidget(self.alpha, 1)
        self.lowest_caption = QLabel("Lowest agreement", self)
        self.lowest_caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(choosers)
        layout.addWidget(self.summary)
        layout.addWidget(self.matrix, 0, Qt.AlignmentFlag.AlignLeft)  # whole, however many annotators fit
        layout.addWidget(ScaleLegend(self), 0, Qt.AlignmentFlag.AlignLeft)
        layout.addSpacing(8)
        layout.addWidget(self.lowest_caption)
        layout.addWidget(self.lowest, 1)

    # -- showing ------------------------------------------------------------------------------------
    def show_failure(self, exc: BaseException) -> None:
        self.summary.setText(f"Agreement could not be computed: {describe_db_error(exc)}.")

    def show_figures(self, report: AgreementReport) -> None:
        self.report = report
        chosen = self.label.currentData()
        self.label.blockSignals(True)
        self.label.clear()
        self.label.addItem(ALL_LABELS, OVERALL)
        for name in report.labels:
            self.label.addItem(name, name)
        self.label.setCurrentIndex(max(0, self.label.findData(chosen)))
        self.label.blockSignals(False)
        self._fill()

    def _fill(self) -> None:
        report = self.report
        if report is None:
            return
        measure, label = self.measure.currentData(), self.label.currentData()
        done = ", ".join(f"{who or '(no name)'} {n}" for who, n in report.finished.items())
        if len(report.annotators) < 2:
            self.summary.setText("Agreement needs two annotators who marked articles done. "
                                 f"Articles done per annotator: {done or 'none yet'}.")
        else:
            self.summary.setText(f"On the articles both annotators of a pair marked done. Done per annotator: "
                                 f"{done}.")
        alpha = report.alpha.get(label)
        self.alpha.setText(f"Krippendorff's alpha ({'all labels' if label == OVERALL else label}): {_shown(alpha)}"
                           f"   ·   over the tokens of the {report.alpha_articles:,} articles done by two or more "
                           "annotators")
        self._fill_matrix(report, measure, label)
        self._fill_lowest(report, measure, label)

    def _fill_matrix(self, report: AgreementReport, measure: str, label: str) -> None:
        names = report.annotators
        self.matrix.clear()
        self.matrix.setRowCount(len(names))
        self.matrix.setColumnCount(len(names))
        shown = [who or "(no name)" for who in names]  # spans imported without an annotator
        self.matrix.setHorizontalHeaderLabels(shown)
        self.matrix.setVerticalHeaderLabels(shown)
        title = MEASURES[measure]
        for row, a in enumerate(names):
            for column, b in enumerate(names):
                item = QTableWidgetItem()
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                pair = report.pair(a, b) if a != b else None
                if pair is None:
                    item.setText(f"{report.finished.get(a, 0)} done")
                    item.setBackground(self.palette().window())
                    item.setToolTip(f"{a} marked {report.finished.get(a, 0)} articles done.")
                else:
                    value = pair.figure(measure, label)
                    colour = scale_color(value if pair.shared else None)
                    item.setText(f"{_shown(value)}\n{pair.shared} shared")
                    item.setBackground(colour)
                    item.setForeground(text_on(colour))
                    figures = "   ".join(f"{MEASURES[m]} {_shown(pair.figure(m, label))}" for m in MEASURES)
                    item.setToolTip(f"{a} and {b}: {title} {_shown(value)} on the {pair.shared} articles both "
                                    f"marked done.\n{figures}")
                self.matrix.setItem(row, column, item)

    def _fill_lowest(self, report: AgreementReport, measure: str, label: str) -> None:
        rows = report.lowest(measure, LOWEST, label)
        self.lowest_caption.setText(f"Lowest agreement ({MEASURES[measure]}, "
                                    f"{'all labels' if label == OVERALL else label}; mean over the article's pairs "
                                    "of annotators). Double-click or press Enter to open an article.")
        self.lowest.setRowCount(len(rows))
        for row, art in enumerate(rows):
            value = art.by_label[label][measure]
            cells = [f"{value:.2f}", art.title or "(untitled)", ", ".join(art.annotators), art.uid]
            for column, shown in enumerate(cells):
                item = QTableWidgetItem(shown)
                item.setData(_ARTICLE_ROLE, art.article_id)
                if column == 0:
                    colour = scale_color(value)
                    item.setBackground(colour)
                    item.setForeground(text_on(colour))
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.lowest.setItem(row, column, item)
        for column in (0, 2, 3):
            self.lowest.resizeColumnToContents(column)

    def _open(self, index: QModelIndex) -> None:
        article_id = index.data(_ARTICLE_ROLE)
        if article_id is not None:
            self.article_activated.emit(int(article_id))
