"""View ▸ Entities driven as an annotator drives it: its key, search, a kind, an entity's mentions, every edit
undone with Ctrl+Z; on real SQLite datasets."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox
from sqlalchemy import text

from app.core.db.store import open_store
from app.core.entities import linking, queries, registry
from app.core.ingest.sample_dataset import create_sample_dataset
from app.core.ops import library, span_edits
from app.widgets.entities_view import SHORTCUT, EntitiesView, EntityPicker
from app.widgets.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier
HARBOR = "Mayor Elena Vasquez said Harbor City Council approved the library. Northgate Builders will build it."
SOLVANE = "Solvane Robotics named Priya Raman chief executive on Monday, the company said."


def settle(window: MainWindow) -> None:
    """The edits stored and every view told (the views read the registry again once it is)."""
    window.gateway.wait_until_saved()
    for _ in range(3):
        QApplication.processEvents()


def keys(window: MainWindow, sequence: str | QKeySequence) -> None:
    QTest.keySequence(window.windowHandle(), QKeySequence(sequence))
    settle(window)


def type_text(words: str) -> None:
    """Typed on the keyboard: into the focused widget."""
    QTest.keyClicks(QApplication.focusWidget(), words)
    QApplication.processEvents()


def click(window: MainWindow, qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(window)


def shown_rows(view: EntitiesView) -> list[tuple[str, str, str, str]]:
    """What the table shows, cell by cell, for the rows in sight."""
    model, table = view.model, view.table
    return [tuple(model.index(r, c).data() for c in range(4)) for r in range(model.rowCount())
            if table.visualRect(model.index(r, 0)).intersects(table.viewport().rect())]  # type: ignore[misc]


def mention_lines(view: EntitiesView) -> list[str]:
    table = view.mentions
    return [" | ".join(table.item(r, c).text() for c in range(4)) for r in range(table.rowCount())]


def click_row(qtbot, view: EntitiesView, row: int) -> None:
    rect = view.table.visualRect(view.model.index(row, 0))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    QApplication.processEvents()


def _span(store, article_id: int, body: str, words: str, label: str) -> int:
    start = body.index(words)
    return span_edits.add_span(store, article_id, start, start + len(words), label, annotator="ana").span_id


@pytest.fixture
def linked(sample_store):
    """The sample articles with a few entities, their spans linked."""
    rows = library.list_articles(sample_store, library.ArticleFilter(), limit=10)
    harbor = next(r.id for r in rows if r.title.startswith("Harbor"))
    solvane = next(r.id for r in rows if r.title.startswith("Solvane"))
    spans = {
        "vasquez": _span(sample_store, harbor, HARBOR, "Elena Vasquez", "PERSON"),
        "council": _span(sample_store, harbor, HARBOR, "Harbor City Council", "ORG"),
        "northgate": _span(sample_store, harbor, HARBOR, "Northgate Builders", "ORG"),
        "solvane": _span(sample_store, solvane, SOLVANE, "Solvane Robotics", "ORG"),
        "raman": _span(sample_store, solvane, SOLVANE, "Priya Raman", "PERSON"),
    }
    registry.create_entity(sample_store, "ORG", "Harbor City Council", aliases=["the council"])
    registry.create_entity(sample_store, "ORG", "Northgate Builders")
    registry.create_entity(sample_store, "ORG", "Solvane Robotics", aliases=["Solvane"], external_id="Q1")
    registry.create_entity(sample_store, "PERSON", "Elena Vasquez")
    registry.create_entity(sample_store, "PERSON", "Priya Raman")
    linking.auto_link(sample_store)
    return {"store": sample_store, "harbor_article": harbor, "solvane_article": solvane, **spans}


@pytest.fixture
def window(make_window, linked, qtbot):
    made = make_window(linked["store"])
    made.activateWindow()
    qtbot.waitActive(made)
    return made


def open_view(window: MainWindow, qtbot) -> EntitiesView:
    keys(window, SHORTCUT)
    view = window.entities_dock.view
    qtbot.waitUntil(lambda: view.isVisible())
    assert QApplication.focusWidget() is view.search
    return view


def entity_id(store, name: str) -> int:
    return next(r.id for r in queries.list_entities(store, search=name) if r.name == name)


def test_its_key_shows_the_entities_and_typing_searches_names_and_aliases(window, qtbot):
    assert not window.entities_dock.isVisible()
    view = open_view(window, qtbot)
    assert shown_rows(view) == [("Elena Vasquez", "PERSON", "1", "1"), ("Harbor City Council", "ORG", "1", "1"),
                                ("Northgate Builders", "ORG", "1", "1"), ("Priya Raman", "PERSON", "1", "1"),
                                ("Solvane Robotics", "ORG", "1", "1")]
    assert view.count_label.text() == "5 entities"
    type_text("counc")  # an alias's words find the entity
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)
    assert shown_rows(view) == [("Harbor City Council", "ORG", "1", "1")]
    view.search.clear()
    view.kind.setCurrentIndex(view.kind.findData("PERSON"))
    qtbot.waitUntil(lambda: view.model.rowCount() == 2)
    assert [r[0] for r in shown_rows(view)] == ["Elena Vasquez", "Priya Raman"]
    assert ("Ctrl+Shift+E", "Entities") in [(k, w) for k, w in __import__(
        "app.widgets.shortcuts_dialog", fromlist=["shortcut_rows"]).shortcut_rows(window)]


def test_an_entity_shows_its_mentions_in_context_and_enter_opens_one_in_the_article(window, linked, qtbot):
    view = open_view(window, qtbot)
    click_row(qtbot, view, 4)  # Solvane Robotics
    assert view.heading.text() == "Solvane Robotics"
    assert view.aliases.text() == "Solvane" and view.external_id.text() == "Q1"
    assert mention_lines(view) == ["Solvane names CEO |  | Solvane Robotics |  named Priya Raman chief executive on "
                                   "Monday,…"]
    view.mentions.setFocus()
    view.mentions.setCurrentCell(0, 2)
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_Return)
    QApplication.processEvents()
    panel = window.panes.annotation
    assert panel.current_article_id == linked["solvane_article"] and window.tabs.currentWidget() is panel
    assert panel.selected_span_id() == linked["solvane"]
    assert panel.linker.strip.plain_text() == "Linked to Solvane Robotics (ORG) · unlink"


def _answers(monkeypatch, *answers: str) -> None:
    queue = list(answers)
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: (queue.pop(0), True))


def test_rename_aliases_and_details_are_undone_and_redone_with_the_window_keys(window, linked, qtbot, monkeypatch):
    view = open_view(window, qtbot)
    click_row(qtbot, view, 1)  # Harbor City Council
    _answers(monkeypatch, "Harbor City Council (Port)", "HCC")
    click(window, qtbot, view.buttons["rename"])  # Rename…
    click(window, qtbot, view.buttons["add_alias"])  # Add Alias…
    view.external_id.setFocus()
    type_text("Q42")
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_Return)  # the field is done: the details are stored
    settle(window)
    council = entity_id(linked["store"], "Harbor City Council (Port)")
    state = registry.read_entity(linked["store"], council)
    assert (state["aliases"], state["external_id"]) == (["the council", "HCC"], "Q42")
    assert view.heading.text() == "Harbor City Council (Port)" and view.aliases.text() == "the council, HCC"
    assert ("Harbor City Council (Port)", "ORG", "1", "1") in shown_rows(view)

    view.table.setFocus()  # out of the field, whose own Ctrl+Z undoes typing
    for _ in range(3):
        keys(window, QKeySequence.StandardKey.Undo)
    state = registry.read_entity(linked["store"], council)
    assert (state["name"], state["aliases"], state["external_id"]) == ("Harbor City Council", ["the council"], "")
    assert view.heading.text() == "Harbor City Council" and view.external_id.text() == ""
    keys(window, window.actions_by_id["redo"].shortcut())
    assert view.heading.text() == "Harbor City Council (Port)"


def test_merge_split_and_delete_are_undone_with_ctrl_z(window, linked, qtbot, monkeypatch):
    store = linked["store"]
    view = open_view(window, qtbot)
    council, northgate = entity_id(store, "Harbor City Council"), entity_id(store, "Northgate Builders")
    click_row(qtbot, view, 1)

    def pick(picker: EntityPicker) -> int:  # the annotator types the other's name and takes the first match
        QTest.keyClicks(picker.search, "northg")
        assert picker.choices.count() == 1
        picker.accept()
        return QDialogCode.Accepted
    from PySide6.QtWidgets import QDialog
    QDialogCode = QDialog.DialogCode  # noqa: N806
    monkeypatch.setattr(EntityPicker, "exec", pick)
    click(window, qtbot, view.buttons["merge"])  # Merge…
    assert queries.count_mentions(store, council) == 2 and view.model.rowCount() == 4
    assert len(mention_lines(view)) == 2 and view.aliases.text() == "the council, Northgate Builders"

    view.mentions.selectRow(1)  # Northgate Builders' mention goes off again, as a new entity
    _answers(monkeypatch, "Northgate Builders Ltd")
    click(window, qtbot, view.buttons["split"])  # Split…
    assert queries.count_mentions(store, council) == 1 and view.model.rowCount() == 5
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    click(window, qtbot, view.buttons["delete"])  # Delete
    assert view.heading.text() == "No entity chosen" and view.model.rowCount() == 4
    with store.begin() as conn:
        assert conn.execute(text("SELECT entity_id FROM span WHERE id = :i"), {"i": linked["council"]}).scalar() \
            is None

    keys(window, QKeySequence.StandardKey.Undo)  # the deletion
    assert queries.count_mentions(store, council) == 1
    keys(window, QKeySequence.StandardKey.Undo)  # the split
    keys(window, QKeySequence.StandardKey.Undo)  # the merge
    assert queries.count_mentions(store, council) == queries.count_mentions(store, northgate) == 1
    assert registry.read_entity(store, northgate)["name"] == "Northgate Builders"
    assert view.model.rowCount() == 5


def test_the_entities_view_screenshot_on_the_sample_dataset(make_window, tmp_path, qtbot, screenshot):
    path = create_sample_dataset(tmp_path / "sample.curator.sqlite")
    store = open_store(path)
    registry.create_entity(store, "ORG", "Meta", aliases=["Meta Platforms", "Facebook"], external_id="Q380",
                           note="Makes the Llama models")
    for kind, name in [("ORG", "Mistral"), ("ORG", "Seacrest Tidal"), ("PERSON", "Hugo Touvron"),
                       ("PERSON", "Guillaume Lample"), ("PERSON", "Xavier Martinet"), ("PERSON", "Brenna Okafor")]:
        registry.create_entity(store, kind, name)
    linking.auto_link(store)
    window = make_window(store)
    window.resize(1500, 950)
    view = open_view(window, qtbot)
    window.resizeDocks([window.entities_dock], [420], Qt.Orientation.Vertical)
    view.select_entity(entity_id(store, "Meta"))
    QApplication.processEvents()
    assert view.heading.text() == "Meta" and len(mention_lines(view)) == 2
    screenshot(window, "entities_view")  # docs/screenshots/entities_view.png is a copy
    assert view.summary.text() == "ORG · 2 mentions · 1 article"


def test_return_in_the_search_goes_to_the_entities_found_and_the_keys_move_between_them(window, qtbot):
    view = open_view(window, qtbot)
    type_text("a")  # Elena, Harbor, Priya, Solvane Robotics
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_Return)
    QApplication.processEvents()
    assert QApplication.focusWidget() is view.table and view.heading.text() == "Elena Vasquez"
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_Down)
    QApplication.processEvents()
    assert view.heading.text() == "Harbor City Council"
    assert mention_lines(view) == ["Harbor City library | Mayor Elena Vasquez said  | Harbor City Council |  approved "
                                   "the library. Northgate Builders wil…"]


def test_the_entities_model_passes_qtmodeltester(window, qtmodeltester):
    view = window.entities_dock.view
    qtmodeltester.check(view.model)
    view.kind.setCurrentIndex(view.kind.findData("ORG"))
    qtmodeltester.check(view.model)


def test_the_view_follows_edits_made_in_the_annotation_panel(window, linked, qtbot):
    view = open_view(window, qtbot)
    click_row(qtbot, view, 2)  # Northgate Builders
    assert view.heading.text() == "Northgate Builders" and len(mention_lines(view)) == 1
    view.open_mention(0)  # as Enter on the mention does
    QApplication.processEvents()
    panel = window.panes.annotation
    assert panel.selected_span_id() == linked["northgate"]
    panel.view.setFocus()
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_Delete)
    settle(window)
    assert mention_lines(view) == [] and ("Northgate Builders", "ORG", "0", "0") in shown_rows(view)
    keys(window, QKeySequence.StandardKey.Undo)  # the span comes back, linked again
    assert len(mention_lines(view)) == 1 and ("Northgate Builders", "ORG", "1", "1") in shown_rows(view)
