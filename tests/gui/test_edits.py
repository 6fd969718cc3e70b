"""The edit gateway under the undo stack: every edit stored at once, undo/redo exact."""

from __future__ import annotations

from app.core.ops import library


def spans_of(store, article_id):
    return [(s.start, s.end, s.label, s.attributes) for s in library.get_article(store, article_id).spans]


def saved_spans(gateway, article_id):
    """The article's spans in the dataset once the gateway's queued writes are stored."""
    assert gateway.wait_until_saved(10)
    return spans_of(gateway.store, article_id)


def first_article(store) -> int:
    return library.list_articles(store, limit=1)[0].id


def test_add_relabel_delete_undo_redo(gateway, sample_store, qtbot):
    art = first_article(sample_store)
    changes = []
    gateway.changes_applied.connect(lambda change, _initiator: changes.append(change) if not change.saved else None)
    stack = gateway.undo_stack

    added = gateway.add_span(art, 0, 4, "ORG")
    assert saved_spans(gateway, art) == [(0, 4, "ORG", {})]
    assert stack.undoText() == "Add ORG span"
    gateway.relabel_span(added.span_id, "ORG", "PERSON")
    assert saved_spans(gateway, art) == [(0, 4, "PERSON", {})]
    gateway.remove_span(added.span_id, "PERSON")
    assert saved_spans(gateway, art) == []

    stack.undo()  # the delete: the span comes back (under a new id)
    assert saved_spans(gateway, art) == [(0, 4, "PERSON", {})]
    stack.undo()  # the relabel must find the re-created span
    assert saved_spans(gateway, art) == [(0, 4, "ORG", {})]
    stack.undo()
    assert saved_spans(gateway, art) == []
    for _ in range(3):
        stack.redo()
    assert saved_spans(gateway, art) == []
    stack.undo()
    stack.undo()
    assert saved_spans(gateway, art) == [(0, 4, "ORG", {})]
    assert [c.kind for c in changes][:3] == ["span_added", "span_changed", "span_removed"]


def test_claim_attributes_and_status_undo(gateway, sample_store):
    art = first_article(sample_store)
    claim = gateway.add_span(art, 0, 20, "CLAIM")
    gateway.set_attributes(claim.span_id, {"claimant": "Meta", "verdict": "true", "note": ""})
    assert saved_spans(gateway, art)[0][3] == {"claimant": "Meta", "verdict": "true", "note": ""}
    gateway.set_status([art], "done")
    assert gateway.wait_until_saved(10) and library.get_article(sample_store, art).status == "done"
    gateway.undo_stack.undo()
    assert gateway.wait_until_saved(10) and library.get_article(sample_store, art).status == "in_progress"
    gateway.undo_stack.undo()
    assert saved_spans(gateway, art)[0][3] == {}


def test_refused_edit_is_reported_and_not_on_the_stack(gateway, sample_store):
    art = first_article(sample_store)
    errors = []
    gateway.edit_failed.connect(errors.append)
    assert gateway.add_span(art, 0, 4, "ORG") is not None
    assert gateway.add_span(art, 0, 4, "ORG") is None  # the same span twice
    assert gateway.add_span(art, 5, 10**6, "ORG") is None  # past the text
    assert len(errors) == 2 and "already labelled" in errors[0]
    assert gateway.undo_stack.count() == 1


