"""A status looks the same in the library and over the article, in light and dark themes."""

from __future__ import annotations

from collections import Counter

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from app.widgets.palette import STATUS_COLORS


def status_colour(image: QImage) -> QColor:
    """The most painted strong colour of ``image``: a status icon's, not the text or the tinted pill."""
    counts: Counter[str] = Counter()
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if c.hsvSaturationF() > 0.5 and c.valueF() > 0.45:
                counts[c.name()] += 1
    assert counts, "no status colour is painted"
    return QColor(counts.most_common(1)[0][0])


def close(a: QColor, b: QColor) -> bool:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) < 24


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_done_is_painted_in_one_colour_in_the_library_and_the_panel_header(
        make_window, sample_store, qtbot, dark_palette, screenshot, theme):
    if theme == "dark":
        dark_palette()
    window = make_window()
    article = window.panes.library.model.article_id(0)
    window.gateway.set_status([article], "done")
    window.gateway.wait_until_saved()

    window.show_pane("library")
    table = window.panes.library.table
    model = window.panes.library.model
    status = next(i for i, column in enumerate(model.columns) if column.key == "status")
    qtbot.waitUntil(lambda: model.data(model.index(0, status)) == "Done")
    QApplication.processEvents()
    cell = table.viewport().grab(table.visualRect(model.index(0, status))).toImage()
    screenshot(window.panes.library, f"status_done_library_{theme}")

    window.open_article(article)
    panel = window.panes.annotation
    qtbot.waitUntil(lambda: panel.status_badge.text() == "done")
    QApplication.processEvents()
    inside = panel.status_badge.rect().adjusted(4, 4, -4, -4)  # within the pill's edge (the accent colour)
    badge = panel.status_badge.grab(inside).toImage()
    screenshot(panel, f"status_done_panel_{theme}")

    in_library, in_header = status_colour(cell), status_colour(badge)
    assert close(in_library, in_header), (in_library.name(), in_header.name())
    assert close(in_library, QColor(STATUS_COLORS["done"]))
