"""View ▸ Overview in the real window: opened by its shortcut, its charts' values, a bar's click, live updates."""

from __future__ import annotations

import contextlib
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest

from app.core.ingest.storing import store_articles
from app.core.ops.overview import overview as overview_figures
from app.core.validation import InvalidInput, NewArticle, NewSpan

WORDS = "Ann Bob Cat Dan Eve Fay Gus Hal Ivy Jon Kim Lea"


def _article(n: int, site: str | None, status: str, labels: list[str]) -> NewArticle:
    return NewArticle(text=f"{WORDS} (story {n})", title=f"Story {n}", site_name=site, source_kind="paste",
                      status=status, spans=[NewSpan(start=4 * i, end=4 * i + 3, label=label, annotator="ana")
                                            for i, label in enumerate(labels)])


@pytest.fixture
def known_store(store):
    store_articles(store, [
        _article(1, "BBC", "done", ["PERSON", "PERSON", "ORG"]),
        _article(2, "BBC", "done", ["PERSON"]),
        _article(3, "DW", "done", ["CLAIM"]),
        _article(4, None, "in_progress", []),
        _article(5, "Salon", "new", []),
        _article(6, "Salon", "new", ["ORG"]),
        _article(7, "DW", "new", []),
    ])
    return store


def _open_overview(qtbot, window):
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.overview is not None and not window.overview.is_loading, timeout=10000)
    qtbot.wait(50)  # the charts' layout
    return window.overview


def _click_bar(qtbot, chart, index: int) -> None:
    QTest.mouseClick(chart.plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     chart.bar_center(index))


def _library_shows(qtbot, window, rows: int) -> None:
    model = window.panes.library.model
    qtbot.waitUntil(lambda: not model.is_loading and model.rowCount() == rows, timeout=10000)


def test_the_shortcut_opens_the_overview_with_the_datasets_figures(qtbot, make_window, known_store):
    window = make_window(known_store)
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert window.actions_by_id["show_overview"] in view_menu.actions()
    overview = _open_overview(qtbot, window)
    assert window.tabs.currentWidget() is overview

    charts = overview.charts
    assert charts["status"].names == ["New", "In progress", "Done", "Skipped"]
    assert charts["status"].values == [3, 1, 3, 0]
    assert charts["labels"].names == ["PERSON", "ORG", "CLAIM"] and charts["labels"].values == [3, 2, 1]
    assert dict(zip(charts["spans_per_article"].names, charts["spans_per_article"].values, strict=True))[
        "0"] == 3
    assert charts["sites"].names == ["BBC", "DW", "Salon", "(no site)"] and charts["sites"].values == [2, 2, 2, 1]
    assert charts["annotators"].names == ["ana"] and charts["annotators"].values == [6]
    assert sum(charts["done_per_day"].values) == 3
    near = overview_figures(window.store).near_copies
    assert near is not None and sum(charts["near_copies"].values) == near.clusters  # what the index says
    assert overview.summary.text() == "7 articles · 3 done (43%) · 6 spans"


def test_near_copy_clusters_show_once_the_dataset_has_its_index(qtbot, make_window, known_store):
    _clustered(known_store)
    overview = _open_overview(qtbot, make_window(known_store))
    chart = overview.charts["near_copies"]
    assert not chart.isHidden()
    assert chart.names[:2] == ["2", "3"] and chart.values[:2] == [1, 1] and sum(chart.values) == 2
    assert chart.note.text().startswith("2 clusters hold 5 articles.")


def test_clicking_a_bar_filters_the_library(qtbot, make_window, known_store):
    window = make_window(known_store)
    overview = _open_overview(qtbot, window)
    library = window.panes.library

    _click_bar(qtbot, overview.charts["status"], 2)  # Done
    assert window.tabs.currentIndex() == 0
    assert library.status_filter.currentData() == "done"
    _library_shows(qtbot, window, 3)

    window.actions_by_id["show_overview"].trigger()
    _click_bar(qtbot, overview.charts["labels"], 1)  # ORG
    assert library.status_filter.currentData() is None and library.label_filter.currentData() == "has:ORG"
    _library_shows(qtbot, window, 2)

    window.actions_by_id["show_overview"].trigger()
    _click_bar(qtbot, overview.charts["sites"], 1)  # DW
    site = library.chips.buttons["site"]
    assert site.isVisible() and site.text() == "Site: DW"
    _library_shows(qtbot, window, 2)
    qtbot.mouseClick(site, Qt.MouseButton.LeftButton)  # lifts the site filter
    assert not site.isVisible()
    _library_shows(qtbot, window, 7)


