"""Labelling in the window while another process holds the dataset's write lock (a command-line import, say).

The other process is real: a second Python holds ``BEGIN IMMEDIATE`` on the
dataset file. Keys go to the top-level window, as a person's do.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette, QTextCursor
from PySide6.QtTest import QTest

from app.core.db.store import open_store
from app.core.ingest.storing import store_articles
from app.core.ops import library
from app.core.validation import NewArticle
from tests.app_process import ROOT
from tests.lock_holder import write_lock_held_by_another_process
from tests.unit.test_concurrent_open import empty_database

pytestmark = pytest.mark.slow  # every test starts another process that holds the write lock, or PostgreSQL

# Far below the 5 s a save used to wait for the lock on the GUI thread, far above a key press's
# real cost (a few ms), so a busy machine does not make it fail.
KEY_PRESS_LIMIT_S = 1.0


def open_sample(window):
    article_id = next(r.id for r in library.list_articles(window.store) if r.title.startswith("High turnover"))
    window.open_article(article_id)
    panel = window.panes.annotation
    panel.view.setFocus()
    return panel


def press(window, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> float:
    """Press a key on the top-level window; the seconds the event loop was busy with it."""
    started = time.perf_counter()
    QTest.keyClick(window.windowHandle(), key, modifier)
    return time.perf_counter() - started


def label_with_key(window, panel, words: str, key: Qt.Key) -> float:
    start = panel.article().text.index(words)
    panel.view.select_range(start, start + len(words))
    return press(window, key)


def painted(panel, words: str) -> bool:
    """Whether the text view shows ``words`` tinted (a span's background), in its document and on screen."""
    view = panel.view
    start = panel.article().text.index(words)
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.to_qt(start) + 1)
    base = view.palette().color(QPalette.ColorRole.Base)
    formatted = cursor.charFormat().background().color()
    rect = view.cursorRect(cursor)
    pixel = view.viewport().grab().toImage().pixelColor(rect.center().x() + 1, rect.top() + 2)
    return formatted.isValid() and formatted != base and pixel != base


def stored_spans(window, article_id: int) -> set[tuple[str, str]]:
    return {(s.label, s.text) for s in library.get_article(window.store, article_id).spans}


def test_a_label_key_shows_the_span_at_once_and_stores_it_when_the_lock_is_free(make_window, sample_store, qtbot):
    window = make_window(sample_store)
    panel = open_sample(window)
    article_id = panel.current_article_id
    with write_lock_held_by_another_process(sample_store.path) as other:
        busy = label_with_key(window, panel, "Hugo Touvron", Qt.Key.Key_1)
        assert busy < KEY_PRESS_LIMIT_S
        assert painted(panel, "Hugo Touvron")
        assert panel.span_list.span_model.count("PERSON") == 1
        assert window.gateway.undo_stack.undoText() == "Add PERSON span"
        assert stored_spans(window, article_id) == set()  # the other process still holds the lock
        busy = label_with_key(window, panel, "Mistral", Qt.Key.Key_2)  # a second edit queues behind the first
        assert busy < KEY_PRESS_LIMIT_S and painted(panel, "Mistral")
        other.release()
        qtbot.waitUntil(lambda: stored_spans(window, article_id) == {("PERSON", "Hugo Touvron"), ("ORG", "Mistral")},
                        timeout=5000)
    qtbot.waitUntil(lambda: not window.gateway.unsaved_article_ids())
    assert not panel.banner.isVisible()
    assert [s.id for s in panel.article().spans] == [s.id for s in library.get_article(window.store, article_id).spans]


def test_a_save_that_fails_for_good_is_taken_back_and_explained(make_window, sample_store, qtbot, screenshot):
    window = make_window(sample_store)
    panel = open_sample(window)
    article_id = panel.current_article_id
    label_with_key(window, panel, "Mistral", Qt.Key.Key_2)
    qtbot.waitUntil(lambda: ("ORG", "Mistral") in stored_spans(window, article_id))
    window.gateway.writer.lock_timeout_s = 0.3  # instead of waiting 5 s for the other process
    with write_lock_held_by_another_process(sample_store.path):
        assert label_with_key(window, panel, "Hugo Touvron", Qt.Key.Key_1) < KEY_PRESS_LIMIT_S
        assert painted(panel, "Hugo Touvron")
        qtbot.waitUntil(lambda: panel.banner.isVisible() and panel.banner.kind == "error", timeout=5000)
        assert not painted(panel, "Hugo Touvron")
        assert panel.span_list.span_model.count("PERSON") == 0
        screenshot(window, "two_writers_save_failed")
    message = panel.banner.message.text()
    assert message == ("The edit was not saved: the dataset is locked by another program. "
                       "Try again once that is resolved.")
    assert stored_spans(window, article_id) == {("ORG", "Mistral")}
    # The failed edit is not in the history: undo takes back the one before it.
    stack = window.gateway.undo_stack
    assert stack.count() == 1 and stack.undoText() == "Add ORG span"
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not painted(panel, "Mistral")
    qtbot.waitUntil(lambda: stored_spans(window, article_id) == set(), timeout=5000)
    # And labelling goes on once the lock is free.
    label_with_key(window, panel, "Hugo Touvron", Qt.Key.Key_1)
    qtbot.waitUntil(lambda: stored_spans(window, article_id) == {("PERSON", "Hugo Touvron")}, timeout=5000)
    assert painted(panel, "Hugo Touvron")


