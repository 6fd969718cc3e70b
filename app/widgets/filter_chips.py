"""The library's filters that have no control of their own: those a bar of View ▸ Overview sets.

Each one in force shows as a button saying what it keeps ("Site: DW", "3–4 spans",
"In clusters of 5–9"); a click on it lifts it. Their values are fields of
``ArticleFilter`` under the same names.
"""

from __future__ import annotations

from datetime import date
from typing import cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QWidget

from app.core.ops.library import ArticleFilter
from app.widgets.icons import icon

# ArticleFilter's fields shown here, in the order of their buttons, with each button's tooltip.
FIELDS = {
    "site": "Show the articles of every site",
    "span_count": "Show articles with any number of spans",
    "changed_on": "Show the articles changed on any day",
    "cluster_size": "Show articles with and without near copies",
    "annotator": "Show the articles of every annotator",
}


def _range_text(low: int, high: int | None) -> str:
    if high == low:
        return str(low)
    return f"{low}+" if high is None else f"{low}–{high}"


def describe(field: str, value: object) -> str:
    """What a button says of a filter in force."""
    if field == "site":
        return f"Site: {value or '(none)'}"
    if field == "span_count":
        low, high = cast("tuple[int, int | None]", value)
        return f"{_range_text(low, high)} span" + ("" if (low, high) == (1, 1) else "s")
    if field == "changed_on":
        day = date.fromisoformat(str(value))
        return f"Changed on {day.day} {day:%b %Y}"
    if field == "cluster_size":
        return f"In near-copy clusters of {_range_text(*value)}"  # type: ignore[misc]
    return f"Spans by {value or '(no name)'}"


class FilterChips(QWidget):
    """A button for each of these filters in force; ``changed`` when a click lifted one."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: dict[str, object] = {}  # the fields in force
        self.buttons: dict[str, QToolButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for field, tip in FIELDS.items():
            button = QToolButton(self)
            button.setIcon(icon("cancel"))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setToolTip(tip)
            button.hide()
            button.clicked.connect(lambda _checked=False, f=field: self.lift(f))
            layout.addWidget(button)
            self.buttons[field] = button

    def set_from(self, flt: ArticleFilter) -> None:
        """Put in force what ``flt`` has of these fields, and only that (no ``changed``)."""
        self.values = {f: getattr(flt, f) for f in FIELDS if getattr(flt, f) is not None}
        for field, button in self.buttons.items():
            if field in self.values:
                button.setText(describe(field, self.values[field]))
            button.setVisible(field in self.values)

    def lift(self, field: str) -> None:
        self.values.pop(field, None)
        self.buttons[field].hide()
        self.changed.emit()

    def fields(self) -> dict[str, object]:
        """Every field, as ``ArticleFilter`` takes them (None where none is in force)."""
        return {f: self.values.get(f) for f in FIELDS}
