"""The colours of the widgets: statuses, import outcomes, labels, and tints that follow the theme.

One place, so that a status (say) looks the same in the library and over the
article, and so that every colour is chosen for light and dark themes alike.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from app.core.ops.labels import LabelInfo
from app.widgets.icons import icon

# One colour per status, drawn as is on light and dark backgrounds (the status icons of the library
# and of the badge over the article). "done" keeps a contrast of 3 or more on white and on a near-black base.
STATUS_COLORS = {"new": "#0ea5e9", "in_progress": "#f59e0b", "done": "#16a34a", "skipped": "#94a3b8"}
# One colour per import outcome, readable on light and dark backgrounds alike; "failed" is also the error colour.
OUTCOME_COLORS = {"imported": "#16a34a", "duplicate": "#6b7280", "failed": "#dc2626", "cancelled": "#d97706"}
NO_LABEL_COLOR = "#888888"  # a span whose label is gone
# A new label gets the first of these no other label has: distinct on light and dark backgrounds.
NEW_LABEL_COLORS = ("#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#ec4899", "#14b8a6", "#84cc16",
                    "#f97316", "#6366f1", "#0ea5e9", "#a855f7")


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightnessF() < 0.5


def mix(under: QColor, over: QColor, alpha: float) -> QColor:
    """``over`` laid on ``under`` with opacity ``alpha``, as an opaque colour."""
    return QColor.fromRgbF(
        under.redF() + (over.redF() - under.redF()) * alpha,
        under.greenF() + (over.greenF() - under.greenF()) * alpha,
        under.blueF() + (over.blueF() - under.blueF()) * alpha,
    )


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours (1 to 21; body text wants 4.5 or more)."""

    def luminance(c: QColor) -> float:
        channels = (c.redF(), c.greenF(), c.blueF())
        r, g, b = (x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_text(background: QColor, preferred: QColor) -> QColor:
    """The preferred text colour unless it is hard to read on ``background``."""
    if contrast(background, preferred) >= 4.5:
        return preferred
    return text_on(background)


def text_on(background: QColor) -> QColor:
    """Black or white, whichever reads better on ``background`` (a label's own colour, say)."""
    black, white = QColor("#111111"), QColor("#ffffff")
    return black if contrast(background, black) >= contrast(background, white) else white


def accent(color: QColor, palette: QPalette) -> QColor:
    """A label colour made strong enough for lines and outlines on the palette's base."""
    return color.lighter(125) if is_dark(palette) else color.darker(135)


def tinted(colour: QColor, dark_alpha: float = 0.30, light_alpha: float = 0.16) -> tuple[str, str, str]:
    """Background, text and border colours of a strip or pill tinted with ``colour``.

    Derived from the application palette: a widget's own palette is already
    changed by its style sheet, so it cannot be the source.
    """
    pal = QApplication.palette()
    back = mix(pal.color(QPalette.ColorRole.Base), colour, dark_alpha if is_dark(pal) else light_alpha)
    return back.name(), readable_text(back, pal.color(QPalette.ColorRole.Text)).name(), accent(colour, pal).name()


def label_color(info: LabelInfo | None) -> QColor:
    """The colour a label's spans are drawn in; grey for a label that is gone."""
    return QColor(info.color if info is not None else NO_LABEL_COLOR)


def label_icon(name: str, kind: str, color: str) -> QIcon:
    """A label's icon (by its kind; people and organisations have their own) in the label's colour."""
    special = {"PERSON": "label.person", "ORG": "label.org"}
    return icon(special.get(name, f"label.{kind}"), color=color)


def status_icon(status: str) -> QIcon:
    return icon(f"status.{status}", color=STATUS_COLORS.get(status))


class Styled:
    """A widget whose style sheet is computed from the palette; its owner calls ``restyle`` when that changes.

    (A style sheet fixes the widget's own palette, so the widget itself is not told.)
    """

    def style_sheet(self) -> str:
        raise NotImplementedError

    def restyle(self) -> None:
        sheet = self.style_sheet()
        if sheet != self.styleSheet():  # type: ignore[attr-defined]
            self.setStyleSheet(sheet)  # type: ignore[attr-defined]