def test_an_undo_that_cannot_be_stored_leaves_the_edit_done(make_window, sample_store, qtbot):
    window = make_window(sample_store)
    panel = open_sample(window)
    article_id = panel.current_article_id
    label_with_key(window, panel, "Mistral", Qt.Key.Key_2)
    label_with_key(window, panel, "Hugo Touvron", Qt.Key.Key_1)
    qtbot.waitUntil(lambda: len(stored_spans(window, article_id)) == 2)
    window.gateway.writer.lock_timeout_s = 0.3
    stack = window.gateway.undo_stack
    with write_lock_held_by_another_process(sample_store.path):
        assert press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier) < KEY_PRESS_LIMIT_S
        assert not painted(panel, "Hugo Touvron")  # undone on screen at once
        assert stack.undoText() == "Add ORG span"
        qtbot.waitUntil(lambda: panel.banner.kind == "error", timeout=5000)
    assert panel.banner.message.text() == ("Could not undo: the dataset is locked by another program, so the edit "
                                           "is still stored. Try again once that is resolved.")
    assert painted(panel, "Hugo Touvron")  # still stored, so shown again, and still done in the history
    assert stack.count() == 2 and stack.index() == 2 and stack.undoText() == "Add PERSON span"
    assert stored_spans(window, article_id) == {("PERSON", "Hugo Touvron"), ("ORG", "Mistral")}
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the lock is free again
    qtbot.waitUntil(lambda: stored_spans(window, article_id) == {("ORG", "Mistral")}, timeout=5000)


def test_closing_the_window_stores_the_edits_still_queued(make_window, sample_store, qtbot):
    window = make_window(sample_store)
    panel = open_sample(window)
    article_id = panel.current_article_id
    with write_lock_held_by_another_process(sample_store.path) as other:
        label_with_key(window, panel, "Hugo Touvron", Qt.Key.Key_1)
        assert stored_spans(window, article_id) == set()
        qtbot.wait(50)
        other.release()
        window.close()  # waits for the queue
    assert stored_spans(window, article_id) == {("PERSON", "Hugo Touvron")}


