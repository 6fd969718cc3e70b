"""A window on a team server: what someone else changes shows within a second, and the server stopping and
coming back is said, with the edits made meanwhile refused and taken off the screen, and none acknowledged lost."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.core.db.store import open_store
from app.core.ingest.storing import NewArticle, store_articles
from app.core.ops import library, span_edits
from app.widgets.live_updates import BACK, LOST
from tests.gui.test_keyboard import type_key
from tests.unit.test_concurrent_open import empty_database

TEXT = "Mayor Elena Vasquez said Harbor City Council approved the library. Northgate Builders will build it."


@pytest.fixture
def server_window(pg_server, make_window, qtbot, request):  # type: ignore[no-untyped-def]
    """A window on a new database of the server, an article open, and another store (someone else) beside it."""
    location = empty_database(pg_server.url, request.node.name[:40].lower())
    store = open_store(location)
    [outcome] = store_articles(store, [NewArticle(text=TEXT, title="Harbor City library", source_kind="paste")])
    window = make_window(store)
    window.open_article(outcome.article_id)
    assert window.live is not None
    qtbot.waitUntil(window.live.listener.connected.is_set, timeout=5000)
    other = open_store(location)
    yield window, other, outcome.article_id
    other.close()


def _panel_spans(window) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    article = window.panes.annotation.article()
    return {(s.text, s.annotator) for s in article.spans} if article else set()


def test_another_persons_edit_shows_within_a_second(server_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window, other, article_id = server_window
    start = TEXT.index("Northgate Builders")
    span_edits.add_span(other, article_id, start, start + len("Northgate Builders"), "ORG", annotator="rita")
    qtbot.waitUntil(lambda: ("Northgate Builders", "rita") in _panel_spans(window), timeout=1000)
    panel = window.panes.annotation
    panel.span_list.flush()
    assert any(s.text == "Northgate Builders" for group in panel.span_list.span_model._rows for s in group)
    # An admin's label change reaches the label buttons too.
    with other.begin() as conn:
        from sqlalchemy import text

        conn.execute(text("UPDATE label SET color = '#aa00aa' WHERE name = 'ORG'"))
    qtbot.waitUntil(lambda: panel._labels["ORG"].color == "#aa00aa", timeout=1000)


def _label_words(window, words: str, key: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    panel = window.panes.annotation
    start = TEXT.index(words)
    cursor = panel.view.textCursor()
    cursor.setPosition(panel.view.to_qt(start))
    cursor.setPosition(panel.view.to_qt(start + len(words)), cursor.MoveMode.KeepAnchor)
    panel.view.setTextCursor(cursor)
    panel.view.setFocus()
    type_key(window, key)


def test_an_outage_is_said_its_edits_refused_and_the_window_reconnects(pg_server, server_window, qtbot,
                                                                        screenshot) -> None:  # type: ignore[no-untyped-def]
    window, other, article_id = server_window
    me = window.gateway.annotator  # on a server: the login
    _label_words(window, "Elena Vasquez", Qt.Key.Key_1)  # PERSON, stored before the outage
    window.gateway.wait_until_saved()
    indicator = window.live.indicator
    pg_server.stop()
    try:
        qtbot.waitUntil(indicator.isVisible, timeout=5000)
        assert indicator.text() == LOST
        _label_words(window, "Harbor City Council", Qt.Key.Key_2)  # ORG, during the outage
        window.gateway.wait_until_saved()
        QApplication.processEvents()
        panel = window.panes.annotation
        assert panel.banner.isVisible() and panel.banner.kind == "error"
        qtbot.waitUntil(lambda: ("Harbor City Council", me) not in _panel_spans(window), timeout=3000)
        screenshot(window, "server_outage")
    finally:
        pg_server.start()
    qtbot.waitUntil(lambda: not indicator.isVisible(), timeout=10000)
    assert window.statusBar().currentMessage() == BACK
    _label_words(window, "Northgate Builders", Qt.Key.Key_2)
    window.gateway.wait_until_saved()
    stored = {(s.text, s.annotator) for s in library.get_article(other, article_id).spans}
    assert stored == {("Elena Vasquez", me), ("Northgate Builders", me)}  # nothing acknowledged lost
