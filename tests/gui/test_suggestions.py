"""Suggested spans in the window, driven by keys as a person drives them, and what is painted.

A done article labels "Hugo Touvron" PERSON and "Meta" ORG; the sample article
about Meta's Llama team mentions both, so opening it shows them as suggestions:
dashed outlines in the label's colour, no fill.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage, QTextCursor
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import text

from app.core.db.store import Store
from app.core.ingest.storing import store_articles
from app.core.ops import span_edits
from app.core.ops.labels import list_labels, update_label
from app.core.settings import Settings, update_settings
from app.core.suggest import service
from app.core.validation import NewArticle
from app.widgets.article_text_view import ArticleTextView
from app.widgets.main_window import MainWindow
from app.widgets.palette import accent
from app.widgets.shortcuts_dialog import shortcut_rows
from app.widgets.span_list import SpanList

SHIFT, CTRL, ALT = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier
DONE_TEXT = "Hugo Touvron spoke for Meta. Guillaume Lample left Meta for Mistral."
DONE_SPANS = [(0, 12, "PERSON"), (22, 26, "ORG"), (29, 45, "PERSON"), (51, 55, "ORG"), (60, 67, "ORG")]
PERSON_COLOUR, ORG_COLOUR = "#3b82f6", "#f59e0b"  # the dataset's label colours


@pytest.fixture
def labelled_store(sample_store: Store) -> Store:
    """The sample articles (1: Meta's Llama team) and a done article that labels the names it mentions."""
    store_articles(sample_store, [NewArticle(text=DONE_TEXT, title="Touvron speaks", source_kind="paste")])
    done = 4
    for start, end, label in DONE_SPANS:
        span_edits.add_span(sample_store, done, start, end, label, annotator="ana")
    span_edits.set_status(sample_store, [done], "done")
    return sample_store


def press(qtbot, window: QWidget, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window.windowHandle(), key, modifiers)
    QApplication.processEvents()


def open_with_suggestions(qtbot, make_window, store: Store, settings: Settings | None = None) -> MainWindow:
    window = make_window(store, settings or Settings(annotator="ana"))
    window.open_article(1)
    qtbot.waitUntil(lambda: bool(window.panes.annotation.suggestions.layer.suggestions()), timeout=10000)
    return window


def word_rect(view: ArticleTextView, start: int, end: int) -> QRect:
    """Where ``text[start:end]`` (on one line, in view) is drawn, in the viewport; the caret stays where it is."""
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.to_qt(start))
    left = view.cursorRect(cursor)
    cursor.setPosition(view.to_qt(end))
    right = view.cursorRect(cursor)
    assert left.top() == right.top(), "the words wrap"
    rect = QRect(left.left(), left.top(), right.left() - left.left(), left.height())
    assert view.viewport().rect().contains(rect.adjusted(-5, -5, 5, 5))
    return rect


def grab(view: ArticleTextView) -> QImage:
    """The viewport as painted, without the caret (it blinks)."""
    width = view.cursorWidth()
    view.setCursorWidth(0)
    QApplication.processEvents()
    image = view.viewport().grab().toImage()
    view.setCursorWidth(width)
    return image


def near(a: QColor, b: QColor, tolerance: int = 40) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) <= tolerance


def outline_share(image: QImage, rect: QRect, colour: QColor) -> float:
    """The largest share of pixels in ``colour`` along a row near the top or the bottom edge of ``rect``."""
    best = 0.0
    xs = range(rect.left() + 2, rect.right() - 1)
    for y in [*range(rect.top() - 2, rect.top() + 4), *range(rect.bottom() - 3, rect.bottom() + 3)]:
        hits = sum(near(QColor(image.pixel(x, y)), colour) for x in xs)
        best = max(best, hits / len(xs))
    return best


def coloured_pixels(image: QImage, rect: QRect, colour: QColor) -> int:
    """How many pixels around ``rect`` (its edges and a little beyond) are in ``colour``."""
    around = rect.adjusted(-5, -5, 5, 5)
    return sum(near(QColor(image.pixel(x, y)), colour)
               for y in range(around.top(), around.bottom()) for x in range(around.left(), around.right()))