def test_labelling_while_another_process_imports_into_postgresql(make_window, pg_url, tmp_path, sample_text,
                                                                 qtbot):
    location = empty_database(pg_url, "labelling")
    store = open_store(location)
    title, _, body = sample_text.partition("\n")
    [sample] = store_articles(store, [NewArticle(text=body.strip(), title=title.strip(), source_kind="paste")])
    window = make_window(store)
    window.open_article(sample.article_id)
    panel = window.panes.annotation
    panel.view.setFocus()
    feed = tmp_path / "many.jsonl"
    feed.write_text("".join(f'{{"title": "Story {n}", "text": "Story {n}: the council met on day {n} and '
                            f'approved the library, the mayor said."}}\n' for n in range(1500)), encoding="utf-8")
    importer = subprocess.Popen([sys.executable, "-m", "app", "import", str(feed), "--db", location],
                                env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    made = during_import = 0
    for word in re.finditer(r"[A-Za-z]{4,}", panel.article().text):
        importing = importer.poll() is None
        if not importing and during_import >= 10:
            break
        panel.view.select_range(*word.span())
        assert press(window, Qt.Key.Key_1 if made % 2 else Qt.Key.Key_2) < KEY_PRESS_LIMIT_S
        made += 1
        during_import += importing
        qtbot.wait(5)
    _, errors = importer.communicate(timeout=180)
    assert importer.returncode == 0, errors[-2000:]
    assert during_import >= 10
    qtbot.waitUntil(lambda: not window.gateway.unsaved_article_ids(), timeout=10000)
    assert not panel.banner.isVisible()
    assert len(library.get_article(store, sample.article_id).spans) == made == len(panel.article().spans)
    assert library.count_articles(store) == 1501


def test_a_delete_that_fails_leaves_the_span_editable_by_the_history(make_window, sample_store, qtbot):
    """A failed delete is rolled back; the span it names is still found by the commands of the history."""
    window = make_window(sample_store)
    panel = open_sample(window)
    article_id = panel.current_article_id
    label_with_key(window, panel, "Mistral", Qt.Key.Key_2)
    qtbot.waitUntil(lambda: stored_spans(window, article_id) == {("ORG", "Mistral")})
    (span,) = panel.article().spans
    window.gateway.writer.lock_timeout_s = 0.3
    with write_lock_held_by_another_process(sample_store.path):
        panel.select_span(span.id)
        press(window, Qt.Key.Key_Delete)
        assert not painted(panel, "Mistral")
        qtbot.waitUntil(lambda: panel.banner.kind == "error", timeout=5000)
    assert painted(panel, "Mistral")  # taken back: the dataset still holds it
    panel.select_span(span.id)
    press(window, Qt.Key.Key_Delete)  # deleted for real this time
    qtbot.waitUntil(lambda: stored_spans(window, article_id) == set(), timeout=5000)
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the delete undone: stored again
    qtbot.waitUntil(lambda: stored_spans(window, article_id) == {("ORG", "Mistral")}, timeout=5000)
    press(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # and the first Add undone
    qtbot.waitUntil(lambda: stored_spans(window, article_id) == set(), timeout=5000)
    assert panel.banner.kind != "error" or not panel.banner.isVisible(), panel.banner.message.text()
    assert not painted(panel, "Mistral")


def test_closing_with_an_edit_that_cannot_be_stored_asks_first(make_window, sample_store, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    asked: list[str] = []
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Close]

    def warning(_parent, title, text, *_args):
        asked.append(f"{title}: {text}")
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "warning", warning)
    window = make_window(sample_store)
    panel = open_sample(window)
    article_id = panel.current_article_id
    window.gateway.writer.lock_timeout_s = 0.3
    with write_lock_held_by_another_process(sample_store.path):
        label_with_key(window, panel, "Hugo Touvron", Qt.Key.Key_1)
        window.close()  # the write fails while closing: the window asks, and Cancel keeps it open
        assert len(asked) == 1 and "could not be saved" in asked[0] and "locked by another program" in asked[0]
        assert window.isVisible()
    label_with_key(window, panel, "Hugo Touvron", Qt.Key.Key_1)  # once the lock is free, label again
    window.close()
    assert not window.isVisible() and len(asked) == 1  # stored: nothing to ask
    assert stored_spans(window, article_id) == {("PERSON", "Hugo Touvron")}



def test_two_windows_on_one_postgresql_database_label_without_clashing(pg_url, sample_text, qtbot):
    """Each window's new spans get ids from the server's sequence, so two annotators never pick the same one."""
    from app.widgets.edits import EditGateway

    location = empty_database(pg_url, "two_windows")
    stores = [open_store(location), open_store(location)]
    title, _, body = sample_text.partition("\n")
    [sample] = store_articles(stores[0], [NewArticle(text=body.strip(), title=title.strip(), source_kind="paste")])
    text = body.strip()
    gateways = [EditGateway(store, annotator=name) for store, name in zip(stores, ("ana", "ben"), strict=True)]
    try:
        failures: list[str] = []
        for gateway in gateways:
            gateway.edit_failed.connect(failures.append)
        for gateway, words in zip(gateways, ("Hugo Touvron", "Xavier Martinet"), strict=True):
            start = text.index(words)
            assert gateway.add_span(sample.article_id, start, start + len(words), "PERSON") is not None
            gateway.wait_until_saved()  # stored before the other window picks its next id
        gateways[0].add_spans(sample.article_id, [(m.start(), m.end()) for m in re.finditer("Meta", text)], "ORG",
                              "Label all “Meta” as ORG")
        for gateway in gateways:
            gateway.wait_until_saved()
        assert failures == []
        spans = library.get_article(stores[0], sample.article_id).spans
        # On a server the login names the writer, whatever name a window was given: both are the test's login.
        assert {(s.annotator, s.text) for s in spans if s.label == "PERSON"} == {
            ("postgres", "Hugo Touvron"), ("postgres", "Xavier Martinet")}
        assert sum(s.label == "ORG" for s in spans) == text.count("Meta")
    finally:
        for gateway, store in zip(gateways, stores, strict=True):
            gateway.close()
            store.close()
