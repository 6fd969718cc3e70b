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

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.core.changes import ChangeKind, Changes
from app.core.db.store import Store, describe_db_error
from app.core.ops.library import ArticleFilter
from app.core.ops.overview import Overview, overview
from app.core.ops.span_edits import STATUS_TEXT
from app.widgets.edits import EditGateway
from app.widgets.palette import NEW_LABEL_COLORS, STATUS_COLORS, mix
from app.widgets.tasks import run_task

REFRESH_DELAY_MS = 400  # a burst of edits (an import, a bulk relabel) reads the figures once
CHART_HEIGHT = 220
NO_SITE = "(no site)"
# Changes after which the figures are read again.
_MOVES_FIGURES = (ChangeKind.STATUS_CHANGED, ChangeKind.ARTICLES_ADDED, ChangeKind.ARTICLES_DELETED,
                  ChangeKind.LABELS_CHANGED, ChangeKind.ROLLED_BACK)


class _Bars(pg.BarGraphItem):
    """Bars that report which one was clicked (pyqtgraph's own bars do not)."""

    def __init__(self, on_click: Callable[[int], None] | None, horizontal: bool, count: int, **opts: object) -> None:
        super().__init__(**opts)
        self._on_click, self._horizontal, self._count = on_click, horizontal, count
        if on_click is not None:
            self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mouseClickEvent(self, ev: object) -> None:  # noqa: N802 (pyqtgraph's name)
        if self._on_click is None or ev.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        pos = ev.pos()  # type: ignore[attr-defined]
        index = round(pos.y() if self._horizontal else pos.x())
        if 0 <= index < self._count:
            ev.accept()  # type: ignore[attr-defined]
            self._on_click(index)