def test_locked_dataset_is_reported_not_dropped(gateway, sample_store, qtbot):
    """A save that fails because another program holds the write lock is shown, then taken back, not lost silently."""
    import sqlite3

    art = first_article(sample_store)
    errors, changes = [], []
    gateway.edit_failed.connect(errors.append)
    gateway.changes_applied.connect(lambda change, _initiator: changes.append(change) if not change.saved else None)
    gateway.writer.lock_timeout_s = 0.2
    blocker = sqlite3.connect(str(sample_store.path), timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        shown = gateway.add_span(art, 0, 4, "ORG")
        assert shown is not None and gateway.undo_stack.count() == 1  # shown at once, as every edit
        qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    finally:
        blocker.rollback()
        blocker.close()
    assert "locked" in errors[0]
    assert [c.kind for c in changes] == ["span_added", "edits_rolled_back"]
    assert gateway.undo_stack.count() == 0
    assert saved_spans(gateway, art) == []


def test_a_redo_that_cannot_be_saved_is_reported(gateway, sample_store):
    from app.core.ops import span_edits

    art = first_article(sample_store)
    errors = []
    gateway.changes_applied.connect(lambda c, i: None)
    gateway.edit_failed.connect(errors.append)
    gateway.add_span(art, 0, 4, "ORG")
    gateway.undo_stack.undo()
    gateway.wait_until_saved()  # the undo is stored before the other write below
    # Meanwhile the same span was stored another way: redoing the add cannot save it.
    span_edits.add_span(sample_store, art, 0, 4, "ORG", annotator="tester")
    gateway.undo_stack.redo()
    assert errors and "already labelled" in errors[-1]
    assert saved_spans(gateway, art) == [(0, 4, "ORG", {})]


def test_export_span_lists_are_rebuilt_off_the_key_press_once_edits_pause(gateway, sample_store, qtbot):
    from sqlalchemy import text

    def cached() -> dict[int, str]:
        with sample_store.begin() as conn:
            return dict(conn.execute(text("SELECT article_id, spans FROM article_span_json")).all())

    art = first_article(sample_store)
    gateway.export_lists_delay_ms = 200
    body = library.get_article(sample_store, art).text
    meta, mistral = body.index("Meta"), body.index("Mistral")
    assert gateway.add_span(art, meta, meta + 4, "ORG") is not None
    assert art not in cached()  # the key press did not wait for it
    qtbot.waitUntil(lambda: art in cached(), timeout=5000)
    assert gateway.add_span(art, mistral, mistral + 7, "ORG") is not None
    assert gateway.wait_until_saved(10) and art not in cached()
    qtbot.waitUntil(lambda: '"Mistral"' in cached().get(art, ""), timeout=5000)
    gateway.undo_stack.undo()
    assert gateway.wait_until_saved(10) and art not in cached()
    qtbot.waitUntil(lambda: art in cached(), timeout=5000)
    assert '"Meta"' in cached()[art] and '"Mistral"' not in cached()[art]


def test_closing_the_window_rebuilds_pending_export_span_lists(make_window, sample_store, qtbot):
    from sqlalchemy import text

    window = make_window(sample_store)
    art = first_article(sample_store)
    body = library.get_article(sample_store, art).text
    meta = body.index("Meta")
    assert window.gateway.add_span(art, meta, meta + 4, "ORG") is not None
    window.close()  # long before the pause timer fires; waits for background work
    with sample_store.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM article_span_json WHERE article_id = :a"),
                            {"a": art}).scalar_one() == 1


def test_undoing_the_removal_of_a_linked_span_links_it_again(gateway, sample_store):
    from sqlalchemy import text

    from app.core.entities import linking, registry
    from app.core.ops import span_edits

    art = first_article(sample_store)
    span_id = span_edits.add_span(sample_store, art, 0, 4, "ORG", annotator="tester").span_id
    entity = registry.create_entity(sample_store, "ORG", "Sour").entity_ids[0]
    linking.link_spans(sample_store, [span_id], entity)

    def link() -> object:  # the span comes back under an id of its own: found by where it is
        with sample_store.begin() as conn:
            return conn.execute(text('SELECT entity_id FROM span WHERE article_id = :a AND start = 0 AND "end" = 4'),
                                {"a": art}).scalar()

    assert gateway.remove_span(span_id, "ORG") is not None
    gateway.wait_until_saved()
    assert link() is None
    gateway.undo_stack.undo()
    gateway.wait_until_saved()
    assert link() == entity
