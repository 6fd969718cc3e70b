"""First run: the welcome view of an empty dataset, the sample dataset, the label keys hint (real widgets and files)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from app.core.db.store import open_store
from app.core.ingest.sample_dataset import create_sample_dataset, default_sample_path
from app.core.ops import library
from app.core.ops.labels import list_labels, update_label
from app.core.settings import Settings, load_settings, save_settings

SAMPLE_ARTICLES = 6



def welcome_shown(window) -> bool:
    return window.panes.library_page.shows_welcome and window.panes.welcome.isVisible()


# -- the welcome view ------------------------------------------------------------------------------


def test_an_empty_dataset_shows_the_welcome_view_until_an_import(make_window, qtbot, tmp_path, monkeypatch,
                                                                  sample_text, screenshot):
    window = make_window()
    welcome = window.panes.welcome
    assert welcome_shown(window)
    assert not window.panes.library.table.isVisible()
    assert welcome.heading.text() == "Welcome to Article Curator"
    assert [b.text() for b in welcome.buttons] == ["Import URLs…", "Import Files…", "Open the Sample Dataset"]
    assert all(not b.icon().isNull() for b in welcome.buttons)
    assert "drop" in welcome.drop_hint.text()
    # Centred and not sprawling on a large window.
    column = welcome.heading.parentWidget()
    assert column.width() <= 600
    centre = column.mapTo(welcome, column.rect().center()).x()
    assert abs(centre - welcome.width() / 2) < 10
    screenshot(window, "welcome_light")

    # "Import Files…" runs the window's import action: the file dialog, then the import pane.
    story = tmp_path / "story.txt"
    story.write_text(sample_text, encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(story)], ""))
    with qtbot.waitSignal(window.panes.import_pane.import_finished, timeout=30000) as finished:
        qtbot.mouseClick(welcome.files_button, Qt.MouseButton.LeftButton)
    assert finished.args[0].imported == 1
    qtbot.waitUntil(lambda: window.panes.library.table.isVisible())
    assert not welcome.isVisible()
    assert not window.panes.library_page.shows_welcome
    qtbot.waitUntil(lambda: window.panes.library.model.rowCount() == 1)


def test_welcome_comes_back_when_the_last_article_is_deleted(make_window, sample_store, qtbot):
    window = make_window(sample_store)
    assert not window.panes.library_page.shows_welcome
    ids = [r.id for r in library.list_articles(sample_store)]
    window.gateway.delete_articles(ids[:1])
    assert not window.panes.library_page.shows_welcome  # articles remain
    window.gateway.delete_articles(ids[1:])
    assert welcome_shown(window)


def test_import_urls_shows_the_import_pane_with_the_address_box_focused(make_window, qtbot):
    window = make_window()
    window.panes.import_dock.hide()
    window.activateWindow()
    qtbot.mouseClick(window.panes.welcome.urls_button, Qt.MouseButton.LeftButton)
    assert window.panes.import_dock.isVisible()
    box = window.panes.import_pane.box
    qtbot.waitUntil(box.hasFocus)


def test_welcome_view_in_a_dark_theme(make_window, qtbot, dark_palette, screenshot):
    window = make_window()
    dark_palette()
    QApplication.processEvents()
    welcome = window.panes.welcome
    background = welcome.palette().color(welcome.backgroundRole())
    assert background.lightnessF() < 0.3
    assert welcome.heading.palette().color(QPalette.ColorRole.WindowText).lightnessF() > 0.7
    # The icons were drawn again in the dark palette's colours.
    image = welcome.buttons[0].icon().pixmap(18, 18).toImage()
    colours = {image.pixelColor(x, y).name() for x in range(18) for y in range(18) if image.pixelColor(x, y).alpha()}
    assert "#3b6fd8" in colours
    screenshot(window, "welcome_dark")


# -- the sample dataset ----------------------------------------------------------------------------


def test_the_sample_button_makes_the_sample_and_asks_to_switch_to_it(make_window, qtbot):
    window = make_window()
    with qtbot.waitSignal(window.dataset_switch_requested, timeout=30000) as switch:
        qtbot.mouseClick(window.panes.welcome.sample_button, Qt.MouseButton.LeftButton)
    path = default_sample_path()
    assert switch.args == [str(path)]
    assert window.panes.welcome.sample_button.isEnabled()
    with open_store(path) as store:
        assert library.count_articles(store) == SAMPLE_ARTICLES
        assert library.label_counts(store) == {"PERSON": 8, "ORG": 9, "CLAIM": 5}

    # The Help menu's action does the same and reuses the dataset: nothing is imported twice.
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert window.actions_by_id["open_sample"] in help_menu.actions()
    with qtbot.waitSignal(window.dataset_switch_requested, timeout=30000) as again:
        window.actions_by_id["open_sample"].trigger()
    assert again.args == [str(path)]
    with open_store(path) as store:
        assert library.count_articles(store) == SAMPLE_ARTICLES


def test_the_sample_opens_with_its_articles_and_spans(make_window, qtbot):
    window = make_window(open_store(create_sample_dataset()))
    assert not window.panes.library_page.shows_welcome
    qtbot.waitUntil(lambda: window.panes.library.model.rowCount() == SAMPLE_ARTICLES)
    first = library.list_articles(window.store, limit=1)[0]
    window.open_article(first.id)
    panel = window.panes.annotation
    assert panel.article().title.startswith("High turnover hits Meta’s Llama")
    assert panel.article().status == "in_progress"
    labelled = {(s.label, s.text) for s in panel.article().spans}
    assert {("PERSON", "Hugo Touvron"), ("ORG", "Mistral"), ("ORG", "Meta")} <= labelled
    assert sum(panel.span_list.span_model.count(lb) for lb in ("PERSON", "ORG", "CLAIM")) == 9
    # The user can go on labelling at once: "Joelle Pineau" is not labelled yet.
    text = panel.article().text
    start = text.index("Joelle Pineau")
    panel.view.select_range(start, start + len("Joelle Pineau"))
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_1)
    assert window.gateway.wait_until_saved(10)
    assert ("PERSON", "Joelle Pineau") in {(s.label, s.text) for s in library.get_article(window.store, first.id).spans}


def test_opening_the_sample_while_it_is_open_stays_in_the_window(make_window, qtbot):
    window = make_window(open_store(create_sample_dataset()))
    window.show_pane("annotate")
    switches = []
    window.dataset_switch_requested.connect(switches.append)
    window.actions_by_id["open_sample"].trigger()
    qtbot.waitUntil(lambda: window.actions_by_id["open_sample"].isEnabled())
    assert switches == []
    assert window.tabs.currentWidget() is window.panes.library_page
    assert library.count_articles(window.store) == SAMPLE_ARTICLES


def test_a_sample_that_cannot_be_made_is_reported(make_window, qtbot, monkeypatch):
    import app.core.ingest.sample_dataset as sample_module

    def broken(path=None):
        raise sample_module.SampleDatasetError("The disk is full.")

    warnings = []
    monkeypatch.setattr(sample_module, "create_sample_dataset", broken)
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warnings.append(args[2]))
    window = make_window()
    switches = []
    window.dataset_switch_requested.connect(switches.append)
    qtbot.mouseClick(window.panes.welcome.sample_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(warnings))
    assert "The disk is full." in warnings[0]
    assert switches == []
    assert window.panes.welcome.sample_button.isEnabled()
    assert window.actions_by_id["open_sample"].isEnabled()


# -- the label keys hint -----------------------------------------------------------------------------------


def test_the_key_hint_shows_the_real_label_keys_and_the_done_key(make_window, qtbot, screenshot):
    window = make_window(open_store(create_sample_dataset()))
    first = library.list_articles(window.store, limit=1)[0]
    window.open_article(first.id)
    hint = window.panes.annotation.key_hint
    assert hint.isVisible()
    assert hint.label_keys() == [("1", "PERSON"), ("2", "ORG"), ("3", "CLAIM")]
    done = QKeySequence("Ctrl+Return").toString(QKeySequence.SequenceFormat.NativeText)
    assert "1 PERSON · 2 ORG · 3 CLAIM" in hint.plain_text()
    assert done in hint.plain_text() and done in hint.message.text()
    # It sits above the article text and takes one or two lines, not more.
    panel = window.panes.annotation
    assert hint.mapTo(panel, hint.rect().bottomLeft()).y() < panel.view.mapTo(panel, panel.view.rect().topLeft()).y()
    assert hint.height() < 3 * hint.fontMetrics().height() + 16
    panel.span_list.flush()
    qtbot.wait(200)  # the text view settles its line wrapping after the first show
    screenshot(window, "annotation_sample_key_hint")

    # Labels can be edited: the hint follows the label set.
    person = next(lb for lb in list_labels(window.store) if lb.name == "PERSON")
    update_label(window.store, person.id, shortcut="p")
    panel.reload_labels()
    assert hint.label_keys()[0] == ("p", "PERSON")


def test_closing_the_hint_is_remembered_and_help_shows_it_again(make_window, qtbot):
    path = create_sample_dataset()
    settings = Settings(annotator="ana")
    save_settings(settings)
    window = make_window(open_store(path), settings)
    window.open_article(library.list_articles(window.store, limit=1)[0].id)
    hint = window.panes.annotation.key_hint
    assert hint.isVisible()
    qtbot.mouseClick(hint.close_button, Qt.MouseButton.LeftButton)
    assert not hint.isVisible()
    assert load_settings().show_key_hint is False
    window.close()

    # After a restart (settings read from disk) it stays closed.
    again = make_window(open_store(path), load_settings())
    again.open_article(library.list_articles(again.store, limit=1)[0].id)
    hint = again.panes.annotation.key_hint
    assert again.panes.annotation.isVisible()
    assert not hint.isVisible()

    # Help ▸ Show Label Keys Hint brings it back, on the annotation tab, and that is saved too.
    again.show_pane("library")
    help_menu = next(a.menu() for a in again.menuBar().actions() if a.text() == "&Help")
    action = again.actions_by_id["show_key_hint"]
    assert action in help_menu.actions()
    action.trigger()
    assert hint.isVisible()
    assert again.tabs.currentWidget() is again.panes.annotation
    assert load_settings().show_key_hint is True


def test_the_hint_is_visible_without_an_article(make_window, qtbot):
    window = make_window()
    window.show_pane("annotate")
    hint = window.panes.annotation.key_hint
    assert hint.isVisible()
    assert "1 PERSON" in hint.plain_text()