class Chart(QFrame):
    """One titled chart: bars with a name each (vertical or horizontal), or counts per day."""

    def __init__(self, title: str, note: str = "", *, horizontal: bool = False, days: bool = False,
                 empty: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.horizontal, self.days, self.empty = horizontal, days, empty
        self.series: dict[str, list[int]] = {}  # several counts per day, one line each (names in the legend)
        self._adjacent = False
        self._texts: list[str] = []  # each bar's name and count, under (or beside) it
        self.names: list[str] = []  # what is shown, bar by bar (days for a series)
        self.values: list[int] = []
        self.brushes: list[QColor] = []  # each bar's colour, as drawn
        self.on_click: Callable[[int], None] | None = None
        self._colours: list[QColor | None] = []
        title_label = QLabel(title, self)
        font = title_label.font()
        font.setBold(True)
        title_label.setFont(font)
        self.note = QLabel(note, self)
        self.note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.note.setWordWrap(True)
        self.note.setVisible(bool(note))
        axes = {"bottom": pg.DateAxisItem(orientation="bottom")} if days else None
        # No menu: it would offer zooming and exporting a chart, and making it costs a fifth of the chart.
        self.plot = pg.PlotWidget(self, axisItems=axes, enableMenu=False)
        self.plot.setMinimumHeight(CHART_HEIGHT)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        layout = QVBoxLayout(self)
        layout.addWidget(title_label)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)

    def set_bars(self, names: Sequence[str], values: Sequence[int], colours: Sequence[QColor | None] = (),
                 *, adjacent: bool = False) -> None:
        """Bars with a name each; a ``None`` colour is the palette's highlight; ``adjacent`` for a histogram."""
        self.names, self.values = list(names), [int(v) for v in values]
        self._colours = list(colours) or [None] * len(self.names)
        self._adjacent = adjacent
        self._draw()

    def set_days(self, days: Sequence[str], values: Sequence[int] = (),
                 series: dict[str, list[int]] | None = None) -> None:
        """Counts per ISO day on a time axis: bars of ``values``, or a line for each of ``series``."""
        self.series = dict(series or {})
        self.names = list(days)
        self.values = [int(v) for v in values] or [sum(per_day) for per_day in zip(*self.series.values(), strict=True)]
        self._draw()

    def bar_center(self, index: int) -> QPoint:
        """Where bar ``index`` is drawn, in the plot widget's coordinates (for a click)."""
        middle = self.values[index] / 2
        point = QPointF(middle, index) if self.horizontal else QPointF(index, middle)
        scene = self.plot.getViewBox().mapViewToScene(point)
        return self.plot.mapFromScene(scene)

    def restyle(self) -> None:
        self._draw()

    def _draw(self) -> None:
        pal = QApplication.palette()
        text_colour = pal.color(QPalette.ColorRole.Text)
        self.plot.setBackground(pal.color(QPalette.ColorRole.Base))
        item = self.plot.getPlotItem()
        item.clear()
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen(mix(pal.color(QPalette.ColorRole.Base), text_colour, 0.45)))
            axis.setTextPen(pg.mkPen(text_colour))
        if self.days:
            self._draw_days(item, pal)
        else:
            self._draw_bars(item, pal)

    def _draw_bars(self, item: pg.PlotItem, pal: QPalette) -> None:
        n = len(self.names)
        # The statuses' and labels' own colours, as everywhere else; the palette's accent otherwise.
        self.brushes = brushes = [c if c is not None else pal.color(QPalette.ColorRole.Highlight)
                                  for c in self._colours]
        positions = list(range(n))
        width = 0.95 if self._adjacent else 0.7
        opts: dict[str, object] = {"brushes": brushes, "pen": pg.mkPen(None)}
        if self.horizontal:
            opts.update(x0=0, y=positions, height=width, width=self.values)
        else:
            opts.update(x=positions, height=self.values, width=width)
        item.addItem(_Bars(self.on_click, self.horizontal, n, **opts))
        # Each bar's count goes with its name (charts are read for their numbers), and the value
        # axis goes: one text per bar instead of a text item each, which cost pyqtgraph far more.
        self._texts = texts = [f"{name}  {value:,}" if self.horizontal else f"{name}\n{value:,}"
                               for name, value in zip(self.names, self.values, strict=True)]
        names_axis = item.getAxis("left" if self.horizontal else "bottom")
        names_axis.setTicks([list(enumerate(texts))])
        item.showAxis("bottom" if self.horizontal else "left", False)
        self._size_names_axis(texts)
        top = max(self.values, default=0) or 1
        view = item.getViewBox()
        view.invertY(self.horizontal)  # the largest first, at the top
        if self.horizontal:
            # Room for five bars at least: two bars stay bars, not slabs.
            view.setRange(xRange=(0, top * 1.06), yRange=(-0.6, max(n, 5) - 0.4), padding=0)
        else:
            view.setRange(xRange=(-0.6, max(n, 1) - 0.4), yRange=(0, top * 1.06), padding=0)

    def _size_names_axis(self, texts: Sequence[str]) -> None:
        """Room for every bar's name: pyqtgraph leaves out the names that do not fit."""
        axis = self.plot.getPlotItem().getAxis("left" if self.horizontal else "bottom")
        metrics = QFontMetrics(self.font())  # what the axis draws its texts with
        if self.horizontal:
            axis.setWidth(max(map(metrics.horizontalAdvance, texts), default=0) + 16)
        else:
            axis.setHeight(2 * metrics.height() + 12)

    def showEvent(self, event: QEvent) -> None:  # noqa: N802
        super().showEvent(event)  # type: ignore[arg-type]
        # An axis hidden when sized (a chart not shown yet) took no room: size it again.
        if not self.days:
            self._size_names_axis(self._texts)

    def _draw_days(self, item: pg.PlotItem, pal: QPalette) -> None:
        view = item.getViewBox()
        view.invertY(False)
        for side in ("left", "bottom"):
            item.showAxis(side, bool(self.names))
        if not self.names:
            empty = pg.TextItem(self.empty, color=pal.color(QPalette.ColorRole.PlaceholderText), anchor=(0.5, 0.5))
            empty.setPos(0.5, 0.5)
            item.addItem(empty)
            view.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            return
        day = 86400
        stamps = [datetime.fromisoformat(d).replace(tzinfo=UTC).timestamp() for d in self.names]
        middles = [s + day / 2 for s in stamps]
        if self.series:
            legend = item.addLegend(offset=(10, 5), labelTextColor=pal.color(QPalette.ColorRole.Text))
            legend.setBrush(pg.mkBrush(pal.color(QPalette.ColorRole.Base)))
            for i, (name, counts) in enumerate(self.series.items()):
                colour = QColor(NEW_LABEL_COLORS[i % len(NEW_LABEL_COLORS)])
                item.plot(middles, counts, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5,
                          symbolBrush=colour, symbolPen=pg.mkPen(None), name=name or "(no name)")
            top = max((max(counts) for counts in self.series.values()), default=0)
        else:
            item.addItem(pg.BarGraphItem(x=middles, height=self.values, width=day * 0.8,
                                         brush=pal.color(QPalette.ColorRole.Highlight), pen=pg.mkPen(None)))
            top = max(self.values)
        # Four weeks at least, so that one day's bar stays a day wide, not a slab across the chart.
        first, last = min(stamps) - day, max(stamps) + 2 * day
        first = min(first, last - 28 * day)
        # Whole numbers of articles: pyqtgraph would tick 0.5, 1.5 on a short axis.
        item.getAxis("left").setTicks([[(v, str(v)) for v in range(top + 1)]] if top <= 8 else None)
        view.setRange(xRange=(first, last), yRange=(0, (top or 1) * 1.1), padding=0)