def inside_colour(image: QImage, rect: QRect) -> QColor:
    """The most common colour inside ``rect`` (away from its edges): the background behind the letters."""
    inner = rect.adjusted(3, 5, -3, -5)
    counts = Counter(image.pixel(x, y) for y in range(inner.top(), inner.bottom()) for x in range(inner.left(),
                                                                                                 inner.right()))
    return QColor(counts.most_common(1)[0][0])


def base_colour(view: ArticleTextView) -> QColor:
    return view.palette().color(view.palette().ColorRole.Base)


def go_to(qtbot, window: MainWindow, start: int) -> None:
    """Press Tab until the caret is at the suggestion starting at ``start``."""
    view = window.panes.annotation.view
    for _ in range(40):
        press(qtbot, window, Qt.Key.Key_Tab)
        if view.from_qt(view.textCursor().position()) == start:
            return
    raise AssertionError(f"Tab never reached the suggestion at {start}")


def stored_spans(window: MainWindow, article_id: int) -> list[tuple[int, int, str, str]]:
    window.gateway.wait_until_saved()
    with window.store.begin() as conn:
        rows = conn.execute(text('SELECT span.start, span."end", label.name, span.origin FROM span '
                                 "JOIN label ON label.id = span.label_id WHERE article_id = :a ORDER BY span.start"),
                            {"a": article_id}).all()
    return [tuple(row) for row in rows]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_suggestion_is_a_dashed_outline_in_its_label_colour_without_fill(
        qtbot, make_window, labelled_store, dark_palette, theme) -> None:
    if theme == "dark":
        dark_palette()
    window = open_with_suggestions(qtbot, make_window, labelled_store)
    view = window.panes.annotation.view
    hugo = view.text().index("Hugo Touvron")
    rect = word_rect(view, hugo, hugo + len("Hugo Touvron"))
    image = grab(view)

    colour = accent(QColor(PERSON_COLOUR), view.palette())
    assert outline_share(image, rect, colour) > 0.3  # a line along the words, in PERSON's colour
    assert outline_share(image, rect, colour) < 0.9  # with gaps: dashed, not a span's solid outline
    assert inside_colour(image, rect) == base_colour(view)  # no fill: the text's own background
    assert not window.panes.annotation.article().spans  # nothing of it is a span
    assert stored_spans(window, 1) == []

    # Tab makes it the current one: its line grows stronger.
    quiet = coloured_pixels(image, rect, colour)
    go_to(qtbot, window, hugo)
    assert coloured_pixels(grab(view), word_rect(view, hugo, hugo + len("Hugo Touvron")), colour) > 2.5 * quiet


def test_tab_then_enter_accepts_a_suggestion_as_a_span_and_undo_takes_it_back(
        qtbot, make_window, labelled_store) -> None:
    window = open_with_suggestions(qtbot, make_window, labelled_store)
    panel, view = window.panes.annotation, window.panes.annotation.view
    hugo = view.text().index("Hugo Touvron")
    end = hugo + len("Hugo Touvron")

    go_to(qtbot, window, hugo)
    press(qtbot, window, Qt.Key.Key_Return)
    assert stored_spans(window, 1) == [(hugo, end, "PERSON", "suggested")]
    assert [(s.text, s.origin) for s in panel.article().spans] == [("Hugo Touvron", "suggested")]
    rect = word_rect(view, hugo, end)
    assert inside_colour(grab(view), rect) != base_colour(view)  # painted as a span: tinted
    assert all(s.label != "PERSON" or s.start != hugo for s in panel.suggestions.layer.suggestions())

    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert stored_spans(window, 1) == []
    assert not panel.article().spans
    assert inside_colour(grab(view), rect) == base_colour(view)
    assert (hugo, end, "PERSON") in {s.key for s in panel.suggestions.layer.suggestions()}  # offered again