def _clustered(store) -> None:
    """Articles 1 and 2 near copies of each other, and 5, 6 and 7."""
    from sqlalchemy import text

    from app.core.ops.overview import SIGNATURE_TABLE

    with store.begin() as conn:
        conn.execute(text(f"UPDATE {SIGNATURE_TABLE} SET cluster_id = CASE WHEN article_id IN (1, 2) THEN 1 "
                          "WHEN article_id IN (5, 6, 7) THEN 5 END"))


def _chips(library) -> list[str]:
    return [button.text() for button in library.chips.buttons.values() if button.isVisible()]


def _listed(library) -> list[int]:
    return sorted(library.model.article_ids())


@pytest.mark.parametrize(("chart", "bar", "chip", "ids"), [
    ("spans_per_article", 0, "0 spans", [4, 5, 7]),
    ("spans_per_article", 1, "1 span", [2, 3, 6]),
    ("spans_per_article", 3, "3–4 spans", [1]),
    ("near_copies", 0, "In near-copy clusters of 2", [1, 2]),
    ("near_copies", 1, "In near-copy clusters of 3", [5, 6, 7]),
    ("annotators", 0, "Spans by ana", [1, 2, 3, 6]),
])
def test_every_bar_filters_the_library(qtbot, make_window, known_store, chart, bar, chip, ids):
    _clustered(known_store)
    window = make_window(known_store)
    overview = _open_overview(qtbot, window)
    library = window.panes.library
    _click_bar(qtbot, overview.charts[chart], bar)
    assert window.tabs.currentIndex() == 0
    _library_shows(qtbot, window, len(ids))
    assert _listed(library) == ids and _chips(library) == [chip]
    assert library.count_label.text() == f"{len(ids)} of 7 articles"
    qtbot.mouseClick(library.chips.buttons[next(iter(library.chips.values))], Qt.MouseButton.LeftButton)
    _library_shows(qtbot, window, 7)
    assert _chips(library) == []


def test_a_day_of_done_articles_filters_the_library(qtbot, make_window, known_store):
    from datetime import date

    from sqlalchemy import text

    with known_store.begin() as conn:  # article 3 was done a day earlier
        conn.execute(text("UPDATE article SET updated_at = '2026-05-01 23:59:00.000000' WHERE id = 3"))
        conn.execute(text("UPDATE article SET updated_at = '2026-05-02 00:00:00.000000' WHERE id IN (1, 2, 4)"))
    window = make_window(known_store)
    overview = _open_overview(qtbot, window)
    library = window.panes.library
    assert overview.charts["done_per_day"].names == ["2026-05-01", "2026-05-02"]
    _click_bar(qtbot, overview.charts["done_per_day"], 1)
    _library_shows(qtbot, window, 2)  # not article 4, changed that day but not done
    assert _listed(library) == [1, 2] and library.status_filter.currentData() == "done"
    assert _chips(library) == [f"Changed on 2 {date(2026, 5, 2):%b} 2026"]
    window.actions_by_id["show_overview"].trigger()
    _click_bar(qtbot, overview.charts["done_per_day"], 0)
    _library_shows(qtbot, window, 1)
    assert _listed(library) == [3]


def test_screenshot_of_the_library_filtered_by_a_bar(qtbot, make_window, tmp_path, screenshot):
    """tests/screenshots/library_filtered_by_overview.png (docs/screenshots/ has a copy): the sample
    dataset's library after a click on the near-copy chart's bar of pairs."""
    from app.core.db.store import open_store
    from app.core.ingest.sample_dataset import create_sample_dataset
    from app.core.ops import library

    store = open_store(create_sample_dataset(tmp_path / "sample.sqlite"))
    # Syndicated copies of three stories: another site's headline and a line of its own added.
    copies = []
    for n, row in enumerate(library.list_articles(store, limit=3)):
        original = library.get_article(store, row.id)
        assert original is not None
        for site in ("Wire Daily", "The Syndicate")[: 1 + (n == 0)]:
            copies.append(NewArticle(text=f"{original.text}\n\nThis story first ran elsewhere; {site} ran it too.",
                                     title=f"{original.title} ({site})", site_name=site, source_kind="paste"))
    store_articles(store, copies)
    window = make_window(store)
    window.panes.import_dock.close()
    window.resize(1400, 800)
    overview = _open_overview(qtbot, window)
    chart = overview.charts["near_copies"]
    assert chart.values[0] > 0, "the sample dataset has pairs of near copies"
    _click_bar(qtbot, chart, 0)
    _library_shows(qtbot, window, 2 * chart.values[0])
    assert _chips(window.panes.library) == ["In near-copy clusters of 2"]
    qtbot.wait(100)
    screenshot(window, "library_filtered_by_overview")


