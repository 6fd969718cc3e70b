"""Linking spans to entities from the keyboard, in the window: L links, a number picks, Ctrl+Z takes it back."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import text

from app.core.entities import registry
from app.core.ops import library
from app.widgets.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier
HARBOR = "Mayor Elena Vasquez said Harbor City Council approved the library. Northgate Builders will build it."


def press(window: MainWindow, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    from PySide6.QtTest import QTest

    QTest.keyClick(window.windowHandle(), key, modifiers)
    QApplication.processEvents()


def redo(window: MainWindow) -> None:
    """The window's Redo keys (Ctrl+Shift+Z or Ctrl+Y, as the platform has it)."""
    from PySide6.QtTest import QTest

    QTest.keySequence(window.windowHandle(), window.actions_by_id["redo"].shortcut())
    QApplication.processEvents()


def links(window: MainWindow) -> dict[str, int | None]:
    """Each stored span's words and the entity it names, once the window's edits are stored."""
    window.gateway.wait_until_saved()
    with window.store.begin() as conn:
        return dict(conn.execute(text("SELECT text, entity_id FROM span ORDER BY id")).all())


def entities(window: MainWindow) -> list[str]:
    with window.store.begin() as conn:
        return [r[0] for r in conn.execute(text("SELECT name FROM entity ORDER BY id"))]


@pytest.fixture
def window(make_window, sample_store, qtbot):
    made = make_window(sample_store)
    made.activateWindow()
    qtbot.waitActive(made)
    harbor = next(r.id for r in library.list_articles(sample_store, library.ArticleFilter(), limit=10)
                  if r.title.startswith("Harbor"))
    made.open_article(harbor)
    return made


def label_words(window: MainWindow, words: str, key: Qt.Key) -> None:
    """Select ``words`` in the open article and press a label key, as an annotator does."""
    panel = window.panes.annotation
    start = HARBOR.index(words)
    panel.view.setFocus()
    panel.view.select_range(start, start + len(words))
    press(window, key)


def span_row_texts(window: MainWindow) -> list[str]:
    model = window.panes.annotation.span_list.span_model
    return [model.item(g).child(r).text() for g in range(model.rowCount()) for r in range(model.item(g).rowCount())]


def test_l_makes_a_new_entity_for_a_new_span_and_undo_redo_follow(window):
    panel = window.panes.annotation
    label_words(window, "Elena Vasquez", Qt.Key.Key_1)
    strip = panel.linker.strip
    assert strip.isVisible() and strip.plain_text() == "New entity ‘Elena Vasquez’ (PERSON) — L"

    press(window, Qt.Key.Key_L)
    assert links(window) == {"Elena Vasquez": 1} and entities(window) == ["Elena Vasquez"]
    assert strip.plain_text() == "Linked to Elena Vasquez (PERSON) · unlink"
    assert "Elena Vasquez  → Elena Vasquez" in span_row_texts(window)

    press(window, Qt.Key.Key_Z, CTRL)  # the link and the entity go back together
    assert links(window) == {"Elena Vasquez": None} and entities(window) == []
    assert strip.plain_text() == "New entity ‘Elena Vasquez’ (PERSON) — L"
    redo(window)  # and come again, under the same id
    assert links(window) == {"Elena Vasquez": 1} and entities(window) == ["Elena Vasquez"]
    assert strip.plain_text() == "Linked to Elena Vasquez (PERSON) · unlink"


def test_one_matching_entity_is_proposed_and_l_links_the_span_to_it(window):
    registry.create_entity(window.store, "ORG", "Harbor City Council", aliases=["the council"])
    label_words(window, "Harbor City Council", Qt.Key.Key_2)
    strip = window.panes.annotation.linker.strip
    assert strip.plain_text() == "Link to Harbor City Council (ORG) — L"
    press(window, Qt.Key.Key_L)
    assert links(window) == {"Harbor City Council": 1}
    assert window.gateway.undo_stack.undoText() == "Link “Harbor City Council” to Harbor City Council"


