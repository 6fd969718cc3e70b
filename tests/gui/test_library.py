"""The library table model and view, on a real dataset, offscreen."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import text

from app.core.ingest.storing import store_articles
from app.core.ops.library import ArticleFilter, list_article_ids
from app.core.validation import NewArticle, NewSpan
from app.widgets import article_table_model
from app.widgets.article_table_model import ArticleIdRole, ArticleTableModel
from app.widgets.edits import EditGateway
from app.widgets.library_view import LibraryView

STATUSES = ["new", "new", "in_progress", "done", "skipped", "done", "new"]
SITES = ["Reuters", "BBC", "Der Standard", "AP News", None, "Le Monde"]
TOPICS = ["budget vote", "harbor library", "robotics merger", "drought relief", "rail strike", "climate summit",
          "vaccine rollout", "stadium plan", "tariff talks", "housing reform", "AI model launch", "flood defences"]
PEOPLE = ["Elena Vasquez", "Priya Raman", "Hugo Touvron", "Aisha Okafor", "Kenji Tanaka", "Olga Ivanova"]
ORGS = ["Harbor City Council", "Solvane Robotics", "Northgate Builders", "Meta", "Greenfield Energy"]
NASTY = ['"', "'", '""', "C++", "-6", "NEAR(", "NEAR(a b, 2)", "🙂", "🙂 harbor", "AND OR NOT", "*", "^x", "title:x",
         "(", ")", "\\", "%", "_", "'; DROP TABLE article; --", "   ", 'harbor"', "a" * 300, "ＳＯＬＶＡＮＥ", "\x00"]


def _articles(n: int) -> list[NewArticle]:
    out = []
    for i in range(n):
        person, org, topic = PEOPLE[i % len(PEOPLE)], ORGS[i % len(ORGS)], TOPICS[i % len(TOPICS)]
        body = f"{person} said {org} backs the {topic}. Critics want an audit of item {i}."
        spans = []
        if i % 3 != 2:
            spans.append(NewSpan(start=0, end=len(person), label="PERSON"))
        if i % 2 == 0:
            at = len(person) + 6
            spans.append(NewSpan(start=at, end=at + len(org), label="ORG"))
        if i % 4 == 0:
            spans.append(NewSpan(start=0, end=body.index("."), label="CLAIM"))
        title = f"{org} {'backs' if i % 2 else 'weighs'} {topic}" if i % 5 else f"{person} on the {topic}"
        out.append(NewArticle(
            text=body, title=title, url=f"https://www.news{i % 4}.example/{i}", site_name=SITES[i % len(SITES)],
            published=f"2025-{1 + i % 12:02d}-{1 + i % 27:02d}", status=STATUSES[i % len(STATUSES)],
            source_kind="url", spans=spans,
        ))
    out.append(NewArticle(text="Markup in a title stays text.", title="<b>x</b> & <i>friends</i>",
                          source_kind="paste", status="in_progress"))
    out.append(NewArticle(text="An article whose title was not found.", title="", source_kind="paste"))
    return out


@pytest.fixture
def library_store(store):
    store_articles(store, _articles(34), annotator="tester")
    return store


@pytest.fixture
def library_gateway(library_store, qapp):
    gateway = EditGateway(library_store, annotator="tester")
    yield gateway
    gateway.close()


@pytest.fixture
def view(library_store, library_gateway, qtbot):
    gateway = library_gateway
    widget = LibraryView(library_store, gateway)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _wait_idle(qtbot, view: LibraryView) -> None:
    qtbot.waitUntil(lambda: not view.model.is_loading and not view._search_timer.isActive(), timeout=5000)


def _column(model: ArticleTableModel, header: str) -> int:
    return next(i for i, c in enumerate(model.columns) if c.header == header)


def _shown(model: ArticleTableModel, header: str = "Title") -> list[Any]:
    col = _column(model, header)
    return [model.data(model.index(r, col)) for r in range(model.rowCount())]


def _raw(titles: list[str]) -> list[str]:
    """Titles as stored (an empty title is shown as "(untitled)")."""
    return ["" if t == "(untitled)" else t for t in titles]


def _db(store, sql: str, **params: Any) -> list[Any]:
    with store.begin() as conn:
        return [r[0] for r in conn.execute(text(sql), params)]


# -- the model ----------------------------------------------------------------------------------


def test_model_passes_modeltester_through_filters_sorts_and_edits(library_store, library_gateway, qtmodeltester):
    gateway = library_gateway
    model = ArticleTableModel(library_store)
    model_changes = gateway.changes_applied.connect(lambda c, _i: model.apply_change(c) if c.saved else None)
    assert model_changes
    qtmodeltester.check(model)
    assert model.rowCount() == 36
    model.set_filter(ArticleFilter(statuses=("done",)))
    model.sort(_column(model, "Title"), Qt.SortOrder.DescendingOrder)
    model.set_filter(ArticleFilter(has_label="CLAIM", query="council"))
    model.sort(_column(model, "Last edited"), Qt.SortOrder.AscendingOrder)
    model.sort(_column(model, "Status"), Qt.SortOrder.AscendingOrder)
    model.set_filter(ArticleFilter())
    ids = model.article_ids()
    gateway.set_status(ids[3:6], "done")
    gateway.add_span(ids[0], 0, 5, "ORG")
    gateway.wait_until_saved()  # delivers the saved stage of changes_applied
    assert [model.data(model.index(r, _column(model, "Status"))) for r in range(3, 6)] == ["Done"] * 3
    gateway.delete_articles([ids[1], ids[2], ids[10]])
    model.articles_added()
    store_articles(library_store, [NewArticle(text="A late arrival.", title="Late", source_kind="paste")])
    model.articles_added()
    qtmodeltester.check(model)
    assert model.rowCount() == 34


def test_model_shows_markup_as_literal_text(library_store, qapp):
    model = ArticleTableModel(library_store)
    titles = _shown(model)
    row = titles.index("<b>x</b> & <i>friends</i>")
    index = model.index(row, _column(model, "Title"))
    assert model.data(index, Qt.ItemDataRole.DisplayRole) == "<b>x</b> & <i>friends</i>"
    # A tooltip would render markup, so it is escaped there.
    assert "&lt;b&gt;x&lt;/b&gt;" in model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert "(untitled)" in titles


def test_model_rows_show_counts_status_and_site(library_store, qapp):
    model = ArticleTableModel(library_store)
    first = model.article_ids()[0]
    row = model.row_of(first)
    assert model.data(model.index(row, 0), ArticleIdRole) == first
    assert model.data(model.index(row, _column(model, "PERSON"))) == "1"
    assert model.data(model.index(row, _column(model, "ORG"))) == "1"
    assert model.data(model.index(row, _column(model, "CLAIM"))) == "1"
    assert model.data(model.index(row, _column(model, "Status"))) == "New"
    assert model.data(model.index(row, _column(model, "Site"))) == "Reuters"
    assert model.data(model.index(row, _column(model, "Date"))) == "2025-01-01"
    assert not model.data(model.index(row, _column(model, "Status")), Qt.ItemDataRole.DecorationRole).isNull()
    no_site = model.row_of(model.article_ids()[4])  # site_name None: the host of its URL instead
    assert model.data(model.index(no_site, _column(model, "Site"))) == "news0.example"


def test_a_malformed_url_shows_no_site_instead_of_raising(store, qapp):
    store_articles(store, [NewArticle(text="Imported from a file as given.", url="http://[::1/x", source_kind="jsonl")])
    model = ArticleTableModel(store)
    assert model.data(model.index(0, _column(model, "Site"))) == ""


def test_model_refetches_only_changed_rows(library_store, library_gateway, qtbot):
    gateway = library_gateway
    model = ArticleTableModel(library_store)
    gateway.changes_applied.connect(lambda c, _i: model.apply_change(c) if c.saved else None)
    ids = model.article_ids()
    _shown(model, "Status")
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b: changed.append((a.row(), b.row())))
    with qtbot.assertNotEmitted(model.modelReset), qtbot.waitSignal(gateway.changes_applied,
                                                                        check_params_cb=lambda c, _i: c.saved):
        gateway.set_status([ids[5], ids[6], ids[9]], "skipped")
    assert changed == [(5, 6), (9, 9)]
    assert _shown(model, "Status")[5] == "Skipped"


def test_model_inserts_new_articles_in_place(library_store, qtbot):
    model = ArticleTableModel(library_store)
    model.sort(_column(model, "Title"), Qt.SortOrder.AscendingOrder)
    before = _shown(model)
    store_articles(library_store, [NewArticle(text="First!", title="AAA first", source_kind="paste"),
                                   NewArticle(text="Last!", title="zzz last", source_kind="paste")])
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    with qtbot.assertNotEmitted(model.modelReset):
        model.articles_added()
    after = sorted(_raw(before) + ["AAA first", "zzz last"])
    assert inserted == [(after.index("AAA first"),) * 2, (len(before) + 1,) * 2]
    assert _raw(_shown(model)) == after


@pytest.mark.parametrize("sort", ["id", "title", "site", "published", "status", "updated"])
@pytest.mark.parametrize("descending", [False, True])
def test_id_lists_follow_the_order_and_filter(library_store, library_gateway, sort, descending):
    gateway = library_gateway
    gateway.set_status([3, 4], "skipped")  # distinct edit times
    assert gateway.wait_until_saved(10)
    with library_store.begin() as conn:
        rows = conn.execute(text("SELECT id, title, site_name, published, status, updated_at FROM article")).all()
    rank = {"new": 0, "in_progress": 1, "done": 2, "skipped": 3}
    column = {"title": 1, "site": 2, "published": 3, "status": 4, "updated": 5}

    def key(r):  # SQLite's order: NULL first, then the value, then the id
        if sort == "id":
            return (r[0],)
        value = r[column[sort]]
        value = rank[value] if sort == "status" else value
        return (value is not None, value if value is not None else 0, r[0])

    expected = [r[0] for r in sorted(rows, key=key, reverse=descending)]
    assert list_article_ids(library_store, sort=sort, descending=descending) == expected
    assert list_article_ids(library_store, sort=sort, descending=descending, limit=7) == expected[:7]
    flt = ArticleFilter(statuses=("done", "new"), has_label="PERSON")
    with library_store.begin() as conn:
        keep = {r[0] for r in conn.execute(text(
            "SELECT article_id FROM span JOIN label ON label.id = span.label_id WHERE label.name = 'PERSON'"))}
    status_of = {r[0]: r[4] for r in rows}
    filtered = [i for i in expected if i in keep and status_of[i] in ("done", "new")]
    assert list_article_ids(library_store, flt, sort=sort, descending=descending) == filtered
    assert list_article_ids(library_store, flt, sort=sort, descending=descending, limit=4) == filtered[:4]


def test_background_queries_show_first_rows_then_append_the_rest(library_store, qtbot, qtmodeltester,
                                                                  monkeypatch):
    monkeypatch.setattr(article_table_model, "BLOCK", 5)
    model = ArticleTableModel(library_store, background=True)
    qtmodeltester.check(model)
    events: list[str] = []
    model.modelReset.connect(lambda: events.append("reset"))
    model.rowsInserted.connect(lambda _p, a, b: events.append(f"insert {a}-{b}"))
    with qtbot.waitSignal(model.query_finished):
        model.set_filter(ArticleFilter(query="item"))
    assert events == ["reset", f"insert 5-{model.rowCount() - 1}"]
    assert model.article_ids() == list_article_ids(library_store, ArticleFilter(query="item"))
    # A newer query replaces one still running; only its rows arrive.
    model.set_filter(ArticleFilter(statuses=("done",)))
    model.sort(_column(model, "Title"), Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: not model.is_loading)
    assert model.article_ids() == list_article_ids(library_store, ArticleFilter(statuses=("done",)), sort="title",
                                                   descending=True)
    qtmodeltester.check(model)


def test_view_keeps_a_selection_beyond_the_first_rows(view, qtbot, monkeypatch):
    monkeypatch.setattr(article_table_model, "BLOCK", 5)
    ids = view.model.article_ids()
    view.select_article(ids[30])
    view.table.horizontalHeader().setSortIndicator(_column(view.model, "Date"), Qt.SortOrder.AscendingOrder)
    _wait_idle(qtbot, view)
    assert view.selected_ids() == [ids[30]]
    assert view.current_id() == ids[30]


# -- the view ------------------------------------------------------------------------------------


def test_search_box_filters_after_the_pause(view, qtbot):
    view.search.setText("robotics merg")
    assert view.model.rowCount() == 36  # nothing happens while typing
    qtbot.waitUntil(lambda: view.model.rowCount() == 3, timeout=3000)
    _wait_idle(qtbot, view)
    assert all("robotics merger" in t for t in _shown(view.model))
    assert view.count_label.text() == "3 of 36 articles"
    view.search.clear()
    qtbot.waitUntil(lambda: view.model.rowCount() == 36, timeout=3000)


@pytest.mark.parametrize("query", NASTY)
def test_any_search_gives_results_or_none(view, qtbot, query):
    failures: list[str] = []
    view.model.query_failed.connect(failures.append)
    view.search.setText(query)
    view._search_now()
    _wait_idle(qtbot, view)
    assert failures == []
    assert view.model.rowCount() <= 36
    assert "failed" not in view.count_label.text()


def test_status_and_label_filters(view, library_store, qtbot):
    view.status_filter.setCurrentIndex(view.status_filter.findData("done"))
    _wait_idle(qtbot, view)
    done = _db(library_store, "SELECT id FROM article WHERE status = 'done' ORDER BY id")
    assert view.model.article_ids() == done
    assert set(_shown(view.model, "Status")) == {"Done"}

    view.status_filter.setCurrentIndex(0)
    view.label_filter.setCurrentIndex(view.label_filter.findData("lacks:PERSON"))
    _wait_idle(qtbot, view)
    lacking = _db(library_store, "SELECT id FROM article WHERE id NOT IN (SELECT article_id FROM span "
                                 "JOIN label ON label.id = span.label_id WHERE label.name = 'PERSON') ORDER BY id")
    assert view.model.article_ids() == lacking
    assert set(_shown(view.model, "PERSON")) == {""}

    view.label_filter.setCurrentIndex(view.label_filter.findData("has:CLAIM"))
    view.search.setText("harbor")
    _wait_idle(qtbot, view)
    assert view.model.article_ids() == list_article_ids(library_store, ArticleFilter(query="harbor",
                                                                                      has_label="CLAIM"))
    assert view.model.rowCount() > 0


def test_sort_by_title_both_ways_and_back_to_import_order(view, qtbot):
    header = view.table.horizontalHeader()
    titles = _shown(view.model)
    title_col = _column(view.model, "Title")
    header.setSortIndicator(title_col, Qt.SortOrder.AscendingOrder)
    _wait_idle(qtbot, view)
    raw = _raw(_shown(view.model))
    assert raw == sorted(raw)
    header.setSortIndicator(title_col, Qt.SortOrder.DescendingOrder)
    _wait_idle(qtbot, view)
    raw = _raw(_shown(view.model))
    assert raw == sorted(raw, reverse=True)
    # Span counts sort too (tests/gui/test_library_columns.py checks their order).
    header.setSortIndicator(_column(view.model, "PERSON"), Qt.SortOrder.DescendingOrder)
    _wait_idle(qtbot, view)
    assert header.sortIndicatorSection() == _column(view.model, "PERSON")
    assert view.model.sort_key == ("label:PERSON", True)
    header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    _wait_idle(qtbot, view)
    assert _shown(view.model) == titles


def test_sort_by_status_follows_the_work(view, qtbot):
    view.table.horizontalHeader().setSortIndicator(_column(view.model, "Status"), Qt.SortOrder.AscendingOrder)
    _wait_idle(qtbot, view)
    order = list(dict.fromkeys(_shown(view.model, "Status")))
    assert order == ["New", "In progress", "Done", "Skipped"]


def test_mark_status_from_the_view_updates_row_and_dataset(view, library_store, qtbot):
    ids = view.model.article_ids()
    view.select_article(ids[0])
    view.table.selectionModel().select(view.model.index(1, 0), view.table.selectionModel().SelectionFlag.Select
                                       | view.table.selectionModel().SelectionFlag.Rows)
    assert view.selected_ids() == ids[:2]
    with qtbot.waitSignal(view.model.dataChanged), qtbot.assertNotEmitted(view.model.modelReset):
        view.library_actions.mark_skipped.trigger()
    assert _shown(view.model, "Status")[:2] == ["Skipped", "Skipped"]
    assert _db(library_store, f"SELECT status FROM article WHERE id IN ({ids[0]}, {ids[1]})") == ["skipped"] * 2
    view.gateway.undo_stack.undo()
    qtbot.waitUntil(lambda: _shown(view.model, "Status")[:2] == ["New", "New"])
    assert view.selected_ids() == ids[:2]


def test_delete_asks_first_and_removes_rows(view, library_store, qtbot, monkeypatch):
    asked: list[str] = []
    answer = [QMessageBox.StandardButton.No]

    def question(_parent, _title, message, *_args):
        asked.append(message)
        return answer[0]

    monkeypatch.setattr(QMessageBox, "question", question)
    ids = view.model.article_ids()
    view.select_article(ids[0])
    for row in (1, 2):
        view.table.selectionModel().select(view.model.index(row, 0), view.table.selectionModel().SelectionFlag.Select
                                           | view.table.selectionModel().SelectionFlag.Rows)
    spans = len(_db(library_store, f"SELECT id FROM span WHERE article_id IN ({ids[0]}, {ids[1]}, {ids[2]})"))
    view.library_actions.delete.trigger()
    assert asked == [f"Delete 3 articles and their {spans} spans? This cannot be undone."]
    assert view.model.rowCount() == 36

    answer[0] = QMessageBox.StandardButton.Yes
    with qtbot.waitSignal(view.model.rowsRemoved), qtbot.assertNotEmitted(view.model.modelReset):
        view.library_actions.delete.trigger()
    assert view.model.rowCount() == 33
    assert view.model.article_ids() == ids[3:]
    assert _db(library_store, "SELECT count(*) FROM article") == [33]
    assert view.selected_ids() == [ids[3]]  # work carries on at the next article
    assert view.count_label.text() == "33 articles"


def test_neighbour_id_walks_every_row_in_order(view, qtbot):
    view.table.horizontalHeader().setSortIndicator(_column(view.model, "Site"), Qt.SortOrder.DescendingOrder)
    _wait_idle(qtbot, view)
    expected = view.model.article_ids()
    walked = [expected[0]]
    while (nxt := view.neighbour_id(walked[-1], 1)) is not None:
        walked.append(nxt)
    assert walked == expected
    back = [walked[-1]]
    while (prev := view.neighbour_id(back[-1], -1)) is not None:
        back.append(prev)
    assert back == expected[::-1]
    assert view.neighbour_id(-5, 1) is None


def test_selection_signals_and_activation(view, qtbot):
    ids = view.model.article_ids()
    with qtbot.waitSignal(view.current_article_changed) as current:
        assert view.select_article(ids[7])
    assert current.args == [ids[7]]
    view.table.setFocus()
    with qtbot.waitSignal(view.article_activated) as activated:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert activated.args == [ids[7]]
    # A new search keeps the selected article selected when it still matches.
    view.search.setText("item")
    _wait_idle(qtbot, view)
    assert view.selected_ids() == [ids[7]]
    view.status_filter.setCurrentIndex(view.status_filter.findData("skipped"))
    _wait_idle(qtbot, view)
    assert not view.select_article(ids[7])  # it is New: hidden by the filter


def test_empty_states(view, qtbot):
    view.search.setText("nothing-matches-this")
    view._search_now()
    _wait_idle(qtbot, view)
    assert view.model.rowCount() == 0
    assert view.empty_label.isVisible()
    assert "No articles match" in view.empty_label.text()
    view.search.clear()
    _wait_idle(qtbot, view)
    assert not view.empty_label.isVisible()


def test_articles_added_keeps_selection(view, library_store, qtbot):
    ids = view.model.article_ids()
    view.select_article(ids[3])
    store_articles(library_store, [NewArticle(text="Fresh news.", title="Fresh", source_kind="paste")])
    with qtbot.waitSignal(view.model.rowsInserted):
        view.articles_added()
    _wait_idle(qtbot, view)
    assert view.model.rowCount() == 37
    assert view.selected_ids() == [ids[3]]
    assert view.count_label.text() == "37 articles"


def test_screenshot(view, qtbot, screenshot):
    ids = view.model.article_ids()
    view.select_article(ids[2])
    view.table.selectionModel().select(view.model.index(3, 0), view.table.selectionModel().SelectionFlag.Select
                                       | view.table.selectionModel().SelectionFlag.Rows)
    qtbot.wait(50)
    path = screenshot(view, "library")
    assert path.exists()
    view.search.setText("harbor")
    view.label_filter.setCurrentIndex(view.label_filter.findData("has:PERSON"))
    view.table.horizontalHeader().setSortIndicator(_column(view.model, "Title"), Qt.SortOrder.AscendingOrder)
    _wait_idle(qtbot, view)
    screenshot(view, "library-filtered")


def test_no_filter_index_is_invalid(library_store, qapp):
    model = ArticleTableModel(library_store)
    assert model.data(QModelIndex()) is None
    assert model.rowCount(model.index(0, 0)) == 0


def test_refresh_picks_up_a_new_label(view, library_store, qtbot):
    from app.core.ops.labels import add_label

    add_label(library_store, "LOCATION", color="#8b5cf6")
    view.refresh()
    _wait_idle(qtbot, view)
    assert [c.header for c in view.model.columns][-2:] == ["LOCATION", "Last edited"]
    assert view.label_filter.findData("lacks:LOCATION") > 0
    view.label_filter.setCurrentIndex(view.label_filter.findData("lacks:LOCATION"))
    _wait_idle(qtbot, view)
    assert view.model.rowCount() == 36


def test_down_arrow_moves_from_search_to_the_table(view, qtbot):
    view.focus_search()
    qtbot.keyClicks(view.search, "harbor")
    qtbot.keyClick(view.search, Qt.Key.Key_Down)
    _wait_idle(qtbot, view)
    assert view.table.hasFocus()
    assert view.selected_ids() == view.model.article_ids()[:1]
    qtbot.keyClick(view.search, Qt.Key.Key_Escape)
    assert view.search.text() == ""


def test_rows_that_cannot_be_read_show_a_stand_in_and_come_back(library_store, qtbot, caplog) -> None:
    model = ArticleTableModel(library_store)
    with library_store.begin() as conn:
        conn.execute(text("ALTER TABLE article RENAME TO article_away"))
    try:
        first = model.index(0, 0)
        assert model.data(first) == "(cannot be read from the dataset)"
        assert model.data(model.index(0, 1)) is None
        model.data(model.index(1, 0))  # painting asks again: logged once
        assert sum("could not be read" in r.getMessage() for r in caplog.records) == 1
    finally:
        with library_store.begin() as conn:
            conn.execute(text("ALTER TABLE article_away RENAME TO article"))
    assert model.data(model.index(0, 0)) not in (None, "(cannot be read from the dataset)")
