"""Icons by meaning, from qtawesome, coloured from the current palette (dark and light themes)."""

from __future__ import annotations

import qtawesome as qta
from PySide6.QtGui import QGuiApplication, QIcon, QPalette

# Meaning -> Font Awesome 5 / Material Design icon name.
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
    "agreement": "fa5s.th",
    "all_occurrences": "fa5s.clone",
    "sample": "fa5s.book-open",
    "hint": "fa5s.lightbulb",
}


def icon(meaning: str, color: str | None = None) -> QIcon:
    """The icon for ``meaning``, drawn in the palette's text colour unless told otherwise."""
    name = ICONS.get(meaning, "fa5s.question")
    if color is None:
        app = QGuiApplication.instance()
        palette = app.palette() if isinstance(app, QGuiApplication) else QPalette()
        color = palette.color(QPalette.ColorRole.WindowText).name()
    disabled = "#888888"
    return qta.icon(name, color=color, color_disabled=disabled)