def test_shift_enter_accepts_every_suggestion_in_one_undo_step(qtbot, make_window, labelled_store) -> None:
    window = open_with_suggestions(qtbot, make_window, labelled_store)
    panel = window.panes.annotation
    offered = [s.key for s in panel.suggestions.layer.suggestions()]
    assert len(offered) > 5 and {label for *_, label in offered} == {"PERSON", "ORG"}

    press(qtbot, window, Qt.Key.Key_Return, SHIFT)
    assert stored_spans(window, 1) == [(*key, "suggested") for key in sorted(offered)]
    assert panel.suggestions.layer.suggestions() == []
    assert len(panel.article().spans) == len(offered)

    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert stored_spans(window, 1) == []
    assert [s.key for s in panel.suggestions.layer.suggestions()] == offered


def test_x_rejects_a_suggestion_for_good_and_undo_takes_the_rejection_back(
        qtbot, make_window, labelled_store) -> None:
    window = open_with_suggestions(qtbot, make_window, labelled_store)
    panel, view = window.panes.annotation, window.panes.annotation.view
    mistral = view.text().index("Mistral")
    key = (mistral, mistral + len("Mistral"), "ORG")
    rect = word_rect(view, *key[:2])
    colour = accent(QColor(ORG_COLOUR), view.palette())
    assert outline_share(grab(view), rect, colour) > 0.3

    def offered() -> set[tuple[int, int, str]]:
        return {s.key for s in panel.suggestions.layer.suggestions()}

    go_to(qtbot, window, mistral)
    press(qtbot, window, Qt.Key.Key_X)
    assert key not in offered()
    assert outline_share(grab(view), word_rect(view, *key[:2]), colour) < 0.05
    window.gateway.wait_until_saved()
    assert service.article_rejections(window.store, 1) == {key}
    assert stored_spans(window, 1) == []  # a rejection is no span

    press(qtbot, window, Qt.Key.Key_Right, ALT)  # the next article, and back
    assert panel.current_article_id != 1
    press(qtbot, window, Qt.Key.Key_Left, ALT)
    assert panel.current_article_id == 1
    qtbot.waitUntil(lambda: len(offered()) > 5, timeout=5000)
    assert key not in offered()

    press(qtbot, window, Qt.Key.Key_Z, CTRL)  # the rejection, made before the article was opened again
    qtbot.waitUntil(lambda: key in offered(), timeout=5000)
    assert service.article_rejections(window.store, 1) == set()


def test_a_label_bound_to_x_keeps_its_key(qtbot, make_window, labelled_store) -> None:
    window = open_with_suggestions(qtbot, make_window, labelled_store)
    panel, view = window.panes.annotation, window.panes.annotation.view
    person = next(lb for lb in list_labels(window.store) if lb.name == "PERSON")
    window.gateway.run(lambda store: update_label(store, person.id, shortcut="X"))
    offered = [s.key for s in panel.suggestions.layer.suggestions()]
    words = view.text().index("research engineer")  # no name: suggested by nothing
    view.select_range(words, words + len("research engineer"))

    press(qtbot, window, Qt.Key.Key_X)
    assert [(s.text, s.label, s.origin) for s in panel.article().spans] == [("research engineer", "PERSON", "manual")]
    assert service.article_rejections(window.store, 1) == set()
    assert [s.key for s in panel.suggestions.layer.suggestions()] == offered
    # Neither the hint nor Help ▸ Keyboard Shortcuts offers X for rejecting any more.
    assert "X rejects" not in panel.key_hint.plain_text() and "Enter accepts" in panel.key_hint.plain_text()
    rows = shortcut_rows(window)
    assert ("X", "Label selection PERSON") in rows and not any(
        keys == "X" and what.startswith("Reject") for keys, what in rows)


def test_tab_cycles_and_shift_tab_goes_back(qtbot, make_window, labelled_store) -> None:
    window = open_with_suggestions(qtbot, make_window, labelled_store)
    panel, view = window.panes.annotation, window.panes.annotation.view
    starts = [s.start for s in panel.suggestions.layer.suggestions()]

    def caret() -> int:
        return view.from_qt(view.textCursor().position())

    seen = []
    for _ in starts:
        press(qtbot, window, Qt.Key.Key_Tab)
        seen.append(caret())
    assert seen == starts
    press(qtbot, window, Qt.Key.Key_Tab)
    assert caret() == starts[0]  # round again
    press(qtbot, window, Qt.Key.Key_Tab, SHIFT)
    assert caret() == starts[-1]
    assert panel.suggestions.current().start == starts[-1]
    assert view.hasFocus()  # Tab moved between suggestions, not the focus

    panel.span_list.setFocus()  # in the span list Tab moves the focus on, as everywhere else
    QApplication.processEvents()
    press(qtbot, window, Qt.Key.Key_Tab)
    assert not panel.span_list.hasFocus()
    assert caret() == starts[-1]


