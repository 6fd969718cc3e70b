"""The suggested spans of the open article, painted over its text: a dashed outline in the label's colour.

A suggestion is not a span: it has no id, no tint and no place in the span
list, and nothing of it is stored until it is accepted (then it is a span like
any other). So it is painted, never formatted into the document, and the spans'
formatting stays exactly what it was.

One suggestion is *current*: the one under the caret, or else the next one after
it (wrapping round to the first). It is drawn with a stronger line; it is the
one the accept and reject keys act on, so the annotator always sees what they
will do. Tab moves the caret to the next suggestion, Shift+Tab to the previous.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen

from app.core.ops.labels import LabelInfo
from app.core.suggest import Suggestion
from app.widgets.article_text_view import ArticleTextView, VisibleLine
from app.widgets.palette import accent, is_dark, label_color, mix

LINE_WIDTH = 1.5
CURRENT_LINE_WIDTH = 2.5
DASHES = [3.0, 2.0]  # in line widths: short dashes read as "not yet", far from a span's solid outline


class Shown(NamedTuple):
    """A suggestion as the layer shows it: Python offsets and UTF-16 positions."""

    start: int
    end: int
    label: str
    score: float
    qt_start: int
    qt_end: int

    @property
    def key(self) -> tuple[int, int, str]:
        return self.start, self.end, self.label


class SuggestionLayer:
    """What the text view paints of the suggestions (its ``overlay``), and which one is current."""

    def __init__(self, view: ArticleTextView) -> None:
        self.view = view
        self._labels: dict[str, LabelInfo] = {}
        self._shown: list[Shown] = []  # by start; suggestions never overlap each other
        self._starts: list[int] = []
        self.visible = True
        self._painted_current: Shown | None = None
        view.overlay = self
        view.cursorPositionChanged.connect(self._caret_moved)

    # -- content -----------------------------------------------------------------------
    def set_labels(self, labels: Iterable[LabelInfo]) -> None:
        self._labels = {lb.name: lb for lb in labels}
        self.view.viewport().update()

    def set_suggestions(self, suggestions: Sequence[Suggestion]) -> None:
        to_qt = self.view.to_qt
        shown = [Shown(s["start"], s["end"], s["label"], float(s.get("score", 1.0)), to_qt(s["start"]), to_qt(s["end"]))
                 for s in suggestions]
        shown.sort(key=lambda s: (s.start, -s.end))
        if shown != self._shown:
            self._shown = shown
            self._starts = [s.qt_start for s in shown]
            self.view.viewport().update()

    def set_visible(self, visible: bool) -> None:
        self.visible = visible
        self.view.viewport().update()

    def suggestions(self) -> list[Shown]:
        """What is shown, in text order (nothing while the layer is hidden)."""
        return list(self._shown) if self.visible else []

    # -- the current one and moving between them ----------------------------------------------
    def current(self) -> Shown | None:
        """The suggestion under the caret, or else the next one after it (the first after the last)."""
        shown = self.suggestions()
        if not shown:
            return None
        caret = self.view.textCursor().position()
        at = bisect_right(self._starts, caret)  # the suggestions starting at or before the caret: [:at]
        if at and shown[at - 1].qt_start <= caret <= shown[at - 1].qt_end:
            return shown[at - 1]
        return shown[at % len(shown)]

    def _caret_moved(self) -> None:
        if self.current() != self._painted_current:  # the current one follows the caret
            self.view.viewport().update()

    def step(self, direction: int) -> Shown | None:
        """Move the caret to the start of the next (``+1``) or previous (``-1``) suggestion; cycles."""
        shown = self.suggestions()
        if not shown:
            return None
        caret = self.view.textCursor().position()
        at = bisect_right(self._starts, caret)
        inside = bool(at) and shown[at - 1].qt_start <= caret <= shown[at - 1].qt_end
        if direction > 0:
            # From inside one: the one after it. Elsewhere: the current one (the next after the caret).
            target = shown[at % len(shown)]
        else:
            target = shown[(at - (2 if inside else 1)) % len(shown)]
        self.view.reveal(target.qt_start, target.qt_end)
        return target

    # -- painting ------------------------------------------------------------------------------
    def colour(self, label: str, *, current: bool) -> QColor:
        """The outline's colour: the label's own, made strong for lines on this palette; the current one more so."""
        palette = self.view.palette()
        strong = accent(label_color(self._labels.get(label)), palette)
        if current:
            return strong
        # A little towards the text's background: the others stay quieter than the current one.
        return mix(strong, palette.color(QPalette.ColorRole.Base), 0.15 if is_dark(palette) else 0.1)

    def paint(self, painter: QPainter, visible: list[VisibleLine]) -> None:
        shown = self.suggestions()
        if not shown:
            self._painted_current = None
            return
        first, last = visible[0][0], visible[-1][1]
        current = self._painted_current = self.current()
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for item in shown:
            if item.qt_end <= first or item.qt_start >= last:
                continue
            is_current = item == current
            pen = QPen(self.colour(item.label, current=is_current), CURRENT_LINE_WIDTH if is_current else LINE_WIDTH)
            pen.setDashPattern(DASHES)
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            painter.setPen(pen)
            inset = pen.widthF() / 2  # the whole line inside the text line: neighbouring lines keep theirs
            for rect in self.view.line_rects(visible, item.qt_start, item.qt_end):
                painter.drawRoundedRect(rect.adjusted(-2, inset, 2, -inset), 3, 3)
