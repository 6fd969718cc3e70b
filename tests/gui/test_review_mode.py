"""Review mode driven as a reviewer does: Ctrl+Shift+R on the window, agreed spans land in the gold layer,
Tab/Enter/X decide the disagreements, Ctrl+Z takes a decision back, and the text shows the gold layer."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import text

from app.core.ops import library, span_edits
from app.core.team import review
from tests.gui.test_keyboard import CTRL, SHIFT, type_key
from tests.gui.test_keyboard import window as window  # noqa: F401 -- the active window on the sample articles


def _layers(store, article_id: int) -> dict[str, set[tuple[int, int, str]]]:  # type: ignore[no-untyped-def]
    found: dict[str, set[tuple[int, int, str]]] = {}
    for s in library.get_article(store, article_id).spans:
        found.setdefault(s.annotator, set()).add((s.start, s.end, s.label))
    return found


def _listed(panel):  # type: ignore[no-untyped-def]
    """The spans the span list shows, once its pending refresh is done."""
    panel.span_list.flush()
    return [s for group in panel.span_list.span_model._rows for s in group]


def _prepare(store) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """The Harbor City article labelled by ana and ben: they agree on the mayor, not on the rest."""
    article_id = library.list_article_ids(store)[1]
    body = library.get_article(store, article_id).text

    def at(word: str) -> tuple[int, int]:
        start = body.index(word)
        return start, start + len(word)

    span_edits.add_span(store, article_id, *at("Elena Vasquez"), "PERSON", annotator="ana")
    span_edits.add_span(store, article_id, *at("Elena Vasquez"), "PERSON", annotator="ben")
    span_edits.add_span(store, article_id, *at("Harbor City Council"), "ORG", annotator="ana")
    span_edits.add_span(store, article_id, *at("Northgate Builders"), "ORG", annotator="ben")
    for who in ("ana", "ben"):
        span_edits.set_status(store, [article_id], "done", who)
    return article_id, body


def test_a_reviewer_merges_two_layers_into_gold_by_key(window, sample_store, qtbot, screenshot) -> None:  # type: ignore[no-untyped-def]
    article_id, body = _prepare(sample_store)
    window.open_article(article_id)
    panel = window.panes.annotation
    before = panel.view.grab().toImage()

    QTest.keyClick(window, Qt.Key.Key_R, CTRL | SHIFT)  # View ▸ Review Mode

    assert panel.review.active and panel.review.toggle_action.isChecked()
    window.gateway.wait_until_saved()
    vasquez = (body.index("Elena Vasquez"), body.index("Elena Vasquez") + len("Elena Vasquez"), "PERSON")
    assert _layers(sample_store, article_id)["gold"] == {vasquez}  # agreed: accepted on opening
    assert "2 disagreements left" in panel.review.bar.text() and panel.review.bar.isVisible()
    # The text and the span list show the gold layer; the disagreements are outlined over it.
    assert [s.annotator for s in _listed(panel)] == ["gold"]
    assert panel.view.grab().toImage() != before
    screenshot(window, "review_mode")

    panel.view.setFocus()
    current = panel.review.current()
    assert current is not None and current.text == "Harbor City Council" and current.by == ("ana",)
    assert "not by ben" in panel.review.bar.text()
    type_key(window, Qt.Key.Key_Return)  # accept ana's council into gold
    window.gateway.wait_until_saved()
    council = (current.start, current.end, "ORG")
    assert _layers(sample_store, article_id)["gold"] == {vasquez, council}
    current = panel.review.current()
    assert current is not None and current.text == "Northgate Builders"
    type_key(window, Qt.Key.Key_X)  # ben's builders are not gold
    window.gateway.wait_until_saved()
    assert review.rejected(sample_store, article_id) == {(current.start, current.end, "ORG")}
    assert "no disagreements left" in panel.review.bar.text()

    QTest.keyClick(window, Qt.Key.Key_Z, CTRL)  # undo the rejection: offered again
    window.gateway.wait_until_saved()
    assert review.rejected(sample_store, article_id) == set()
    assert panel.review.current() is not None and panel.review.current().text == "Northgate Builders"

    QTest.keyClick(window, Qt.Key.Key_R, CTRL | SHIFT)  # review mode off: every layer again
    assert not panel.review.active
    assert {s.annotator for s in _listed(panel)} == {"ana", "ben", "gold"}
    with sample_store.begin() as conn:  # the annotators' layers are untouched
        assert conn.execute(text("SELECT count(*) FROM span WHERE annotator IN ('ana', 'ben')")).scalar() == 4


def test_labelling_in_review_mode_labels_the_gold_layer(window, sample_store, qtbot) -> None:  # type: ignore[no-untyped-def]
    article_id, body = _prepare(sample_store)
    window.open_article(article_id)
    QTest.keyClick(window, Qt.Key.Key_R, CTRL | SHIFT)
    panel = window.panes.annotation
    start = body.index("library")
    cursor = panel.view.textCursor()
    cursor.setPosition(panel.view.to_qt(start))
    cursor.setPosition(panel.view.to_qt(start + len("library")), cursor.MoveMode.KeepAnchor)
    panel.view.setTextCursor(cursor)
    panel.apply_label("ORG")
    window.gateway.wait_until_saved()
    assert (start, start + len("library"), "ORG") in _layers(sample_store, article_id)["gold"]
    assert window.gateway.annotator == "gold" and window.gateway.own_name == "ana"


def test_undoing_the_accepted_agreement_is_not_reversed_by_reopening(window, sample_store, qtbot) -> None:  # type: ignore[no-untyped-def]
    article_id, _body = _prepare(sample_store)
    other = library.list_article_ids(sample_store)[0]
    window.open_article(article_id)
    QTest.keyClick(window, Qt.Key.Key_R, CTRL | SHIFT)
    window.gateway.wait_until_saved()
    assert len(_layers(sample_store, article_id)["gold"]) == 1
    QTest.keyClick(window, Qt.Key.Key_Z, CTRL)  # the reviewer keeps the agreed span out of gold
    window.gateway.wait_until_saved()
    assert "gold" not in _layers(sample_store, article_id)
    window.open_article(other)
    window.open_article(article_id)  # back: reviewed before, so nothing is accepted again
    window.gateway.wait_until_saved()
    assert "gold" not in _layers(sample_store, article_id)
    assert window.gateway.undo_stack.canRedo()  # the redo history is kept


def test_a_mark_made_in_review_mode_is_undone_in_the_gold_layer(window, sample_store, qtbot) -> None:  # type: ignore[no-untyped-def]
    article_id, _body = _prepare(sample_store)
    window.open_article(article_id)
    QTest.keyClick(window, Qt.Key.Key_R, CTRL | SHIFT)
    window.gateway.set_status([article_id], "done")  # the review is finished
    window.gateway.wait_until_saved()
    QTest.keyClick(window, Qt.Key.Key_R, CTRL | SHIFT)  # review mode off, then undo the mark
    QTest.keyClick(window, Qt.Key.Key_Z, CTRL)
    window.gateway.wait_until_saved()
    with sample_store.begin() as conn:
        rows = dict(conn.execute(text("SELECT annotator, status FROM article_status WHERE article_id = :a"),
                                 {"a": article_id}).all())
    # Gold is back to what it had (its agreed span had started it); the window's own layer was never touched.
    assert rows == {"ana": "done", "ben": "done", "gold": "in_progress"}