def test_view_menu_hides_the_suggestions(qtbot, make_window, labelled_store) -> None:
    window = open_with_suggestions(qtbot, make_window, labelled_store)
    panel, view = window.panes.annotation, window.panes.annotation.view
    hugo = view.text().index("Hugo Touvron")
    rect = word_rect(view, hugo, hugo + len("Hugo Touvron"))
    colour = accent(QColor(PERSON_COLOUR), view.palette())
    toggle = panel.suggestions.show_action
    assert toggle in window.menuBar().actions()[2].menu().actions()  # View
    assert "Enter accepts" in panel.key_hint.plain_text()
    rows = shortcut_rows(window)  # Help ▸ Keyboard Shortcuts
    assert {keys for keys, _what in rows} >= {"Tab / Shift+Tab", "Enter", "X", "Shift+Enter"}

    toggle.trigger()
    assert not window.settings.show_suggestions
    assert "Enter accepts" not in panel.key_hint.plain_text()
    assert outline_share(grab(view), rect, colour) < 0.05
    press(qtbot, window, Qt.Key.Key_Return)
    assert stored_spans(window, 1) == []  # Enter accepts nothing it does not show
    toggle.trigger()
    assert outline_share(grab(view), rect, colour) > 0.3


def hold_training(monkeypatch) -> threading.Event:
    """Training waits (reading the dataset) until the test sets the event it returns."""
    trained = threading.Event()
    documents = service.training_documents

    def slow_documents(store):
        trained.wait(10)
        return documents(store)

    monkeypatch.setattr(service, "training_documents", slow_documents)
    return trained


def test_nothing_is_shown_until_the_suggester_is_trained(qtbot, make_window, labelled_store, monkeypatch) -> None:
    trained = hold_training(monkeypatch)
    window = make_window(labelled_store, Settings(annotator="ana"))
    window.open_article(1)
    panel = window.panes.annotation
    qtbot.wait(200)
    assert panel.suggestions.layer.suggestions() == []
    text_top = panel.view.mapTo(window, panel.view.rect().topLeft())
    press(qtbot, window, Qt.Key.Key_Return)
    assert stored_spans(window, 1) == []

    trained.set()
    qtbot.waitUntil(lambda: bool(panel.suggestions.layer.suggestions()), timeout=10000)
    assert panel.view.mapTo(window, panel.view.rect().topLeft()) == text_top  # the text did not move


def test_until_training_ends_the_stored_layer_is_shown(qtbot, make_window, labelled_store, monkeypatch) -> None:
    """What ``article-curator suggest`` stored is offered while the suggester is still training."""
    body = labelled_store_text(labelled_store, 1)
    start = body.index("Llama")
    service.store_suggestions(labelled_store, {1: [{"start": start, "end": start + 5, "label": "ORG", "score": 0.9}]})
    trained = hold_training(monkeypatch)
    window = make_window(labelled_store, Settings(annotator="ana"))
    window.open_article(1)
    panel = window.panes.annotation
    qtbot.waitUntil(lambda: bool(panel.suggestions.layer.suggestions()), timeout=10000)
    assert [(s.start, s.end, s.label) for s in panel.suggestions.layer.suggestions()] == [
        (start, start + 5, "ORG")]

    trained.set()  # the trained suggester replaces the stored layer: it knows the done article's names
    qtbot.waitUntil(lambda: any(s.label == "PERSON" for s in panel.suggestions.layer.suggestions()),
                    timeout=10000)


def labelled_store_text(store: Store, article_id: int) -> str:
    with store.begin() as conn:
        return conn.execute(text("SELECT text FROM article WHERE id = :a"), {"a": article_id}).scalar_one()


