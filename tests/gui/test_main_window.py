"""The whole app as an annotator uses it, keyboard first: import, label, claim, undo, done, export."""

from __future__ import annotations

import orjson
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.core.db.store import open_store
from app.core.ops import library
from app.core.paths import config_dir


def occurrence(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return start, start + len(needle)


def saved_article(window, article_id):
    """The article as the dataset holds it, once the window's queued edits are stored."""
    assert window.gateway.wait_until_saved(10)
    return library.get_article(window.store, article_id)


def test_import_label_claim_undo_done_export(make_window, qtbot, http_server, tmp_path, screenshot, monkeypatch):
    window = make_window()
    pane = window.panes.import_pane
    with qtbot.waitSignal(pane.import_finished, timeout=60000) as finished:
        assert pane.start_import([http_server.url("/article.html"), http_server.url("/news/1.html")])
    assert finished.args[0].imported == 2
    qtbot.waitUntil(lambda: window.panes.library.table.model().rowCount() == 2)
    screenshot(window, "main_window_library")

    # Open the sample article from the library with the keyboard.
    article_id = next(r.id for r in library.list_articles(window.store) if r.title.startswith("High turnover"))
    window.open_article(article_id)
    panel = window.panes.annotation
    assert panel.current_article_id == article_id
    text = panel.article().text
    view = panel.view
    view.setFocus()

    # A name, selected a little short, snaps to the whole words and becomes PERSON with key 1.
    start, end = occurrence(text, "Hugo Touvron")
    view.select_range(start + 2, end - 3)
    qtbot.keyClick(view, Qt.Key.Key_1)
    # ORG with key 2.
    org = occurrence(text, "Mistral")
    view.select_range(*org)
    qtbot.keyClick(view, Qt.Key.Key_2)
    # A claim sentence containing both, with key 3.
    sentence_start = text.index("Nowhere is this talent drain")
    sentence_end = text.index(".", sentence_start)  # snapping trims the final period anyway
    view.select_range(sentence_start, sentence_end + 1)
    qtbot.keyClick(view, Qt.Key.Key_3)

    spans = {(s.label, s.text) for s in saved_article(window, article_id).spans}
    assert ("PERSON", "Hugo Touvron") in spans
    assert ("ORG", "Mistral") in spans
    assert ("CLAIM", text[sentence_start:sentence_end]) in spans

    # Claimant and verdict for the selected claim.
    claim = next(s for s in saved_article(window, article_id).spans if s.label == "CLAIM")
    panel.select_span(claim.id)
    details = panel.claim_details
    details.claimant.setText("Hugo Touvron")
    details.claimant.editingFinished.emit()
    details.verdict.setCurrentText("misleading")
    details.verdict.activated.emit(details.verdict.currentIndex())
    claim = next(s for s in saved_article(window, article_id).spans if s.label == "CLAIM")
    assert claim.attributes["claimant"] == "Hugo Touvron"
    assert claim.attributes["verdict"] == "misleading"
    panel.span_list.flush()  # the list catches up after a pause in typing; draw it now
    screenshot(window, "main_window_annotate")

    # Undo the verdict and the claimant through the Edit menu's actions, then redo them.
    undo, redo = window.actions_by_id["undo"], window.actions_by_id["redo"]
    assert undo.text().startswith("&Undo Edit claim details") or "claim" in undo.text().lower()
    undo.trigger()
    undo.trigger()
    claim_now = next(s for s in saved_article(window, article_id).spans if s.label == "CLAIM")
    assert claim_now.attributes.get("claimant", "") == ""
    assert claim_now.attributes.get("verdict", "unverified") == "unverified"
    redo.trigger()
    redo.trigger()
    claim_now = next(s for s in saved_article(window, article_id).spans if s.label == "CLAIM")
    assert claim_now.attributes["verdict"] == "misleading"

    # Done and next with Ctrl+Return: the article is stored as done and another one opens.
    window.actions_by_id["done_next"].trigger()
    assert saved_article(window, article_id).status == "done"
    assert panel.current_article_id not in (None, article_id)

    # Export what is done, through the dialog.
    from app.widgets.export_dialog import ExportDialog

    dialog = ExportDialog(window.store, window.settings, window)
    qtbot.addWidget(dialog)
    out = tmp_path / "done.jsonl"
    dialog.path_edit.setText(str(out))
    for status, check in dialog.status_checks.items():
        check.setChecked(status == "done")
    with qtbot.waitSignal(dialog.export_finished, timeout=30000):
        assert dialog.export()
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert len(lines) == 1
    line = lines[0]
    assert {(s["label"], s["text"]) for s in line["spans"]} >= {("PERSON", "Hugo Touvron"), ("ORG", "Mistral")}
    for span in line["spans"]:
        assert line["text"][span["start"]:span["end"]] == span["text"]
    claim_line = next(s for s in line["spans"] if s["label"] == "CLAIM")
    assert claim_line["attributes"]["claimant"] == "Hugo Touvron"
    assert claim_line["annotator"] == "ana"
    dialog.close()


def test_window_state_and_last_article_are_restored(make_window, sample_store, qtbot):
    window = make_window(sample_store)
    target = library.list_articles(sample_store)[-1].id
    window.open_article(target)
    window.panes.import_dock.hide()
    window.save_state()
    window.close()
    # Kept in the app's own config folder, which ARTICLE_CURATOR_HOME moves (a test never
    # touches the real profile, a portable install carries its window layout along).
    assert (config_dir() / "window-state.ini").stat().st_size > 0
    again = make_window(open_store(sample_store.location))
    assert again.panes.annotation.current_article_id == target
    assert not again.panes.import_dock.isVisible()


def test_shortcuts_overview_lists_label_keys_and_done(make_window, sample_store, qtbot):
    from app.widgets.shortcuts_dialog import shortcut_rows

    window = make_window(sample_store)
    rows = dict((what, keys) for keys, what in shortcut_rows(window))
    assert rows["Label selection PERSON"] == "1"
    assert rows["Label selection CLAIM"] == "3"
    assert "Return" in rows["Mark Done and Next"] or "Enter" in rows["Mark Done and Next"]


def test_dropping_files_and_urls_starts_an_import(make_window, qtbot, tmp_path, sample_text):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    from app.widgets.main_window import dropped_sources

    story = tmp_path / "story.txt"
    story.write_text(sample_text, encoding="utf-8")
    assert dropped_sources([QUrl.fromLocalFile(str(story)), QUrl("https://example.org/a")], "") == [
        str(story), "https://example.org/a"]
    assert dropped_sources([], "see https://example.org/x\nhttps://example.org/y\n") == ["https://example.org/y"]

    window = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(story))])
    event = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.panes.import_pane.import_finished, timeout=30000) as finished:
        window.dropEvent(event)
    assert finished.args[0].imported == 1
    assert library.count_articles(window.store) == 1