class OverviewView(QWidget):
    """The overview page; ``filter_requested`` carries the library filter of a clicked bar."""

    filter_requested = Signal(object)  # an ArticleFilter
    figures_shown = Signal()

    def __init__(self, store: Store, gateway: EditGateway, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.figures: Overview | None = None
        self._loading = False
        self._stale = True  # the figures shown are not the dataset's: read them when next shown
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        # The figures take longer to read than the charts to make: the reading starts first.
        self.refresh()

        self.summary = QLabel("Counting…", self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        font = self.summary.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.summary.setFont(font)
        self.charts = {
            "status": Chart("Articles by status", "Click a bar to list those articles."),
            "labels": Chart("Spans per label", "Click a bar to list the articles with such spans."),
            "spans_per_article": Chart("Articles by number of spans", "Under each bar: a number of spans, then "
                                       "how many articles have that many."),
            "done_per_day": Chart("Articles done per day", "Each done article counts on the day it was last "
                                  "changed.", days=True, empty="No article is done yet."),
            "sites": Chart("Articles per site", "Click a bar to list the site's articles.", horizontal=True),
            "annotators": Chart("Spans per annotator", horizontal=True),
            "near_copies": Chart("Near-copy clusters by size"),
            "annotator_days": Chart("Spans per annotator per day", "The day each span was made.", days=True),
        }
        self.charts["status"].on_click = self._status_clicked
        self.charts["labels"].on_click = self._label_clicked
        self.charts["sites"].on_click = self._site_clicked
        self._build_layout()
        gateway.changes_applied.connect(self._on_change)

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

    # -- reading the figures ------------------------------------------------------------------
    @property
    def is_loading(self) -> bool:
        """True from the moment the figures are out of date (or being read) until they are shown."""
        return self._loading or self._stale

    def refresh(self) -> None:
        """Read the figures again in the background; once more afterwards if asked while reading."""
        self._timer.stop()
        if self._loading:
            self._stale = True
            return
        self._loading, self._stale = True, False
        store = self.store
        run_task(lambda: overview(store), self._show, self._failed)

    def showEvent(self, event: QEvent) -> None:  # noqa: N802
        super().showEvent(event)  # type: ignore[arg-type]
        if self._stale and not self._loading:
            self.refresh()

    def _on_change(self, change: Changes, _initiator: object) -> None:
        if not change.saved or not (change.has(*_MOVES_FIGURES) or change.touches_spans()):
            return
        self._stale = True
        if self.isVisible():
            self._timer.start()

    def _failed(self, exc: BaseException) -> None:
        self._loading = False
        self.summary.setText(f"The figures could not be read: {describe_db_error(exc)}.")

    def _show(self, figures: Overview) -> None:
        self._loading = False
        self.figures = figures
        self._fill()
        self.charts_area.show()
        if self._stale and self.isVisible():
            self.refresh()  # something changed while they were read
        self.figures_shown.emit()

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
            c["near_copies"].note.setText(f"{near.clusters:,} clusters hold {near.articles:,} articles.")
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
    def _status_clicked(self, index: int) -> None:
        if self.figures is not None:
            self.filter_requested.emit(ArticleFilter(statuses=(list(self.figures.by_status)[index],)))

    def _label_clicked(self, index: int) -> None:
        if self.figures is not None:
            self.filter_requested.emit(ArticleFilter(has_label=self.figures.by_label[index].name))

    def _site_clicked(self, index: int) -> None:
        if self.figures is not None and index < len(self.figures.by_site):  # not the other sites' bar
            self.filter_requested.emit(ArticleFilter(site=self.figures.by_site[index].site))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            for chart in self.charts.values():
                chart.restyle()

