"""Alt+A and a label key on a name that occurs 2,000 times, through the real window: one edit, one undo step."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette, QTextCursor
from PySide6.QtTest import QTest
from sqlalchemy import event

from app.core.db.store import Store
from app.core.ingest.storing import store_articles
from app.core.ops import library, span_edits
from app.core.ops.labels import list_labels
from app.core.ops.selection import find_occurrences
from app.core.validation import NewArticle

NAME = "Wintermute"
SENTENCES = [f"{NAME} said on Monday that the plan is on track.",
             f"Analysts doubt {NAME}, and {NAME}’s rivals agree.",
             "Nobody else was named.", f"{NAME}\n\nThe next paragraph starts with {NAME}."]
TEXT = " ".join(SENTENCES * 400)
OCCURRENCES = find_occurrences(TEXT, NAME)


@pytest.fixture
def bulk_store(store: Store) -> Store:
    store_articles(store, [NewArticle(text=TEXT, title="Wintermute everywhere", source_kind="paste")])
    return store


@contextmanager
def counting(window) -> Iterator[dict[str, int]]:
    """What one key press costs: changes_applied emissions, span INSERT/DELETE statements, and commits
    of transactions that wrote (the views' reads commit too)."""
    seen = {"changes": 0, "insert": 0, "delete": 0, "commit": 0}
    engine = window.store.engine

    def statement(conn, _cursor, sql: str, *_args) -> None:
        words = sql.lower().split()[:3]
        seen["insert"] += words[:3] == ["insert", "into", "span"]
        seen["delete"] += words[:3] == ["delete", "from", "span"]
        if words[0] in ("insert", "update", "delete"):
            conn.info["wrote"] = True

    def commit(conn) -> None:
        seen["commit"] += conn.info.pop("wrote", False)

    def changed(change, _initiator) -> None:
        seen["changes"] += not change.saved  # each change is announced applied, then saved: count it once

    # The window reads through its store; its edits are written by the gateway's writer, on an engine of its own.
    engines = [engine, window.gateway.writer.store.engine]
    for each in engines:
        event.listen(each, "before_cursor_execute", statement)
        event.listen(each, "commit", commit)
    window.gateway.changes_applied.connect(changed)
    try:
        yield seen
        window.gateway.wait_until_saved()  # what the key press queued counts too
    finally:
        window.gateway.changes_applied.disconnect(changed)
        for each in engines:
            event.remove(each, "before_cursor_execute", statement)
            event.remove(each, "commit", commit)


def press(window, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A key as the window system delivers it: to the window, which hands it to the focused widget."""
    QTest.keyClick(window.windowHandle(), key, modifiers)


def tints(view) -> list[QColor | None]:
    """The background drawn under the first character of every occurrence (None: no tint)."""
    cursor = QTextCursor(view.document())
    out: list[QColor | None] = []
    for start, _end in OCCURRENCES:
        cursor.setPosition(view.to_qt(start) + 1)  # the format of the character before the cursor
        brush = cursor.charFormat().background()
        out.append(None if brush.style() == Qt.BrushStyle.NoBrush else brush.color())
    return out


def stored_spans(window, article_id: int) -> list[tuple[int, int, str]]:
    window.gateway.wait_until_saved()
    detail = library.get_article(window.store, article_id)
    assert detail is not None
    return [(s.start, s.end, s.label) for s in detail.spans]


def pixel_under(view, start: int) -> QColor:
    """The colour painted in the middle of the first character at ``start`` (it must be in view)."""
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.to_qt(start))
    left = view.cursorRect(cursor)
    cursor.setPosition(view.to_qt(start) + 1)
    right = view.cursorRect(cursor)
    image = view.viewport().grab().toImage()
    ratio = image.devicePixelRatio()
    x = (left.left() + right.left()) / 2
    y = left.top() + 2  # the top of the line box: background, not a glyph
    return image.pixelColor(int(x * ratio), int(y * ratio))


def test_label_every_occurrence_is_one_edit_and_one_undo_step(qtbot, make_window, bulk_store) -> None:
    assert len(OCCURRENCES) == 2000
    window = make_window(bulk_store)
    (row,) = library.list_articles(bulk_store)
    window.open_article(row.id)
    panel = window.panes.annotation
    view = panel.view
    view.select_range(*OCCURRENCES[0])
    view.setFocus()
    base = view.palette().color(QPalette.ColorRole.Base)
    assert tints(view) == [None] * len(OCCURRENCES)
    steps = window.gateway.undo_stack.count()

    with counting(window) as seen:
        press(window, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
        assert panel.label_bar.all_button.isChecked()
        press(window, Qt.Key.Key_2)
    # One edit however many spans: one signal, one INSERT (an executemany), one commit.
    assert seen == {"changes": 1, "insert": 1, "delete": 0, "commit": 1}
    assert stored_spans(window, row.id) == [(s, e, "ORG") for s, e in OCCURRENCES]
    assert panel.article().status == panel.status_badge.status == "in_progress"  # the first edit of a new article
    assert window.gateway.undo_stack.count() == steps + 1
    assert "Label all “Wintermute” as ORG" in window.actions_by_id["undo"].text()
    assert panel.span_list.span_model.count("ORG") == len(OCCURRENCES)
    painted = tints(view)
    assert None not in painted and len({c.name() for c in painted}) == 1 and painted[0] != base
    qtbot.waitUntil(lambda: pixel_under(view, OCCURRENCES[0][0]).name() == painted[0].name())
    # The words between the names keep the plain background.
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.to_qt(OCCURRENCES[0][1] + 3))
    assert cursor.charFormat().background().style() == Qt.BrushStyle.NoBrush

    with counting(window) as seen:
        QTest.keySequence(window.windowHandle(), window.actions_by_id["undo"].shortcut())
    assert seen == {"changes": 1, "insert": 0, "delete": len(OCCURRENCES) // 500, "commit": 1}  # 500 ids a statement
    assert stored_spans(window, row.id) == []
    assert window.gateway.undo_stack.count() == steps + 1 and window.gateway.undo_stack.index() == steps
    assert panel.span_list.span_model.count("ORG") == 0
    assert tints(view) == [None] * len(OCCURRENCES)
    qtbot.waitUntil(lambda: pixel_under(view, OCCURRENCES[0][0]).name() == base.name())

    with counting(window) as seen:
        QTest.keySequence(window.windowHandle(), window.actions_by_id["redo"].shortcut())
    assert seen["changes"] == 1 and seen["commit"] == 1
    assert stored_spans(window, row.id) == [(s, e, "ORG") for s, e in OCCURRENCES]
    assert panel.span_list.span_model.count("ORG") == len(OCCURRENCES)
    assert [c.name() if c else None for c in tints(view)] == [painted[0].name()] * len(OCCURRENCES)


def test_spans_of_a_bulk_edit_are_edited_one_by_one_afterwards(qtbot, make_window, bulk_store) -> None:
    """After Alt+A, one of the new spans can be relabelled and that undone, then the whole edit undone and redone."""
    window = make_window(bulk_store)
    (row,) = library.list_articles(bulk_store)
    window.open_article(row.id)
    panel = window.panes.annotation
    panel.view.select_range(*OCCURRENCES[1])
    panel.view.setFocus()
    press(window, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    press(window, Qt.Key.Key_1)
    spans = panel.article().spans
    assert len(spans) == len(OCCURRENCES) and {s.label for s in spans} == {"PERSON"}
    panel.select_span(spans[5].id)
    press(window, Qt.Key.Key_2)  # relabel that one span
    assert sorted(label for _s, _e, label in stored_spans(window, row.id)).count("ORG") == 1
    undo = window.actions_by_id["undo"].shortcut()
    redo = window.actions_by_id["redo"].shortcut()
    QTest.keySequence(window.windowHandle(), undo)  # the relabel
    QTest.keySequence(window.windowHandle(), undo)  # the bulk edit
    assert stored_spans(window, row.id) == []
    QTest.keySequence(window.windowHandle(), redo)
    QTest.keySequence(window.windowHandle(), redo)  # the relabel follows its span to its new id
    labels = [label for _s, _e, label in stored_spans(window, row.id)]
    assert len(labels) == len(OCCURRENCES) and labels.count("ORG") == 1 and labels[5] == "ORG"
    assert panel.span_list.span_model.count("ORG") == 1
    assert panel.span_list.span_model.count("PERSON") == len(OCCURRENCES) - 1


def formats(view) -> list[tuple[str, int]]:
    """(background, underline) of every character of the document, as drawn."""
    out = []
    block = view.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            brush = fmt.background()
            shown = brush.color().name() if brush.style() != Qt.BrushStyle.NoBrush else "-"
            out += [(shown, int(fmt.underlineStyle().value))] * fragment.length()
            it += 1
        out.append(("¶", 0))
        block = block.next()
    return out


def test_bulk_edit_inside_claims_draws_what_a_fresh_open_draws(qtbot, make_window, store) -> None:
    """Spans laid over CLAIMs (and next to earlier spans) are drawn as opening the article anew draws them."""
    body = " ".join([f"{NAME} said the plan is on track.", f"Critics of {NAME} disagree."] * 60)
    (out,) = store_articles(store, [NewArticle(text=body, title="Claims", source_kind="paste")])
    sentence = f"{NAME} said the plan is on track."
    starts = [i for i in range(len(body)) if body.startswith(sentence, i)]
    span_edits.add_spans(store, out.article_id, [(s, s + len(sentence)) for s in starts[::3]], "CLAIM",
                          annotator="ana", attributes={"claimant": "", "verdict": "unverified", "note": ""})
    span_edits.add_span(store, out.article_id, *find_occurrences(body, "plan")[1], "ORG", annotator="ana")
    window = make_window(store)
    window.open_article(out.article_id)
    panel = window.panes.annotation
    occurrences = find_occurrences(body, NAME)
    panel.view.select_range(*occurrences[4])
    panel.view.setFocus()
    press(window, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    press(window, Qt.Key.Key_1)
    assert len([s for s in panel.article().spans if s.label == "PERSON"]) == len(occurrences)

    def fresh() -> list[tuple[str, int]]:
        window.gateway.wait_until_saved()
        view = type(panel.view)()
        qtbot.addWidget(view)
        view.set_labels(list_labels(store))
        detail = library.get_article(store, out.article_id)
        assert detail is not None
        view.set_article(detail.text, detail.spans)
        return formats(view)

    edited = formats(panel.view)
    assert edited == fresh()
    assert len({shown for shown, _u in edited}) >= 4  # plain, PERSON, CLAIM, PERSON inside a CLAIM, ORG
    QTest.keySequence(window.windowHandle(), window.actions_by_id["undo"].shortcut())
    assert formats(panel.view) == fresh()