def test_the_overview_follows_edits(qtbot, make_window, known_store):
    window = make_window(known_store)
    overview = _open_overview(qtbot, window)
    window.gateway.set_status([5, 6], "done")
    window.gateway.wait_until_saved()
    qtbot.waitUntil(lambda: overview.charts["status"].values == [1, 1, 5, 0], timeout=10000)
    assert overview.summary.text().startswith("7 articles · 5 done")


def test_a_hidden_overview_reads_the_figures_when_shown_again(qtbot, make_window, known_store):
    from app.widgets.figures_page import REFRESH_DELAY_MS

    window = make_window(known_store)
    overview = _open_overview(qtbot, window)
    window.show_pane("library")
    window.gateway.set_status([7], "skipped")
    window.gateway.wait_until_saved()
    qtbot.wait(REFRESH_DELAY_MS + 300)
    assert overview.charts["status"].values == [3, 1, 3, 0]  # not read while nobody looks
    window.actions_by_id["show_overview"].trigger()
    qtbot.waitUntil(lambda: overview.charts["status"].values == [2, 1, 3, 1], timeout=10000)


def test_colours_follow_the_theme_and_the_labels(qtbot, make_window, known_store, dark_palette):
    window = make_window(known_store)
    overview = _open_overview(qtbot, window)
    light = overview.charts["status"].plot.backgroundBrush().color()
    dark_palette()
    qtbot.waitUntil(lambda: overview.charts["status"].plot.backgroundBrush().color() != light)
    from PySide6.QtWidgets import QApplication

    base = QApplication.palette().color(QPalette.ColorRole.Base)
    assert overview.charts["status"].plot.backgroundBrush().color() == base
    brushes = [colour.name() for colour in overview.charts["labels"].brushes]
    from app.core.ops.labels import list_labels

    assert brushes == [lb.color.lower() for lb in list_labels(known_store)]


def test_screenshot_of_the_sample_dataset(qtbot, make_window, tmp_path, screenshot):
    """tests/screenshots/overview.png (docs/screenshots/ has a copy): the sample dataset, some of it
    labelled and done, as a user sees it."""
    from app.core.db.store import open_store
    from app.core.ingest.sample_dataset import create_sample_dataset
    from app.core.ops import library, span_edits

    path = create_sample_dataset(tmp_path / "sample.sqlite")
    store = open_store(path)
    ids = [row.id for row in library.list_articles(store, limit=100)]
    for article_id in ids[: len(ids) // 2]:  # a few more names labelled, by a second annotator
        text = span_edits.read_article_text(store, article_id)
        for found in list(re.finditer(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b", text))[:4]:
            with contextlib.suppress(InvalidInput):  # already labelled in the sample
                span_edits.add_span(store, article_id, found.start(), found.end(), "PERSON", annotator="ben")
    span_edits.set_status(store, ids[: max(1, len(ids) // 3)], "done")
    span_edits.set_status(store, ids[len(ids) // 3: len(ids) // 2], "in_progress")
    window = make_window(store)
    window.panes.import_dock.close()  # as an annotator who has imported keeps it
    window.resize(1400, 1040)
    _open_overview(qtbot, window)
    screenshot(window, "overview")


def test_throughput_per_annotator_and_day_on_a_team_server(qtbot, make_window, pg_url, screenshot):
    pytest.importorskip("psycopg")
    from sqlalchemy import text

    from app.core.db.store import open_store

    store = open_store(pg_url)
    store_articles(store, [_article(1, "BBC", "done", ["PERSON", "ORG", "CLAIM"]),
                           _article(2, "DW", "new", ["PERSON", "PERSON"])])
    with store.begin() as conn:
        conn.execute(text("UPDATE span SET annotator = 'ben', created_at = '2026-05-01 09:00' WHERE article_id = 2"))
        conn.execute(text("UPDATE span SET created_at = '2026-05-03 09:00' WHERE article_id = 1"))
    overview = _open_overview(qtbot, make_window(store))
    chart = overview.charts["annotator_days"]
    assert not chart.isHidden()
    assert chart.names == ["2026-05-01", "2026-05-03"]
    assert chart.series == {"ana": [0, 3], "ben": [2, 0]}
    assert overview.charts["annotators"].names == ["ana", "ben"]
    screenshot(chart, "overview_team_server_days")
