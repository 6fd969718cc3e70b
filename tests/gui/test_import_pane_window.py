"""The import pane in the real main window: cancelled items with Retry, and a layout that leaves the text room.

A real local HTTP server serves pages that answer only when the test lets them,
so a cancel lands while items are still downloading.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox, QStyleOptionViewItem

from app.core.ops import library
from app.core.settings import Settings
from app.widgets.import_items_model import ImportItemsModel
from app.widgets.palette import OUTCOME_COLORS
from app.widgets.tasks import wait_for_all
from tests.http_server import LocalServer, _page, _RequestHandler

LEFT = Qt.MouseButton.LeftButton
TIMEOUT_MS = 60_000
SLOW = 4
LONG_REASON_PATH = "/pane/forbidden.html"


def _story(n: int) -> str:
    title = f"Harbor ferry line {n} gets a night timetable"
    paragraphs = "".join(
        f"<p>The Harbor City port authority said on Thursday that ferry line {n} will run every forty minutes "
        f"until two in the morning from June, the {n}th line to get a night service after a trial that "
        f"director Ingrid Solberg called a success. Paragraph {k} of the story about line {n}.</p>"
        for k in range(3)
    )
    return _page(title, f"<article><h1>{title}</h1>{paragraphs}</article>")


@pytest.fixture
def slow_pages(http_server: LocalServer) -> Iterator[tuple[list[str], threading.Event]]:
    """SLOW pages that wait (up to a minute) until the returned event is set, then answer."""
    release = threading.Event()

    def handler(n: int):
        def answer(h: _RequestHandler) -> None:
            release.wait(60)
            LocalServer._send(h, 200, {"Content-Type": "text/html; charset=utf-8"}, _story(n).encode())
        return answer

    urls = []
    for n in range(1, SLOW + 1):
        path = f"/pane/slow-{n}.html"
        http_server.add_handler(path, handler(n))
        urls.append(http_server.url(path))
    http_server.add_route(LONG_REASON_PATH, 403, "<html><body><h1>Forbidden</h1></body></html>")
    yield urls, release
    release.set()  # lets the server threads still waiting end


@pytest.fixture
def window(qtbot, make_window, sample_store, slow_pages, monkeypatch):
    # pytest-qt closes the window before fixtures end; on a failed test an import may still run,
    # and closing asks whether to stop it: the answer is yes.
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *_a, **_k: QMessageBox.StandardButton.Yes))
    settings = Settings(annotator="ana", fetch_timeout=60.0, fetch_concurrency=8, extract_workers=1)
    win = make_window(sample_store, settings)
    yield win
    slow_pages[1].set()
    assert wait_for_all(20_000)


def _rows(pane) -> dict[str, object]:
    return {r.source: r for r in pane.items_model.rows()}


def _paints(image: QImage, colour: str) -> bool:
    """True when some pixel of ``image`` is close to ``colour`` (text is anti-aliased)."""
    want = QColor(colour)
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if abs(c.red() - want.red()) + abs(c.green() - want.green()) + abs(c.blue() - want.blue()) < 60:
                return True
    return False


def _cell_image(view, row: int, column: int) -> QImage:
    rect = view.visualRect(view.model().index(row, column))
    return view.viewport().grab(rect).toImage()


def test_cancelled_items_are_listed_and_retry_imports_exactly_them(qtbot, window, http_server, slow_pages):
    slow_urls, release = slow_pages
    pane = window.panes.import_pane
    fast = http_server.url("/news/1.html")
    QTest.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)  # View ▸ Import Pane
    pane.box.setPlainText("\n".join([fast, *slow_urls]))
    qtbot.mouseClick(pane.import_button, LEFT)

    # The fast page arrives; the slow ones are still downloading when the user cancels.
    qtbot.waitUntil(lambda: fast in _rows(pane), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: all(http_server.hits(urlsplit(u).path) for u in slow_urls), timeout=TIMEOUT_MS)
    with qtbot.waitSignal(pane.import_finished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(pane.cancel_button, LEFT)
    report = blocker.args[0]
    assert report.cancelled

    rows = _rows(pane)
    assert rows[fast].outcome == "imported"
    assert {u: rows[u].outcome for u in slow_urls} == dict.fromkeys(slow_urls, "cancelled")
    assert all("retry" in rows[u].reason.lower() for u in slow_urls)
    model, view = pane.items_model, pane.items_view
    row = list(model.rows()).index(rows[slow_urls[0]])
    assert model.index(row, ImportItemsModel.OUTCOME).data() == "Cancelled"
    # What is painted: the reason of a cancelled item in its own colour, the imported one's not.
    assert _paints(_cell_image(view, row, ImportItemsModel.REASON), OUTCOME_COLORS["cancelled"])
    assert pane.summary.text() == f"Imported 1 · 0 duplicates · 0 failed · {SLOW} cancelled"

    # The run is in the history with its cancelled count, and Retry offers exactly those.
    summary = pane.batches_model.batch_at(0)
    assert (summary.imported, summary.cancelled, summary.failed) == (1, SLOW, 0)
    assert pane.retry_button.isEnabled() and pane.retry_button.text() == f"Retry {SLOW} cancelled"

    release.set()  # the server answers now
    fast_hits = http_server.hits("/news/1.html")
    with qtbot.waitSignal(pane.import_finished, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(pane.retry_button, LEFT)
    retry = blocker.args[0]
    assert sorted((o.source, o.outcome) for o in retry.outcomes) == sorted((u, "imported") for u in slow_urls)
    assert http_server.hits("/news/1.html") == fast_hits  # the imported page is not fetched again
    assert {r.source: r.outcome for r in pane.items_model.rows()} == dict.fromkeys(slow_urls, "imported")
    assert library.count_articles(window.store) == 3 + 1 + SLOW  # the sample's three, then the imports
    assert not pane.retry_button.isEnabled()


def test_text_keeps_most_of_the_width_while_an_import_runs(qtbot, window, http_server, slow_pages, screenshot):
    slow_urls, release = slow_pages
    pane, dock = window.panes.import_pane, window.panes.import_dock
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.width() == 1280)
    sample_id = library.search(window.store, "Llama")[0].id
    window.open_article(sample_id)
    QTest.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    forbidden = http_server.url(LONG_REASON_PATH)
    pane.box.setPlainText("\n".join([http_server.url("/news/2.html"), forbidden, *slow_urls]))
    qtbot.mouseClick(pane.import_button, LEFT)
    qtbot.waitUntil(lambda: forbidden in _rows(pane) and len(_rows(pane)) >= 2, timeout=TIMEOUT_MS)
    QTest.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # back to the article
    assert pane.is_busy()

    # The pane sits below the text, as wide as the window; the text keeps most of the width and height.
    text_view = window.panes.annotation.view
    assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    text_rect = QRect(text_view.mapTo(window, QPoint(0, 0)), text_view.size())
    dock_rect = dock.geometry()
    assert dock_rect.top() >= text_rect.bottom()
    assert window.centralWidget().width() == window.width()  # nothing beside the text any more
    assert text_view.isVisible() and text_view.width() >= 0.6 * window.width()  # the spans list has the rest
    assert dock_rect.height() <= 0.4 * window.height() and text_view.height() >= 0.3 * window.height()

    screenshot(window, "import_pane_during_import_window")
    screenshot(dock, "import_pane_during_import")

    # Source and reason get room in the table, not a few characters.
    view = pane.items_view
    header = view.horizontalHeader()
    for column in (ImportItemsModel.SOURCE, ImportItemsModel.REASON, ImportItemsModel.TITLE):
        assert header.sectionSize(column) >= 180, column
    assert view.viewport().width() >= 0.45 * window.width()

    # A long reason: whole in the tooltip, elided in the middle in its cell (start and end still shown).
    row = list(pane.items_model.rows()).index(_rows(pane)[forbidden])
    index = pane.items_model.index(row, ImportItemsModel.REASON)
    reason = _rows(pane)[forbidden].reason
    assert reason.startswith("The server answered 403") and len(reason) > 80
    assert index.data(Qt.ItemDataRole.ToolTipRole) == reason
    option = QStyleOptionViewItem()
    option.initFrom(view)
    delegate = view.itemDelegateForIndex(index)
    delegate.initStyleOption(option, index)
    assert option.textElideMode == Qt.TextElideMode.ElideMiddle
    width = view.visualRect(index).width()
    assert view.fontMetrics().horizontalAdvance(reason) > width  # it really does not fit
    shown = view.fontMetrics().elidedText(reason, Qt.TextElideMode.ElideMiddle, width - 8)
    head, _, tail = shown.partition("…")
    assert reason.startswith(head) and reason.endswith(tail) and head and tail
    assert _paints(_cell_image(view, row, ImportItemsModel.REASON), OUTCOME_COLORS["failed"])

    release.set()
    with qtbot.waitSignal(pane.import_finished, timeout=TIMEOUT_MS):
        pass


def test_the_pane_stacks_its_parts_when_docked_beside_the_text(qtbot, window):
    pane, dock = window.panes.import_pane, window.panes.import_dock
    assert pane.splitter.orientation() == Qt.Orientation.Horizontal
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    qtbot.waitUntil(lambda: pane.splitter.orientation() == Qt.Orientation.Vertical)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    qtbot.waitUntil(lambda: pane.splitter.orientation() == Qt.Orientation.Horizontal)


def test_a_layout_saved_with_the_pane_beside_the_text_is_not_restored(make_window, sample_store, monkeypatch):
    from app.core.db.store import open_store

    window = make_window(sample_store)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, window.panes.import_dock)
    # What the earlier version saved: its dock layout, without a version (0).
    monkeypatch.setattr(window, "saveState", lambda version=0: type(window).saveState(window, 0))
    window.save_state()
    window.close()
    again = make_window(open_store(sample_store.location))
    assert again.dockWidgetArea(again.panes.import_dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    # A layout the user makes now is kept.
    again.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, again.panes.import_dock)
    again.save_state()
    again.close()
    third = make_window(open_store(sample_store.location))
    assert third.dockWidgetArea(third.panes.import_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert third.panes.import_pane.splitter.orientation() == Qt.Orientation.Vertical