def test_failed_save_is_shown_to_the_user(make_window, sample_store, qtbot):
    """A dataset locked for longer than a save waits: the edit is taken back visibly and nothing is shown as stored."""
    import sqlite3

    window = make_window(sample_store)
    article_id = library.list_articles(sample_store)[0].id
    window.open_article(article_id)
    window.gateway.writer.lock_timeout_s = 0.1
    blocker = sqlite3.connect(str(sample_store.path), timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        panel = window.panes.annotation
        panel.view.select_range(0, 6)
        panel.view.setFocus()
        qtbot.keyClick(panel.view, Qt.Key.Key_1)
        qtbot.waitUntil(panel.banner.isVisible, timeout=5000)
    finally:
        blocker.rollback()
        blocker.close()
    assert "locked" in panel.banner.message.text()
    assert panel.article().spans == []
    assert library.get_article(sample_store, article_id).spans == []
    assert window.gateway.undo_stack.count() == 0


def test_switching_datasets_keeps_the_app_running(qapp, tmp_path, monkeypatch):
    """File ▸ Open Dataset replaces the window; the app does not quit in between."""
    import gc

    from app.widgets import app as app_module
    from app.widgets.main_window import MainWindow

    seen = {}

    def visible_windows():
        return [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]

    def fake_exec(self=None):
        [first] = visible_windows()
        seen["first"] = first.store.location
        quits = []
        qapp.aboutToQuit.connect(lambda: quits.append(1))
        first.switch_dataset(str(tmp_path / "second.sqlite"))
        QApplication.processEvents()
        windows = visible_windows()
        seen["after"] = [w.store.location for w in windows]
        seen["quit_on_last"] = qapp.quitOnLastWindowClosed()
        for window in windows:
            window.close()
            window.store.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    try:
        assert app_module.run_gui(str(tmp_path / "first.sqlite")) == 0
    finally:
        gc.unfreeze()
    assert seen["first"].endswith("first.sqlite")
    assert len(seen["after"]) == 1 and seen["after"][0].endswith("second.sqlite")
    assert seen["quit_on_last"] is True
    from app.core.settings import load_settings

    recent = load_settings().recent_datasets
    assert recent[0].endswith("second.sqlite") and recent[1].endswith("first.sqlite")