def test_marking_an_article_done_teaches_the_next_one(qtbot, make_window, sample_store, monkeypatch) -> None:
    import app.widgets.suggestions as suggestions

    monkeypatch.setattr(suggestions, "RETRAIN_DELAY_MS", 50)
    store_articles(sample_store, [NewArticle(text="Priya Raman visited Harbor City.", title="Visit",
                                             source_kind="paste")])
    window = make_window(sample_store, Settings(annotator="ana"))
    panel, view = window.panes.annotation, window.panes.annotation.view
    window.open_article(3)  # "Solvane Robotics named Priya Raman chief executive …"
    priya = view.text().index("Priya Raman")
    view.select_range(priya, priya + len("Priya Raman"))
    press(qtbot, window, Qt.Key.Key_1)  # PERSON
    press(qtbot, window, Qt.Key.Key_Return, CTRL)  # done, and the next article
    window.open_article(4)
    qtbot.waitUntil(lambda: (0, 11, "PERSON") in {s.key for s in panel.suggestions.layer.suggestions()},
                    timeout=10000)


def test_the_suggestion_source_in_the_settings_joins_the_suggester(qtbot, make_window, labelled_store,
                                                                   monkeypatch) -> None:
    window = open_with_suggestions(qtbot, make_window, labelled_store)
    panel, view = window.panes.annotation, window.panes.annotation.view
    words = view.text().index("talent drain")  # no name: suggested by nothing but this pipeline
    key = (words, words + len("talent drain"), "ORG")
    joined = service.with_source

    def with_source(store, suggester, settings):  # a pipeline with its own ideas
        if settings.suggestion_source != "spacy:test":
            return joined(store, suggester, settings)
        extra = {"start": key[0], "end": key[1], "label": key[2], "score": 0.9}
        return lambda text: sorted([*suggester(text), extra], key=lambda s: s["start"])

    monkeypatch.setattr(service, "with_source", with_source)
    assert key not in {s.key for s in panel.suggestions.layer.suggestions()}
    window.gateway.publish(update_settings(window.settings, suggestion_source="spacy:test"))
    qtbot.waitUntil(lambda: key in {s.key for s in panel.suggestions.layer.suggestions()}, timeout=10000)


def test_an_answer_for_an_article_no_longer_open_is_dropped(qtbot, make_window, labelled_store, monkeypatch) -> None:
    window = open_with_suggestions(qtbot, make_window, labelled_store)
    panel = window.panes.annotation
    answer = service.suggestions_for
    for_the_second = {(s["start"], s["end"], s["label"])
                      for s in answer(window.store, panel.suggestions._suggester, 3)}

    def slow_for_the_first(store, suggester, article_id):  # the answer about article 1 comes last
        if article_id == 1:
            time.sleep(0.3)
        return answer(store, suggester, article_id)

    monkeypatch.setattr(service, "suggestions_for", slow_for_the_first)
    window.open_article(1)
    window.open_article(3)  # "Solvane Robotics named Priya Raman …": no Meta, no Hugo Touvron
    qtbot.wait(600)
    assert {s.key for s in panel.suggestions.layer.suggestions()} == for_the_second


def test_screenshots_before_and_after_accepting(qtbot, make_window, labelled_store, dark_palette,
                                                screenshot) -> None:
    """Pictures for people to look at (tests/screenshots/): suggestions, then two of them accepted."""
    window = open_with_suggestions(qtbot, make_window, labelled_store)
    panel, view = window.panes.annotation, window.panes.annotation.view
    view.setCursorWidth(0)
    screenshot(panel, "suggest_before")
    go_to(qtbot, window, view.text().index("Hugo Touvron"))
    press(qtbot, window, Qt.Key.Key_Return)
    go_to(qtbot, window, view.text().index("Meta", view.text().index("Hugo Touvron")))
    press(qtbot, window, Qt.Key.Key_Return)
    qtbot.wait(SpanList.REFRESH_DELAY_MS + 100)  # the span list catches up
    screenshot(panel, "suggest_after")
    dark_palette()
    QApplication.processEvents()
    screenshot(panel, "suggest_after_dark")
    assert len(panel.article().spans) == 2
