"""View ▸ Overview: the dataset at a glance, in charts drawn with pyqtgraph.

The figures come from ``app.core.ops.overview`` (SQL, Qt-free), read on a worker
thread: at 100k articles they take a few hundred milliseconds. Stored changes
that move them (statuses, spans, labels, imports, deletions) read them again,
debounced, and only while the overview is shown; hidden, it reads them when it
is shown next. Clicking a bar asks for the library filtered to what that bar
counts (``filter_requested``). Colours follow the palette (dark and light
themes), the statuses' colours and the labels' own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.core.db.store import Store, describe_db_error
from app.core.ops.overview import BAR_CHARTS, Overview, bar_filter, overview
from app.core.ops.span_edits import STATUS_TEXT
from app.widgets.edits import EditGateway
from app.widgets.figures_page import FiguresPage
from app.widgets.palette import STATUS_COLORS

if TYPE_CHECKING:
    from app.widgets.overview_charts import Chart

NO_SITE = "(no site)"


class OverviewView(FiguresPage):
    """The overview page; ``filter_requested`` carries the library filter of a clicked bar."""

    filter_requested = Signal(object)  # an ArticleFilter

    def __init__(self, store: Store, gateway: EditGateway, parent: QWidget | None = None) -> None:
        super().__init__(gateway, lambda: overview(store), parent)
        self.store = store
        self.figures: Overview | None = None
        # The figures take longer to read than the charts to make: the reading starts first.
        self.refresh()

        self.summary = QLabel("Counting…", self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        font = self.summary.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.summary.setFont(font)
        from app.widgets.overview_charts import Chart  # pyqtgraph loads here, while the figures are read

        self.charts = {
            "status": Chart("Articles by status", "Click a bar to list those articles."),
            "labels": Chart("Spans per label", "Click a bar to list the articles with such spans."),
            "spans_per_article": Chart("Articles by number of spans", "Under each bar: a number of spans, then "
                                       "how many articles have that many. Click one to list them."),
            "done_per_day": Chart("Articles done per day", "Each done article counts on the day it was last "
                                  "changed. Click a bar to list that day's.", days=True,
                                  empty="No article is done yet."),
            "sites": Chart("Articles per site", "Click a bar to list the site's articles.", horizontal=True),
            "annotators": Chart("Spans per annotator", "Click a bar to list the articles with their spans.",
                                horizontal=True),
            "near_copies": Chart("Near-copy clusters by size"),
            "annotator_days": Chart("Spans per annotator per day", "The day each span was made.", days=True),
        }
        for key in BAR_CHARTS:
            self.charts[key].on_click = lambda index, key=key: self._bar_clicked(key, index)
        self._build_layout()

    def _build_layout(self) -> None:
        grid_host = QWidget(self)
        self._grid = QGridLayout(grid_host)
        self._placed: list[Chart] = []
        self._place_charts(set())
        self._grid.setColumnStretch(0, 1)
        self._grid.setColumnStretch(1, 1)
        self.charts_area = QScrollArea(self)
        self.charts_area.setWidgetResizable(True)
        self.charts_area.setFrameShape(QFrame.Shape.NoFrame)
        self.charts_area.setWidget(grid_host)
        self.charts_area.hide()  # until the figures are in: empty charts would only be painted twice
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.charts_area, 1)

    # -- showing ----------------------------------------------------------------------------------
    def show_failure(self, exc: BaseException) -> None:
        self.summary.setText(f"The figures could not be read: {describe_db_error(exc)}.")

    def show_figures(self, figures: Overview) -> None:
        self.figures = figures
        self._fill()
        self.charts_area.show()

    def _fill(self) -> None:
        f = self.figures
        if f is None:
            return
        done = f.by_status.get("done", 0)
        share = f" ({done / f.articles:.0%})" if f.articles else ""
        self.summary.setText(f"{f.articles:,} articles · {done:,} done{share} · {f.spans:,} spans")
        c = self.charts
        c["status"].set_bars([STATUS_TEXT[s] for s in f.by_status], list(f.by_status.values()),
                             [QColor(STATUS_COLORS[s]) for s in f.by_status])
        c["labels"].set_bars([lc.name for lc in f.by_label], [lc.spans for lc in f.by_label],
                             [QColor(lc.color) for lc in f.by_label])
        c["spans_per_article"].set_bars([b.text for b in f.spans_per_article],
                                        [b.count for b in f.spans_per_article], adjacent=True)
        c["done_per_day"].set_days([day for day, _n in f.done_per_day], [n for _day, n in f.done_per_day])
        sites = [(s.site or NO_SITE, s.articles) for s in f.by_site]
        if f.other_sites.articles:
            sites.append((f"{f.other_sites.site} other sites", f.other_sites.articles))
        muted = QApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        c["sites"].set_bars([name for name, _n in sites], [n for _name, n in sites],
                            [None] * len(f.by_site) + [muted] * (len(sites) - len(f.by_site)))
        c["annotators"].set_bars([who or "(no name)" for who in f.by_annotator], list(f.by_annotator.values()))
        near = f.near_copies
        if near is not None:  # a dataset without the near-copy index has no such chart
            c["near_copies"].set_bars([b.text for b in near.sizes], [b.count for b in near.sizes], adjacent=True)
            c["near_copies"].note.setText(f"{near.clusters:,} clusters hold {near.articles:,} articles. "
                                          "Click a bar to list those of clusters that size.")
            c["near_copies"].note.show()
        # Throughput per day: on a team server, where the figures have it.
        if f.annotator_days:
            at = {day: i for i, day in enumerate(sorted({d.day for d in f.annotator_days}))}
            series = {who: [0] * len(at) for who in dict.fromkeys(d.annotator for d in f.annotator_days)}
            for d in f.annotator_days:
                series[d.annotator][at[d.day]] = d.spans
            days = list(at)
            c["annotator_days"].set_days(days, series=series)
        self._place_charts({key for key, missing in (("near_copies", near is None),
                                                     ("annotator_days", not f.annotator_days)) if missing})

    def _place_charts(self, out: set[str]) -> None:
        """Two charts a row, without those left ``out``, so that a chart left out leaves no hole."""
        shown = [chart for key, chart in self.charts.items() if key not in out]
        if shown == self._placed:
            return  # as they are: no new layout on every refresh
        self._placed = shown
        for key, chart in self.charts.items():
            self._grid.removeWidget(chart)
            chart.setVisible(key not in out)
        for i, chart in enumerate(shown):
            self._grid.addWidget(chart, i // 2, i % 2)

    # -- clicks --------------------------------------------------------------------------------
    def _bar_clicked(self, chart: str, index: int) -> None:
        flt = bar_filter(self.figures, chart, index) if self.figures is not None else None
        if flt is not None:  # not the other sites' bar
            self.filter_requested.emit(flt)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            for chart in self.charts.values():
                chart.restyle()

