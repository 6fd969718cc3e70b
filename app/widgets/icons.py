"""Icons by meaning: Font Awesome 5 glyphs, coloured from the current palette (dark and light themes).

The glyphs come from the Font Awesome font that qtawesome ships, drawn by the small icon
engine below the way qtawesome draws them. qtawesome itself is not imported: it loads all
its dozen fonts and Qt's OpenGL module first, which cost the window a second of its start.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap

log = logging.getLogger(__name__)

# Meaning -> Font Awesome 5 icon name, as qtawesome names them ("fa5s.": the solid style).
ICONS: dict[str, str] = {
    "dataset.new": "fa5s.file",
    "dataset.open": "fa5s.folder-open",
    "import": "fa5s.file-import",
    "export": "fa5s.file-export",
    "quit": "fa5s.sign-out-alt",
    "undo": "fa5s.undo",
    "redo": "fa5s.redo",
    "settings": "fa5s.cog",
    "help": "fa5s.question-circle",
    "keys": "fa5s.keyboard",
    "done": "fa5s.check-circle",
    "skip": "fa5s.forward",
    "next": "fa5s.chevron-right",
    "previous": "fa5s.chevron-left",
    "delete": "fa5s.trash-alt",
    "search": "fa5s.search",
    "cancel": "fa5s.times-circle",
    "retry": "fa5s.redo-alt",
    "link": "fa5s.external-link-alt",
    "label.entity": "fa5s.tag",
    "label.claim": "fa5s.quote-right",
    "label.person": "fa5s.user",
    "label.org": "fa5s.building",
    "status.new": "fa5s.circle",
    "status.in_progress": "fa5s.adjust",
    "status.done": "fa5s.check-circle",
    "status.skipped": "fa5s.minus-circle",
    "outcome.imported": "fa5s.check",
    "outcome.duplicate": "fa5s.clone",
    "outcome.failed": "fa5s.exclamation-triangle",
    "outcome.cancelled": "fa5s.ban",
    "folder": "fa5s.folder",
    "file": "fa5s.file-alt",
    "url": "fa5s.globe",
    "library": "fa5s.book",
    "annotate": "fa5s.highlighter",
    "overview": "fa5s.chart-bar",
    "all_occurrences": "fa5s.clone",
    "sample": "fa5s.book-open",
    "hint": "fa5s.lightbulb",
}


DISABLED_COLOR = "#888888"
# The glyph's size as a share of the icon's height, as in qtawesome: room for the font's bearing
# (a 16-pixel icon gets a 14-pixel glyph, pixel perfect for Font Awesome).
GLYPH_SCALE = 0.875
FONT_FILES = ("fontawesome5-solid-webfont-*.ttf", "fontawesome5-solid-webfont-charmap-*.json")


def icon(meaning: str, color: str | None = None) -> QIcon:
    """The icon for ``meaning``, drawn in the palette's text colour unless told otherwise."""
    name = ICONS.get(meaning, "fa5s.question").removeprefix("fa5s.")
    if color is None:
        app = QGuiApplication.instance()
        palette = app.palette() if isinstance(app, QGuiApplication) else QPalette()
        color = palette.color(QPalette.ColorRole.WindowText).name()
    family, codes = _solid_font()
    if not family or name not in codes:
        return QIcon()
    return QIcon(GlyphIconEngine(chr(int(codes[name], 16)), family, color, DISABLED_COLOR))


class GlyphIconEngine(QIconEngine):
    """One glyph of an icon font, centred, in one colour (another one when disabled)."""

    def __init__(self, char: str, family: str, color: str, disabled_color: str) -> None:
        super().__init__()
        self.char, self.family, self.color, self.disabled_color = char, family, color, disabled_color

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        painter.save()
        painter.setPen(QColor(self.disabled_color if mode == QIcon.Mode.Disabled else self.color))
        font = QFont()
        font.setFamily(self.family)
        font.setStyleName("Solid")
        font.setPixelSize(max(1, round(GLYPH_SCALE * rect.height())))
        painter.setFont(font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.char)
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        self.paint(painter, QRect(QPoint(0, 0), size), mode, state)
        painter.end()
        return pixmap


@cache
def _solid_font() -> tuple[str, dict[str, str]]:
    """The solid Font Awesome font, loaded once: its family, and its icon names' code points (hex).

    An empty family when the font cannot be found or loaded: the icons are then blank, not fatal.
    """
    for folder in (folders := _font_folders()):
        font_file, charmap = (max(folder.glob(pattern), default=None) for pattern in FONT_FILES)
        if font_file is None or charmap is None:
            continue
        families = QFontDatabase.applicationFontFamilies(QFontDatabase.addApplicationFont(str(font_file)))
        if families:
            return families[0], json.loads(charmap.read_text(encoding="utf-8"))
    log.warning("The icon font (Font Awesome 5, from qtawesome) was not found in %s: icons are blank.", folders)
    return "", {}


def _font_folders() -> list[Path]:
    """Where qtawesome's fonts are: in its installed package, found without importing it, or in
    the PyInstaller bundle, which holds them as data (packaging/article_curator.spec)."""
    spec = importlib.util.find_spec("qtawesome")
    folders = [Path(p) / "fonts" for p in (spec.submodule_search_locations or [])] if spec else []
    bundle = getattr(sys, "_MEIPASS", None)
    return [*folders, Path(bundle) / "qtawesome" / "fonts"] if bundle else folders
