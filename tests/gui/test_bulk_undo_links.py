"""Undoing and redoing Alt+A keeps the links another writer gave the spans: each claim keeps its claimant."""

from __future__ import annotations

import orjson
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import text

from app.core.db.store import Store, open_store
from app.core.entities import registry
from app.core.ingest.storing import store_articles
from app.core.ops import library, span_edits
from app.core.ops.selection import find_occurrences
from app.core.validation import NewArticle

CLAIM = "the bridge will open in May"
TEXT = f"Mayor Elena Vasquez said {CLAIM}. Critics doubt it. Officials repeat that {CLAIM}."


def stored(store: Store) -> list[tuple[int, int, str, int | None, int | None]]:
    with store.begin() as conn:
        return [tuple(r) for r in conn.execute(text(
            'SELECT span.start, span."end", label.name, span.entity_id, span.claimant_id FROM span '
            "JOIN label ON label.id = span.label_id ORDER BY span.start"))]


def test_redo_of_an_undone_bulk_claim_keeps_the_claimants_linked_meanwhile(qtbot, make_window, store, db_path):
    store_articles(store, [NewArticle(text=TEXT, title="Bridge", source_kind="paste")])
    window = make_window(store)
    (row,) = library.list_articles(store)
    window.open_article(row.id)
    view = window.panes.annotation.view
    occurrences = find_occurrences(TEXT, CLAIM)
    view.select_range(*occurrences[0])
    view.setFocus()
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_3)  # CLAIM
    window.gateway.wait_until_saved()
    assert [(s, e, label) for s, e, label, _e, _c in stored(store)] == [(s, e, "CLAIM") for s, e in occurrences]

    # The command line (another writer) names the claimant of both claims.
    with open_store(db_path) as other:
        mayor = registry.create_entity(other, "PERSON", "Elena Vasquez").entity_ids[0]
        with other.begin() as conn:
            ids = [r[0] for r in conn.execute(text("SELECT id FROM span ORDER BY start"))]
        for span_id in ids:
            span_edits.update_span(other, span_id, attributes={"claimant": "Elena Vasquez"}, claimant_id=mayor)

    QTest.keySequence(window.windowHandle(), window.actions_by_id["undo"].shortcut())
    window.gateway.wait_until_saved()
    assert stored(store) == []
    QTest.keySequence(window.windowHandle(), window.actions_by_id["redo"].shortcut())
    window.gateway.wait_until_saved()
    assert stored(store) == [(s, e, "CLAIM", None, mayor) for s, e in occurrences]
    # Each claim has its claimant's name back too, and the panel shows it as stored.
    with store.begin() as conn:
        names = [orjson.loads(r[0]).get("claimant") for r in conn.execute(text("SELECT attributes FROM span"))]
    assert names == ["Elena Vasquez", "Elena Vasquez"]
    assert [s.attributes.get("claimant") for s in window.panes.annotation.article().spans] == names
