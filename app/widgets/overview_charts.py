"""The charts of View ▸ Overview: titled bar charts and day charts drawn with pyqtgraph.

Kept apart from the page (``overview_view``) so that pyqtgraph, a few hundred
milliseconds to import, loads while the page's figures are being read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QVBoxLayout, QWidget

from app.widgets.palette import NEW_LABEL_COLORS, mix

CHART_HEIGHT = 220


class _Bars(pg.BarGraphItem):
    """Bars that report which one was clicked (pyqtgraph's own bars do not)."""

    def __init__(self, on_click: Callable[[int], None] | None, horizontal: bool, centres: Sequence[float],
                 reach: float, **opts: object) -> None:
        """``centres``: where each bar stands on the names (or days) axis; a click up to ``reach`` from a
        bar's centre along that axis is the bar's (the gaps between bars too)."""
        super().__init__(**opts)
        self._on_click, self._horizontal, self._centres, self._reach = on_click, horizontal, centres, reach
        if on_click is not None:
            self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mouseClickEvent(self, ev: object) -> None:  # noqa: N802 (pyqtgraph's name)
        if self._on_click is None or not self._centres or ev.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        pos = ev.pos()  # type: ignore[attr-defined]
        at = pos.y() if self._horizontal else pos.x()
        index = min(range(len(self._centres)), key=lambda i: abs(self._centres[i] - at))
        if abs(self._centres[index] - at) <= self._reach:
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
        self._centres: Sequence[float] = []  # where each bar stands on the names (or days) axis
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
        middle, at = self.values[index] / 2, self._centres[index]
        point = QPointF(middle, at) if self.horizontal else QPointF(at, middle)
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
        self._centres = positions
        item.addItem(_Bars(self.on_click, self.horizontal, positions, 0.5, **opts))
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
            self._centres = middles
            item.addItem(_Bars(self.on_click, False, middles, day / 2, x=middles, height=self.values,
                               width=day * 0.8, brush=pal.color(QPalette.ColorRole.Highlight), pen=pg.mkPen(None)))
            top = max(self.values)
        # Four weeks at least, so that one day's bar stays a day wide, not a slab across the chart.
        first, last = min(stamps) - day, max(stamps) + 2 * day
        first = min(first, last - 28 * day)
        # Whole numbers of articles: pyqtgraph would tick 0.5, 1.5 on a short axis.
        item.getAxis("left").setTicks([[(v, str(v)) for v in range(top + 1)]] if top <= 8 else None)
        view.setRange(xRange=(first, last), yRange=(0, (top or 1) * 1.1), padding=0)
