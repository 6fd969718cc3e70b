"""The article text with its spans drawn in their label colours.

Spans are stored in the document as character formats. The text is cut at
every span edge into segments; each segment gets one precomputed format that
blends the tints of all spans covering it (so a PERSON inside a CLAIM shows
both), and the formats are applied in one edit block. After an edit only the
range of the changed spans is formatted again, so the layout of the rest of
the document is kept and nothing far from the edit is laid out again.

The emphasis of the selected span (an outline) and the bar beside a CLAIM are
painted over the visible part only, as is an ``overlay`` (the suggested spans,
app.widgets.suggestion_layer), which is never part of the document.

Offsets outside this module are Python string indices. The document counts
UTF-16 units (an emoji before a span shifts it by one) and holds a blank line
between paragraphs that the text separates by a single line break;
``to_qt``/``from_qt`` convert.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import NamedTuple, Protocol

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QTextCharFormat,
    QTextCursor,
    QTextLine,
    QTextOption,
)
from PySide6.QtWidgets import QFrame, QPlainTextEdit, QWidget

from app.core.ops.labels import LabelInfo
from app.core.ops.library import SpanRecord
from app.core.ops.selection import OffsetMap
from app.widgets.palette import accent, is_dark, label_color, mix, readable_text

DOCUMENT_MARGIN = 18
_BEFORE_BLANK = re.compile("\n(?=\n)")
CLAIM_BAR_X = 5
CLAIM_BAR_WIDTH = 4


class Tints(NamedTuple):
    """Opacity of a label colour over the text background; a dark base needs more for the same effect."""

    entity: float
    entity_selected: float
    claim: float
    claim_selected: float

    @classmethod
    def for_palette(cls, palette: QPalette) -> Tints:
        return cls(0.42, 0.62, 0.16, 0.26) if is_dark(palette) else cls(0.28, 0.48, 0.09, 0.18)


class _Span(NamedTuple):  # a tuple: built for every span after every edit, so it must be cheap
    id: int
    start: int  # UTF-16 positions
    end: int
    label: str


VisibleLine = tuple[int, int, QRectF, QTextLine]  # start, end (UTF-16), its rect in the viewport, the line


class Overlay(Protocol):
    def paint(self, painter: QPainter, visible: list[VisibleLine]) -> None: ...


class ArticleTextView(QPlainTextEdit):
    """Read-only, selectable article text; spans tinted by label, CLAIMs underlined with a bar."""

    span_clicked = Signal(int)
    background_clicked = Signal()
    context_menu_requested = Signal(object)  # the QMenu about to be shown; add actions to it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setUndoRedoEnabled(False)
        self.setCursorWidth(2)
        font = QFont(self.font())
        font.setPointSizeF(max(11.5, font.pointSizeF() * 1.3))
        self.setFont(font)
        self.document().setDocumentMargin(DOCUMENT_MARGIN)
        self._gap_format = QTextCharFormat()
        self._gap_format.setFontPointSize(font.pointSizeF() * 0.5)
        self._text = ""
        self._offsets = OffsetMap("")
        self._gaps: list[int] = []
        self._labels: dict[str, LabelInfo] = {}
        self._claim_labels: set[str] = set()
        self._spans: dict[int, _Span] = {}
        self._records: dict[int, tuple[SpanRecord, _Span]] = {}
        self._selected: int | None = None
        self._formats: dict[tuple[tuple[str, bool], ...], QTextCharFormat] = {}
        self._press_pos: QPoint | None = None
        self._styling = False
        self.overlay: Overlay | None = None  # painted over the text after the spans

    # -- offsets -----------------------------------------------------------------
    def to_qt(self, index: int) -> int:
        return self._offsets.to_display(index)

    def from_qt(self, position: int) -> int:
        return self._offsets.from_display(position)

    # -- content -----------------------------------------------------------------
    def set_labels(self, labels: Iterable[LabelInfo]) -> None:
        self._labels = {lb.name: lb for lb in labels}
        self._claim_labels = {lb.name for lb in self._labels.values() if lb.kind == "claim"}
        self._restyle_all()

    def set_article(self, text: str, spans: Sequence[SpanRecord]) -> None:
        """Show a new text with its spans: one plain-text load, then one formatting pass."""
        self._text = text
        shown, breaks = for_display(text)
        self._offsets = OffsetMap(text, breaks)
        # The line breaks that end a paragraph followed by an empty one, in document positions.
        in_document = OffsetMap(shown)
        self._gaps = [in_document.to_display(m.start()) for m in _BEFORE_BLANK.finditer(shown)]
        self._selected = None
        self._records = {}
        self._spans = self._convert(spans)
        # Qt gives the whole new text the char format at the caret: a span's tint or a
        # paragraph gap's small font would cover the next article. The caret starts plain.
        cursor = self.textCursor()
        cursor.clearSelection()
        cursor.setCharFormat(QTextCharFormat())
        self.setTextCursor(cursor)
        self._styling = True
        try:
            self.setPlainText(shown)
        finally:
            self._styling = False
        self._restyle_all(fresh=True)

    def set_spans(self, spans: Sequence[SpanRecord]) -> None:
        """Replace the spans of the shown text; only the ranges that changed are formatted again."""
        new = self._convert(spans)
        old = self._spans
        changed = [s for i, s in old.items() if new.get(i) is not s]
        changed += [s for i, s in new.items() if old.get(i) is not s]
        self._spans = new
        if self._selected is not None and self._selected not in new:
            self._selected = None
        if changed:
            self._restyle([(s.start, s.end) for s in changed])
            self._update_around(changed)

    def text(self) -> str:
        return self._text

    def _convert(self, spans: Sequence[SpanRecord]) -> dict[int, _Span]:
        """Spans in UTF-16 positions. An unchanged span keeps its object, so changes are found by identity.

        After one edit one span is new, not all of them: fewer allocations, fewer GC pauses.
        """
        to_qt = self._offsets.to_display
        known, out, records = self._records, {}, {}
        for s in spans:
            hit = known.get(s.id)
            if hit is not None and hit[0] is s:
                span = hit[1]
            else:
                span = _Span(s.id, to_qt(s.start), to_qt(s.end), s.label)
                if hit is not None and hit[1] == span:
                    span = hit[1]
            out[s.id] = span
            records[s.id] = (s, span)
        self._records = records
        return out

    # -- selection ----------------------------------------------------------------
    def selected_span_id(self) -> int | None:
        return self._selected

    def set_selected_span(self, span_id: int | None, *, reveal: bool = True) -> None:
        if span_id is not None and span_id not in self._spans:
            span_id = None
        previous = self._selected
        if span_id == previous:
            if span_id is not None and reveal:
                self.reveal(self._spans[span_id].start, self._spans[span_id].end)
            return
        self._selected = span_id
        changed = [self._spans[i] for i in (previous, span_id) if i in self._spans]
        self._restyle([(span.start, span.end) for span in changed])
        self._update_around(changed)  # the outline is painted, not formatted
        if span_id is not None and reveal:
            self.reveal(self._spans[span_id].start, self._spans[span_id].end)

    def _update_around(self, spans: Iterable[_Span]) -> None:
        """Schedule a repaint of the visible paragraphs of ``spans`` (full width: outlines and claim bars)."""
        spans = list(spans)
        if not spans:
            return
        doc = self.document()  # only the first and the last paragraph matter: 10,000 spans, two lookups
        first = doc.findBlock(min(span.start for span in spans)).blockNumber()
        last = doc.findBlock(max(max(span.start, span.end - 1) for span in spans)).blockNumber()
        block = self.firstVisibleBlock()
        top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
        height, width = self.viewport().height(), self.viewport().width()
        while block.isValid() and top <= height and block.blockNumber() <= last:
            bottom = top + self.blockBoundingRect(block).height()
            if block.blockNumber() >= first:
                self.viewport().update(0, int(top) - 3, width, int(bottom - top) + 6)
            top = bottom
            block = block.next()

    def reveal(self, qt_start: int, qt_end: int) -> None:
        """Scroll so the whole stretch (UTF-16 positions) is in view and put the caret at its start,
        without a text selection."""
        cursor = self.textCursor()
        cursor.setPosition(qt_end)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()
        cursor.setPosition(qt_start)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def selection_range(self) -> tuple[int, int] | None:
        """The selected text as Python string offsets, or None when nothing is selected."""
        cursor = self.textCursor()
        if not cursor.hasSelection():
            return None
        return self.from_qt(cursor.selectionStart()), self.from_qt(cursor.selectionEnd())

    def select_range(self, start: int, end: int) -> None:
        """Select ``text[start:end]`` (Python offsets), as a user would with shift+arrows."""
        cursor = self.textCursor()
        cursor.setPosition(self.to_qt(start))
        cursor.setPosition(self.to_qt(end), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)

    def clear_text_selection(self) -> None:
        cursor = self.textCursor()
        if cursor.hasSelection():
            cursor.clearSelection()
            self.setTextCursor(cursor)

    def span_at(self, index: int) -> int | None:
        """The innermost span covering the character at Python offset ``index``."""
        q = self.to_qt(index)
        best: _Span | None = None
        for span in self._spans.values():
            if span.start <= q < span.end and (best is None or span.end - span.start < best.end - best.start):
                best = span
        return best.id if best else None

    def char_index_at(self, point: QPoint) -> int | None:
        """The Python offset of the character under a viewport point, or None past the end of a line."""
        cursor = self.cursorForPosition(point)
        pos = cursor.position()
        rect = self.cursorRect(cursor)
        if point.x() < rect.x():
            pos -= 1
        if pos < 0 or pos >= self.document().characterCount() - 1:
            return None
        block = self.document().findBlock(pos)
        if pos - block.position() >= block.length() - 1:  # the end of a paragraph, not a character
            return None
        return self.from_qt(pos)

    # -- mouse and menu -------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._press_pos = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        super().mouseReleaseEvent(event)
        press, self._press_pos = self._press_pos, None
        point = event.position().toPoint()
        if (event.button() != Qt.MouseButton.LeftButton or press is None or self.textCursor().hasSelection()
                or (point - press).manhattanLength() > 4):  # a drag selects text, a click selects a span
            return
        index = self.char_index_at(point)
        span_id = self.span_at(index) if index is not None else None
        if span_id is None:
            self.background_clicked.emit()
        else:
            self.span_clicked.emit(span_id)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt override
        menu = self.createStandardContextMenu(event.pos())
        self.context_menu_requested.emit(menu)
        menu.exec(event.globalPos())
        menu.deleteLater()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and not self._styling:
            self._restyle_all()

    # -- formats ---------------------------------------------------------------------
    def _restyle_all(self, *, fresh: bool = False) -> None:
        self._formats.clear()
        if self._text:
            self._restyle([(0, self.document().characterCount() - 1)], clear_first=not fresh)
        self.viewport().update()

    def _restyle(self, ranges: list[tuple[int, int]], *, clear_first: bool = True) -> None:
        """Format the segments inside ``ranges`` (UTF-16) again, in one edit block."""
        limit = self.document().characterCount() - 1
        merged: list[list[int]] = []
        for lo, hi in sorted(ranges):
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        cursor = QTextCursor(self.document())
        self._styling = True
        # Many ranges (labelling every occurrence of a name): find the spans over each in one sweep.
        overlapping = self._overlapping(merged) if len(merged) > 1 else [None] * len(merged)
        cursor.beginEditBlock()
        try:
            for (lo, hi), inside in zip(merged, overlapping, strict=True):
                lo, hi = max(0, lo), min(hi, limit)
                at = lo  # cleared only between spans: a new span's range is formatted once, not twice
                for start, end, covering in self._segments(lo, hi, inside):
                    if clear_first and at < start:
                        self._apply(cursor, at, start, QTextCharFormat())
                    self._apply(cursor, start, end, self._format(covering))
                    at = end
                if clear_first and at < hi:
                    self._apply(cursor, at, hi, QTextCharFormat())
                self._narrow_blank_lines(cursor, lo, hi)
        finally:
            cursor.endEditBlock()
            self._styling = False

    @staticmethod
    def _apply(cursor: QTextCursor, start: int, end: int, fmt: QTextCharFormat) -> None:
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.setCharFormat(fmt)

    def _narrow_blank_lines(self, cursor: QTextCursor, lo: int, hi: int) -> None:
        """Give the empty paragraphs in ``lo:hi`` a small font: paragraph gaps of half a line.

        An empty paragraph is as high as the font of the line break before it, and
        formatting a span that covers that line break resets it, so this follows
        every formatting pass.
        """
        gaps = self._gaps
        k = bisect_left(gaps, lo - 1)
        while k < len(gaps) and gaps[k] <= hi:
            first = gaps[k]
            while k + 1 < len(gaps) and gaps[k + 1] == gaps[k] + 1:  # several blank lines in a row
                k += 1
            cursor.setPosition(first)
            cursor.setPosition(gaps[k] + 1, QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(self._gap_format)
            k += 1

    def _overlapping(self, ranges: list[list[int]]) -> list[list[_Span] | None]:
        """The spans over each of ``ranges`` (sorted, disjoint): one pass over the spans, not one per range."""
        spans = sorted(self._spans.values(), key=lambda s: s.start)
        out: list[list[_Span] | None] = []
        active: list[_Span] = []
        k = 0
        for lo, hi in ranges:
            active = [s for s in active if s.end > lo]
            while k < len(spans) and spans[k].start < hi:
                if spans[k].end > lo:
                    active.append(spans[k])
                k += 1
            out.append(active)
        return out

    def _segments(self, lo: int, hi: int, inside: list[_Span] | None = None) -> list[tuple[int, int, list[_Span]]]:
        """Maximal pieces of ``lo:hi`` covered by the same spans (uncovered pieces are left out).

        ``inside``: the spans over ``lo:hi`` when the caller knows them.
        """
        if inside is None:
            inside = [s for s in self._spans.values() if s.start < hi and s.end > lo]
        if not inside:
            return []
        edges = sorted({lo, hi, *(max(lo, s.start) for s in inside), *(min(hi, s.end) for s in inside)})
        by_start = sorted(inside, key=lambda s: s.start)
        active: list[_Span] = []
        out: list[tuple[int, int, list[_Span]]] = []
        k = 0
        for a, b in pairwise(edges):
            active = [s for s in active if s.end > a]
            while k < len(by_start) and by_start[k].start <= a:
                if by_start[k].end > a:
                    active.append(by_start[k])
                k += 1
            if active:
                out.append((a, b, list(active)))
        return out

    def _format(self, covering: list[_Span]) -> QTextCharFormat:
        """One format for a piece of text covered by ``covering``; cached by labels and selection."""
        selected = self._selected
        if len(covering) == 1:  # most text: one span, no sorting
            span = covering[0]
            key: tuple[tuple[str, bool], ...] = ((span.label, span.id == selected),)
        else:
            claims = self._claim_labels
            # Claims go underneath, then longer spans under the shorter ones they contain.
            layers = sorted(covering, key=lambda s: (s.label not in claims, s.start - s.end))
            key = tuple((s.label, s.id == selected) for s in layers)
        fmt = self._formats.get(key)
        if fmt is not None:
            return fmt
        palette = self.palette()
        tints = Tints.for_palette(palette)
        background = palette.color(QPalette.ColorRole.Base)
        fmt = QTextCharFormat()
        claim_colour: QColor | None = None
        for label, selected in key:
            info = self._labels.get(label)
            colour = label_color(info)
            if info is not None and info.kind == "claim":
                background = mix(background, colour, tints.claim_selected if selected else tints.claim)
                claim_colour = colour
            else:
                background = mix(background, colour, tints.entity_selected if selected else tints.entity)
        fmt.setBackground(background)
        fmt.setForeground(readable_text(background, palette.color(QPalette.ColorRole.Text)))
        if claim_colour is not None:
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline)
            fmt.setUnderlineColor(accent(claim_colour, palette))
        self._formats[key] = fmt
        return fmt

    # -- painting: claim bars and the selected span's outline ---------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if not self._spans and self.overlay is None:
            return
        visible = self.visible_lines()
        if not visible:
            return
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_spans(painter, visible)
        if self.overlay is not None:
            self.overlay.paint(painter, visible)
        painter.end()

    def _paint_spans(self, painter: QPainter, visible: list[VisibleLine]) -> None:
        first, last = visible[0][0], visible[-1][1]
        palette = self.palette()
        for span in self._spans.values():
            info = self._labels.get(span.label)
            if info is None or info.kind != "claim" or span.end <= first or span.start >= last:
                continue
            rects = self.line_rects(visible, span.start, span.end)
            if rects:
                top, bottom = rects[0].top(), rects[-1].bottom()
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(accent(QColor(info.color), palette))
                painter.drawRoundedRect(QRectF(CLAIM_BAR_X, top + 1, CLAIM_BAR_WIDTH, bottom - top - 2), 2, 2)
        selected = self._spans.get(self._selected) if self._selected is not None else None
        if selected is not None and selected.end > first and selected.start < last:
            info = self._labels.get(selected.label)
            pen = QPen(accent(label_color(info), palette), 2)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for rect in self.line_rects(visible, selected.start, selected.end):
                painter.drawRoundedRect(rect.adjusted(-2, 0, 2, 0), 3, 3)

    def visible_lines(self) -> list[VisibleLine]:
        """(start, end, rect, QTextLine) of each laid-out line in view, in viewport coordinates."""
        lines: list[VisibleLine] = []
        block = self.firstVisibleBlock()
        offset = self.contentOffset()
        top = self.blockBoundingGeometry(block).translated(offset).top()
        height = self.viewport().height()
        while block.isValid() and top <= height:
            layout = block.layout()
            base = block.position()
            origin = QPointF(offset.x(), top) + layout.position()
            for n in range(layout.lineCount()):
                line = layout.lineAt(n)
                rect = line.rect().translated(origin)
                lines.append((base + line.textStart(), base + line.textStart() + line.textLength(), rect, line))
            top += self.blockBoundingRect(block).height()
            block = block.next()
        return lines

    def line_rects(self, visible: list[VisibleLine], start: int, end: int) -> list[QRectF]:
        """The rectangles of UTF-16 range ``start:end`` on each visible line, in viewport coordinates."""
        rects = []
        for line_start, line_end, rect, line in visible:
            if line_end <= start or line_start >= end or line_start == line_end:
                continue
            block_pos = self.document().findBlock(line_start).position()
            x1 = line.cursorToX(max(start, line_start) - block_pos)[0]  # type: ignore[index]  # typed as object
            x2 = line.cursorToX(min(end, line_end) - block_pos)[0]  # type: ignore[index]
            left, right = sorted((x1, x2))
            origin_x = rect.left() - line.rect().left()
            rects.append(QRectF(origin_x + left, rect.top(), right - left, rect.height()))
        return rects


def for_display(text: str) -> tuple[str, list[int]]:
    """The text as the document holds it, and the indices before which it holds an extra character.

    Paragraphs separated by one line break get a blank line between them (drawn
    half high), as paragraphs separated by a blank line already have: the same
    look whatever the extractor produced. Qt turns "\r\n" into one paragraph
    break, which would shift every later offset, so a carriage return before a
    newline becomes an (invisible) space.
    """
    if "\r" in text:
        text = text.replace("\r\n", " \n").replace("\r", "\n")
    text = text.replace("\ufdd0", "\ufffd").replace("\ufdd1", "\ufffd")  # Qt's frame markers
    lines = text.split("\n")
    out, breaks, at = [lines[0]], [], len(lines[0])
    for before, line in pairwise(lines):
        at += 1
        if before and line:
            out.append("\n\n")
            breaks.append(at)
        else:
            out.append("\n")
        out.append(line)
        at += len(line)
    return "".join(out), breaks
