"""A claim's claimant, verdict, date and note: the gateway's claimant edit and the claim details driven with keys."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import text

from app.core.db.store import open_store
from app.core.entities import registry
from app.core.ops import library, span_edits
from app.core.validation import InvalidInput
from app.widgets.main_window import MainWindow
from tests.gui.claims_data import article_id

CTRL = Qt.KeyboardModifier.ControlModifier


def claimant_of(store, span_id: int) -> int | None:
    with store.begin() as conn:
        return conn.execute(text("SELECT claimant_id FROM span WHERE id = :i"), {"i": span_id}).scalar_one()


def test_gateway_links_a_claimant_and_undo_redo_and_deletion_keep_the_link(gateway, sample_store) -> None:
    art = library.list_articles(sample_store, limit=1)[0].id
    claim = gateway.add_span(art, 0, 20, "CLAIM", {"claimant": "", "verdict": "unverified", "note": ""}).span_id
    meta = registry.create_entity(sample_store, "ORG", "Meta").entity_ids[0]
    change = gateway.set_claimant(claim, {"claimant": "Meta", "verdict": "unverified", "note": ""}, meta)
    assert change is not None and change.after["claimant_id"] == meta and change.entity_ids == (meta,)
    assert gateway.undo_stack.undoText() == "Set claimant"
    gateway.wait_until_saved()
    assert claimant_of(sample_store, claim) == meta
    # A verdict edited afterwards keeps the claimant.
    gateway.set_attributes(claim, {"claimant": "Meta", "verdict": "true", "note": ""})
    gateway.wait_until_saved()
    assert claimant_of(sample_store, claim) == meta and gateway.span_state(claim)["claimant_id"] == meta
    # Deleted, then the deletion undone: the claim comes back with its claimant.
    gateway.remove_span(claim, "CLAIM")
    gateway.undo_stack.undo()
    gateway.wait_until_saved()
    [back] = [s for s in library.get_article(sample_store, art).spans if s.label == "CLAIM"]
    assert claimant_of(sample_store, back.id) == meta
    # Undo the verdict, then the claimant: unlinked, the name gone; redo links it again.
    gateway.undo_stack.undo()
    gateway.undo_stack.undo()
    gateway.wait_until_saved()
    assert claimant_of(sample_store, back.id) is None
    assert span_edits.read_span(sample_store, back.id)["attributes"]["claimant"] == ""
    gateway.undo_stack.redo()
    gateway.wait_until_saved()
    assert claimant_of(sample_store, back.id) == meta


def test_a_new_claimant_entity_is_made_once_and_undone_with_the_edit(gateway, sample_store) -> None:
    art = library.list_articles(sample_store, limit=1)[0].id
    claim = gateway.add_span(art, 0, 20, "CLAIM", {"claimant": "", "verdict": "unverified", "note": ""}).span_id
    change = gateway.set_claimant(claim, {"claimant": "Ana Lind", "verdict": "unverified", "note": ""}, None,
                                  "PERSON")
    made = change.after["claimant_id"]
    assert registry.read_entity(sample_store, made)["name"] == "Ana Lind"
    for _ in range(2):  # undo deletes it, redo puts it back under its id
        gateway.undo_stack.undo()
        gateway.wait_until_saved()
        with pytest.raises(InvalidInput):
            registry.read_entity(sample_store, made)
        assert claimant_of(sample_store, claim) is None
        gateway.undo_stack.redo()
        gateway.wait_until_saved()
        assert registry.read_entity(sample_store, made)["kind"] == "PERSON"
        assert claimant_of(sample_store, claim) == made


def press(qtbot, window: QWidget, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window.windowHandle(), key, modifiers)
    QApplication.processEvents()


def type_text(qtbot, window: QWidget, words: str) -> None:
    keys = {" ": Qt.Key.Key_Space, "-": Qt.Key.Key_Minus}
    for char in words:
        press(qtbot, window, keys.get(char) or Qt.Key(ord(char.upper())))


def open_claim(qtbot, window: MainWindow, words: str):
    art = article_id(window.store, "Aldermoor")
    window.open_article(art)
    panel = window.panes.annotation
    claim = next(s for s in panel.article().spans if s.text.startswith(words))
    panel.select_span(claim.id)
    details = panel.claim_details
    qtbot.mouseClick(details.claimant, Qt.MouseButton.LeftButton)
    press(qtbot, window, Qt.Key.Key_A, CTRL)
    return claim, details


def test_typed_names_link_only_when_they_name_one_entity(qtbot, make_window, claims_path) -> None:
    window = make_window(open_store(claims_path))
    claim, details = open_claim(qtbot, window, "its rosters")
    # A free name: stored as typed, unlinked; Return with no row highlighted keeps what was typed.
    type_text(qtbot, window, "a spokesman")
    qtbot.waitUntil(details.completer.popup().isVisible)  # once typing pauses
    press(qtbot, window, Qt.Key.Key_Return)
    window.gateway.wait_until_saved()
    assert span_edits.read_span(window.store, claim.id)["attributes"]["claimant"] == "a spokesman"
    assert claimant_of(window.store, claim.id) is None and details.claimant_id() is None
    assert details.claimant_link.text().startswith("Not linked to an entity")
    # The name of one entity (case aside): linked to it.
    qtbot.mouseClick(details.claimant, Qt.MouseButton.LeftButton)
    press(qtbot, window, Qt.Key.Key_A, CTRL)
    type_text(qtbot, window, "seacrest tidal")
    press(qtbot, window, Qt.Key.Key_Return)
    window.gateway.wait_until_saved()
    seacrest = claimant_of(window.store, claim.id)
    assert seacrest is not None and registry.read_entity(window.store, seacrest)["name"] == "Seacrest Tidal"


def test_tab_on_a_highlighted_new_entity_makes_it_once(qtbot, make_window, claims_path) -> None:
    window = make_window(open_store(claims_path))
    claim, details = open_claim(qtbot, window, "its rosters")
    edits = window.gateway.undo_stack.count()
    type_text(qtbot, window, "felix marchetti")
    popup = details.completer.popup()
    qtbot.waitUntil(popup.isVisible)  # once typing pauses
    names = [popup.model().index(r, 0).data() for r in range(popup.model().rowCount())]
    assert names[-2:] == ["New PERSON “felix marchetti”", "New ORG “felix marchetti”"]
    for _ in range(len(names) - 1):  # down to "New PERSON"
        qtbot.keyClick(popup, Qt.Key.Key_Down)
    assert popup.currentIndex().data() == "New PERSON “felix marchetti”"
    qtbot.keyClick(popup, Qt.Key.Key_Tab)
    QApplication.processEvents()
    window.gateway.wait_until_saved()
    made = claimant_of(window.store, claim.id)
    assert made is not None and registry.read_entity(window.store, made)["kind"] == "PERSON"
    assert window.gateway.undo_stack.count() == edits + 1
    with window.store.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM entity WHERE name = 'felix marchetti'")).scalar_one() == 1


def test_the_date_field(qtbot, make_window, claims_path) -> None:
    window = make_window(open_store(claims_path))
    claim, details = open_claim(qtbot, window, "its rosters")
    assert details.date.text() == "2025-05-05"
    assert details.date.placeholderText() == f"{window.panes.annotation.article().published[:10]} (the article's date)"
    # Not a date: refused, the field back as it was.
    qtbot.mouseClick(details.date, Qt.MouseButton.LeftButton)
    press(qtbot, window, Qt.Key.Key_A, CTRL)
    type_text(qtbot, window, "2025-02-30")
    press(qtbot, window, Qt.Key.Key_Return)
    window.gateway.wait_until_saved()
    assert span_edits.read_span(window.store, claim.id)["attributes"]["date"] == "2025-05-05"
    assert details.date.text() == "2025-05-05"
    # Emptied: the claim takes its article's date again.
    press(qtbot, window, Qt.Key.Key_A, CTRL)
    press(qtbot, window, Qt.Key.Key_Backspace)
    press(qtbot, window, Qt.Key.Key_Return)
    window.gateway.wait_until_saved()
    assert span_edits.read_span(window.store, claim.id)["attributes"]["date"] == ""
    # The date the Claims view sorts and filters by follows the edit, and its undo.
    published = window.panes.annotation.article().published[:10]
    assert _claim_date(window, claim.id) == published
    window.gateway.undo_stack.undo()
    window.gateway.wait_until_saved()
    assert _claim_date(window, claim.id) == "2025-05-05"


def _claim_date(window: MainWindow, span_id: int) -> str:
    with window.store.begin() as conn:
        return conn.execute(text("SELECT claim_date FROM span WHERE id = :i"), {"i": span_id}).scalar_one()