def test_several_matching_entities_are_all_shown_and_a_number_picks_one(window):
    first = registry.create_entity(window.store, "PERSON", "Elena Vasquez").entity_ids[0]
    second = registry.create_entity(window.store, "PERSON", "Elena Vásquez-Ruiz", aliases=["Elena Vasquez"])
    panel = window.panes.annotation
    label_words(window, "Elena Vasquez", Qt.Key.Key_1)
    strip = panel.linker.strip
    assert strip.plain_text() == ("‘Elena Vasquez’ names 2 entities: 1 Elena Vasquez · 2 Elena Vásquez-Ruiz — "
                                  "L then a number")
    press(window, Qt.Key.Key_L)  # nothing is guessed: L asks which
    assert links(window) == {"Elena Vasquez": None}
    assert panel.linker.choosing and "N New entity ‘Elena Vasquez’" in strip.plain_text()
    press(window, Qt.Key.Key_3)  # no third entity: nothing happens (the key does not relabel the span CLAIM)
    assert panel.linker.choosing and links(window) == {"Elena Vasquez": None}
    press(window, Qt.Key.Key_2)  # the number picks (it does not relabel the span ORG)
    assert links(window) == {"Elena Vasquez": second.entity_ids[0]} != {"Elena Vasquez": first}
    assert [s.label for s in library.get_article(window.store, panel.current_article_id).spans] == ["PERSON"]


def test_relabelling_a_linked_span_unlinks_it_and_undo_links_it_again(window):
    label_words(window, "Elena Vasquez", Qt.Key.Key_1)
    press(window, Qt.Key.Key_L)
    assert links(window) == {"Elena Vasquez": 1}
    press(window, Qt.Key.Key_2)  # the selected span becomes an ORG: it no longer names a person
    assert links(window) == {"Elena Vasquez": None}
    assert window.panes.annotation.linker.strip.plain_text() == "New entity ‘Elena Vasquez’ (ORG) — L"
    press(window, Qt.Key.Key_Z, CTRL)
    assert links(window) == {"Elena Vasquez": 1}
    assert "Elena Vasquez  → Elena Vasquez" in span_row_texts(window)


def test_an_undone_deletion_of_a_linked_span_links_it_again(window):
    label_words(window, "Northgate Builders", Qt.Key.Key_2)
    press(window, Qt.Key.Key_L)
    press(window, Qt.Key.Key_Delete)
    assert links(window) == {}
    press(window, Qt.Key.Key_Z, CTRL)
    assert list(links(window).values()) == [1]
    assert "Northgate Builders  → Northgate Builders" in span_row_texts(window)


def test_the_proposal_screenshot_on_the_sample_dataset(make_window, tmp_path, qtbot, screenshot):
    from app.core.db.store import open_store
    from app.core.entities import linking
    from app.core.ingest.sample_dataset import create_sample_dataset

    store = open_store(create_sample_dataset(tmp_path / "sample.curator.sqlite"))
    for kind, name in [("PERSON", "Hugo Touvron"), ("PERSON", "Guillaume Lample"), ("PERSON", "Xavier Martinet"),
                       ("ORG", "Mistral")]:
        registry.create_entity(store, kind, name)
    linking.auto_link(store)
    registry.create_entity(store, "ORG", "Meta", aliases=["Meta Platforms", "Facebook"])  # not linked yet
    made = make_window(store)
    made.panes.import_dock.hide()  # the span list at its height
    llama = next(r.id for r in library.list_articles(store, library.ArticleFilter(), limit=10)
                 if r.title.startswith("High turnover"))
    made.open_article(llama)
    panel = made.panes.annotation
    meta = next(s for s in panel.article().spans if s.text == "Meta" and s.label == "ORG")
    panel.select_span(meta.id)
    QApplication.processEvents()
    assert panel.linker.strip.plain_text() == "Link to Meta (ORG) — L"
    assert any("→ Hugo Touvron" in row for row in span_row_texts(made))
    screenshot(made, "entity_link")  # docs/screenshots/entity_link.png is a copy


def test_with_several_entities_esc_cancels_the_choice_and_n_makes_a_new_one(window):
    registry.create_entity(window.store, "PERSON", "Elena Vasquez")
    registry.create_entity(window.store, "PERSON", "Elena Vásquez-Ruiz", aliases=["Elena Vasquez"])
    panel = window.panes.annotation
    label_words(window, "Elena Vasquez", Qt.Key.Key_1)
    offered = panel.linker.strip.plain_text()
    press(window, Qt.Key.Key_L)
    press(window, Qt.Key.Key_Escape)
    assert not panel.linker.choosing and panel.linker.strip.plain_text() == offered
    assert panel.selected_span_id() is not None  # Esc ended the choice, not the span's selection
    press(window, Qt.Key.Key_L)
    press(window, Qt.Key.Key_N)
    assert entities(window) == ["Elena Vasquez", "Elena Vásquez-Ruiz", "Elena Vasquez"]
    assert links(window) == {"Elena Vasquez": 3}
