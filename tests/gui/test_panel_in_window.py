"""The annotation panel driven through the main window as a person drives it, and what it paints.

Keys and clicks go to the window's QWindow, as the window system delivers them:
shortcuts are matched there and everything else reaches the focused widget.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QImage, QTextCursor
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.core.db.store import open_store
from app.core.entities import registry
from app.core.export.exporter import export_jsonl
from app.core.ingest.sample_dataset import create_sample_dataset
from app.core.ingest.storing import store_articles
from app.core.ops import library
from app.core.ops.library import ArticleDetail
from app.core.settings import Settings
from app.core.validation import InvalidInput, NewArticle
from app.widgets.article_text_view import ArticleTextView
from app.widgets.main_window import MainWindow
from app.widgets.palette import contrast
from app.widgets.panel_header import MessageBanner

ALT, CTRL = Qt.KeyboardModifier.AltModifier, Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def sample_path(tmp_path: Path) -> Path:
    return create_sample_dataset(tmp_path / "sample.curator.sqlite")


def article_id(window: MainWindow, title_start: str) -> int:
    rows = library.list_articles(window.store, library.ArticleFilter(), limit=100)
    return next(r.id for r in rows if r.title.startswith(title_start))


def press(qtbot, window: QWidget, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window.windowHandle(), key, modifiers)
    QApplication.processEvents()


def click_at(qtbot, window: QWidget, widget: QWidget, point: QPoint,
             modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.mouseClick(window.windowHandle(), Qt.MouseButton.LeftButton, modifiers, widget.mapTo(window, point))
    QApplication.processEvents()


def click_text(qtbot, window: QWidget, view: ArticleTextView, index: int, *, dx: int = 3,
               modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Click ``dx`` pixels right of where the character at Python offset ``index`` starts, scrolled into view."""
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.to_qt(index))
    rect = view.cursorRect(cursor)
    if not view.viewport().rect().contains(rect):  # scroll its paragraph to the top (the bar counts lines)
        view.verticalScrollBar().setValue(cursor.block().firstLineNumber())
        rect = view.cursorRect(cursor)
    click_at(qtbot, window, view.viewport(), QPoint(rect.x() + dx, rect.center().y()), modifiers)


def select_text(qtbot, window: QWidget, view: ArticleTextView, start: int, end: int) -> None:
    """Select ``text[start:end]`` with the mouse: a click before its first character, a shift+click after its last."""
    click_text(qtbot, window, view, start, dx=1)
    click_text(qtbot, window, view, end, dx=1, modifiers=Qt.KeyboardModifier.ShiftModifier)
    assert view.selection_range() == (start, end)


def click_first_paragraph_gap(qtbot, window: QWidget, view: ArticleTextView) -> None:
    """Click the blank line between the first two paragraphs (drawn half high)."""
    block = view.document().begin()
    while block.length() > 1:
        block = block.next()
    rect = view.blockBoundingGeometry(block).translated(view.contentOffset())
    click_at(qtbot, window, view.viewport(), QPoint(int(rect.center().x()), int(rect.center().y())))


def _brush(brush: QBrush) -> str:
    return brush.color().name(QColor.NameFormat.HexArgb) if brush.style() != Qt.BrushStyle.NoBrush else "none"


def painted_formats(view: ArticleTextView) -> list[tuple]:
    """Per character: background, text colour, font size and weight, underline; per paragraph its line height."""
    out: list[tuple] = []
    # Paragraphs are laid out as they come into view; scroll through them all once, so a paragraph's
    # height is the one drawn, not an estimate for one never shown.
    bar = view.verticalScrollBar()
    kept = bar.value()
    for value in range(bar.minimum(), bar.maximum() + bar.pageStep(), max(1, bar.pageStep())):
        bar.setValue(value)
        view.viewport().repaint()
    bar.setValue(kept)
    view.viewport().repaint()
    block = view.document().begin()
    while block.isValid():
        # Per paragraph its line height and margins, not its height: how many lines a paragraph
        # wraps to depends on the width at that moment (a scroll bar that comes and goes).
        layout, paragraph = block.layout(), block.blockFormat()
        line = round(layout.lineAt(0).height(), 1) if layout.lineCount() else None
        out.append(("paragraph", block.blockNumber(), line, paragraph.topMargin(), paragraph.bottomMargin()))
        for it in block:
            fragment = it.fragment()
            f = fragment.charFormat()
            look = (_brush(f.background()), _brush(f.foreground()), f.fontPointSize(), f.fontWeight(),
                    f.fontUnderline(), f.underlineStyle(), f.underlineColor().name())
            out.extend((fragment.position() + k, *look) for k in range(fragment.length()))
        block = block.next()
    return out


def first_difference(a: list[tuple], b: list[tuple]) -> tuple | None:
    return next(((x, y) for x, y in zip(a, b, strict=True) if x != y), None)


def differing_pixels(a: QImage, b: QImage) -> int:
    assert a.size() == b.size()
    return sum(a.pixel(x, y) != b.pixel(x, y) for y in range(0, a.height(), 2) for x in range(0, a.width(), 2))


def picture(view: ArticleTextView) -> QImage:
    """The text as painted, scrolled to the top, without the caret (it blinks)."""
    width = view.cursorWidth()
    view.setCursorWidth(0)
    view.verticalScrollBar().setValue(0)
    QApplication.processEvents()
    image = view.grab().toImage()
    view.setCursorWidth(width)
    return image


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("first_click", ["span", "paragraph gap"])
def test_navigation_and_edits_leave_the_formats_of_a_fresh_open(
        qtbot, make_window, sample_path, screenshot, dark_palette, theme, first_click) -> None:
    if theme == "dark":
        dark_palette()
    # Suggestions (the starter model's) are left out: they arrive from another thread, in their own time.
    quiet = Settings(annotator="ana", show_suggestions=False)
    window = make_window(open_store(sample_path), quiet)
    meta, next_one = article_id(window, "High turnover"), article_id(window, "Port Allerton")
    window.open_article(meta)
    panel, view = window.panes.annotation, window.panes.annotation.view
    mistral = view.text().index("Mistral")

    # Click the ORG "Mistral" (or a paragraph gap: its small font), then the next article and back.
    if first_click == "span":
        click_text(qtbot, window, view, mistral + 2)
        assert panel.selected_span() is not None and panel.selected_span().text == "Mistral"
    else:
        click_first_paragraph_gap(qtbot, window, view)
    press(qtbot, window, Qt.Key.Key_Right, ALT)
    assert panel.current_article_id == next_one
    next_formats = painted_formats(view)
    press(qtbot, window, Qt.Key.Key_Left, ALT)
    assert panel.current_article_id == meta

    # Select the span, relabel it PERSON with its key, undo.
    click_text(qtbot, window, view, mistral + 2)
    assert panel.selected_span().label == "ORG"
    press(qtbot, window, Qt.Key.Key_1)
    assert panel.selected_span().label == "PERSON"
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert panel.selected_span().label == "ORG"
    assert [s.label for s in stored_article(window, meta).spans if s.text == "Mistral"] == ["ORG"]
    if first_click == "span":
        screenshot(panel, "panel_after_navigation" + ("" if theme == "light" else "_dark"))
    press(qtbot, window, Qt.Key.Key_Escape)  # deselect: a fresh open has no selected span
    assert panel.selected_span_id() is None
    after = painted_formats(view)
    after_picture = picture(view)

    fresh = make_window(open_store(sample_path), quiet)
    fresh.open_article(next_one)
    fresh_view = fresh.panes.annotation.view
    # Paragraph heights depend on the width lines wrap at: compare once the new window has its size.
    qtbot.waitUntil(lambda: fresh_view.viewport().width() == view.viewport().width())
    assert first_difference(next_formats, painted_formats(fresh_view)) is None
    fresh.open_article(meta)
    assert first_difference(after, painted_formats(fresh_view)) is None
    fresh_picture = picture(fresh_view)
    assert after_picture.size() == fresh_picture.size()
    assert differing_pixels(after_picture, fresh_picture) == 0


def stored_article(window: MainWindow, article: int) -> ArticleDetail:
    """The article as the dataset holds it, once the edits the window queued are stored."""
    window.gateway.wait_until_saved()
    detail = library.get_article(window.store, article)
    assert detail is not None
    return detail


def export_claimants(store, tmp_path: Path) -> list[str]:
    out = tmp_path / "export.jsonl"
    export_jsonl(store, out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return [span["attributes"]["claimant"] for row in rows for span in row["spans"] if span["label"] == "CLAIM"]


@pytest.mark.parametrize(("typed", "picked", "kind"), [("Guillaume Lam", "Guillaume Lample", "PERSON"),
                                                      ("m", "Mistral", "ORG")])
def test_claimant_picked_from_suggestions_with_the_keyboard_is_saved(
        qtbot, make_window, sample_path, tmp_path, typed, picked, kind) -> None:
    window = make_window(open_store(sample_path))
    meta = article_id(window, "High turnover")
    window.open_article(meta)
    panel, view = window.panes.annotation, window.panes.annotation.view
    click_text(qtbot, window, view, view.text().index("research scientist"))
    claim = panel.selected_span()
    assert claim is not None and claim.label == "CLAIM"
    details = panel.claim_details
    assert details.claimant.text() == "Cryptopolitan"
    edit = details.claimant
    edits_before = window.gateway.undo_stack.count()
    click_at(qtbot, window, edit, edit.rect().center())
    press(qtbot, window, Qt.Key.Key_A, CTRL)
    for char in typed:
        press(qtbot, window, Qt.Key(ord(char.upper())) if char != " " else Qt.Key.Key_Space)
    assert edit.text().lower() == typed.lower()
    popup = details.completer.popup()
    qtbot.waitUntil(popup.isVisible)  # the list follows typing once it pauses
    assert not popup.currentIndex().isValid()  # nothing picked before a key says so
    names = [popup.model().index(row, 0).data(Qt.ItemDataRole.EditRole) for row in range(popup.model().rowCount())]
    assert picked in names and all(typed.lower() in name.lower() for name in names)
    for _ in range(names.index(picked) + 1):
        qtbot.keyClick(popup, Qt.Key.Key_Down)
    assert popup.currentIndex().data(Qt.ItemDataRole.EditRole) == picked
    assert popup.currentIndex().data().startswith(f"{picked}  ·  {kind}")  # the row says what it is
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    QApplication.processEvents()

    assert not popup.isVisible()
    assert details.claimant.text() == picked
    saved = next(s for s in stored_article(window, meta).spans if s.id == claim.id)
    assert saved.attributes["claimant"] == picked
    assert picked in export_claimants(window.store, tmp_path)
    stack = window.gateway.undo_stack
    assert stack.count() == edits_before + 1, [stack.text(i) for i in range(stack.count())]
    # The claim links to an entity of that name and kind, made for it (the sample has none yet).
    entity = registry.read_entity(window.store, details.claimant_id())
    assert (entity["name"], entity["kind"]) == (picked, kind)
    assert f"Linked to {picked} ({kind}" in details.claimant_link.text()
    # One edit, and undoing it brings the earlier claimant back, in the field too, and the entity goes.
    window.activateWindow()  # offscreen, the closed popup stays the active window; a window manager moves on
    qtbot.waitUntil(window.isActiveWindow)
    click_text(qtbot, window, view, view.text().index("research scientist"))
    assert view.hasFocus() and panel.selected_span_id() == claim.id
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert next(s for s in stored_article(window, meta).spans
                if s.id == claim.id).attributes["claimant"] == "Cryptopolitan"
    assert details.claimant.text() == "Cryptopolitan" and details.claimant_id() is None
    with pytest.raises(InvalidInput):
        registry.read_entity(window.store, entity["id"])
    # Redo puts the entity back under its id, the claim linked to it.
    press(qtbot, window, Qt.Key.Key_Y, CTRL)
    window.gateway.wait_until_saved()
    assert registry.read_entity(window.store, entity["id"])["name"] == picked
    assert details.claimant_id() == entity["id"] and details.claimant.text() == picked


def answer_next_question(qtbot, button: QMessageBox.StandardButton) -> list[str]:
    """Click ``button`` of the next message box once it shows; the list gets the question it asked."""
    asked: list[str] = []

    def answer(tries: int = 200) -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            asked.append(box.text())
            qtbot.mouseClick(box.button(button), Qt.MouseButton.LeftButton)
        elif tries:
            QTimer.singleShot(10, lambda: answer(tries - 1))

    QTimer.singleShot(0, answer)
    return asked


def test_entity_spans_stay_within_a_line_and_a_claim_over_one_asks_first(qtbot, make_window, store, db_path) -> None:
    text = ("Solvane Robotics named Priya Raman chief executive on Monday.\n"
            "Chief executive Priya Raman said the company would grow.")
    [outcome] = store_articles(store, [NewArticle(text=text, title="Solvane names CEO", source_kind="paste")])
    window = make_window(open_store(db_path))
    window.open_article(outcome.article_id)
    panel, view = window.panes.annotation, window.panes.annotation.view

    def saved() -> set[tuple[str, str]]:
        return {(s.label, s.text) for s in stored_article(window, outcome.article_id).spans}

    # "…on Monday.⏎Chief executive…" selected with the mouse (a click, then a shift+click).
    select_text(qtbot, window, view, text.index("Monday"), text.index(" Priya Raman said"))
    for key, name in [(Qt.Key.Key_1, "PERSON"), (Qt.Key.Key_2, "ORG")]:
        press(qtbot, window, key)
        assert saved() == set()
        assert panel.banner.isVisible()
        assert panel.banner.message.text() == (f"A {name} span cannot run over a line break, and the selection "
                                               "“Monday. Chief executive” does: select words within one paragraph.")
    # Labelling every occurrence (Alt+A, then the key) keeps the same rule.
    press(qtbot, window, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    press(qtbot, window, Qt.Key.Key_1)
    assert saved() == set()
    assert "cannot run over a line break" in panel.banner.message.text()
    select_text(qtbot, window, view, text.index("Monday"), text.index(" Priya Raman said"))

    # A CLAIM may: it asks, and "No" keeps nothing.
    asked = answer_next_question(qtbot, QMessageBox.StandardButton.No)
    press(qtbot, window, Qt.Key.Key_3)
    assert asked == ["“Monday. Chief executive” runs over a line break. Label it CLAIM as one span?"]
    assert saved() == set()
    window.activateWindow()  # offscreen, the closed dialog stays the active window; a window manager moves on
    qtbot.waitUntil(window.isActiveWindow)
    asked = answer_next_question(qtbot, QMessageBox.StandardButton.Yes)
    press(qtbot, window, Qt.Key.Key_3)
    assert len(asked) == 1
    assert saved() == {("CLAIM", "Monday.\nChief executive")}

    # Nor does relabelling turn the claim into an entity over the line break.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    click_text(qtbot, window, view, text.index("Chief"))
    assert panel.selected_span().label == "CLAIM"
    press(qtbot, window, Qt.Key.Key_1)
    assert saved() == {("CLAIM", "Monday.\nChief executive")}
    assert "cannot run over a line break" in panel.banner.message.text()


def text_place(window: QWidget, view: ArticleTextView) -> tuple:
    """Where the text sits in the window: the view's geometry, its first visible character and that one's place."""
    block = view.firstVisibleBlock()
    caret = view.cursorRect(QTextCursor(block))
    return (QRect(view.mapTo(window, QPoint(0, 0)), view.size()), block.position(),
            view.viewport().mapTo(window, caret.topLeft()))


def selection_rect(view: ArticleTextView) -> QRect:
    """Where the selected words are, in the view's coordinates."""
    ends = []
    for position in (view.textCursor().selectionStart(), view.textCursor().selectionEnd()):
        cursor = QTextCursor(view.document())
        cursor.setPosition(position)
        ends.append(view.cursorRect(cursor))
    return ends[0].united(ends[1]).translated(view.viewport().pos())


def last_word_in_view(view: ArticleTextView) -> tuple[int, int]:
    """The last word (three letters or more) whose line is wholly in view."""
    y = view.viewport().height() - 2
    while not view.viewport().rect().contains(view.cursorRect(view.cursorForPosition(QPoint(80, y)))):
        y -= 2
    before = view.text()[: view.from_qt(view.cursorForPosition(QPoint(80, y)).position())]
    return [m.span() for m in re.finditer(r"\w{3,}", before)][-1]


def assert_banner_painted(window: QWidget, banner: QWidget, colour: str) -> None:
    """The banner is on screen with its edge in ``colour`` and a message that reads well (contrast ≥ 4.5)."""
    assert banner.isVisible()
    image = window.grab().toImage()
    area = QRect(banner.mapTo(window, QPoint(0, 0)), banner.size())
    assert image.rect().contains(area)
    assert QColor(image.pixel(area.left() + 2, area.center().y())) == QColor(colour)
    message = QRect(banner.message.mapTo(window, QPoint(0, 0)), banner.message.size())
    pixels = [QColor(image.pixel(x, y)) for y in range(message.top(), message.bottom(), 2)
              for x in range(message.left(), message.right(), 2)]
    darkest = min(pixels, key=QColor.lightnessF)
    lightest = max(pixels, key=QColor.lightnessF)
    assert contrast(darkest, lightest) >= 4.5


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_banners_show_over_the_text_without_moving_it(qtbot, make_window, sample_path, screenshot, dark_palette,
                                                      theme) -> None:
    if theme == "dark":
        dark_palette()
    window = make_window(open_store(sample_path))
    window.open_article(article_id(window, "High turnover"))
    panel, view = window.panes.annotation, window.panes.annotation.view
    banner = panel.banner
    still = text_place(window, view)

    # A hint: a label key with nothing selected.
    press(qtbot, window, Qt.Key.Key_1)
    assert banner.message.text().startswith("Select some text first")
    assert text_place(window, view) == still
    assert_banner_painted(window, banner, MessageBanner.COLOURS["info"])
    if theme == "light":
        screenshot(panel, "panel_banner")
    press(qtbot, window, Qt.Key.Key_Escape)
    assert not banner.isVisible()
    assert text_place(window, view) == still

    # The Alt+A mode, on a word selected with the mouse; Esc ends it.
    behemoth = view.text().index("Behemoth")
    select_text(qtbot, window, view, behemoth, behemoth + len("Behemoth"))
    scrolled = text_place(window, view)
    press(qtbot, window, Qt.Key.Key_A, ALT)
    assert banner.kind == "armed" and banner.message.text().startswith("Label every “Behemoth” as")
    assert text_place(window, view) == scrolled
    assert_banner_painted(window, banner, MessageBanner.COLOURS["armed"])
    # The banner leaves the selection it speaks of in sight.
    assert not banner.geometry().intersects(selection_rect(view))
    press(qtbot, window, Qt.Key.Key_Escape)
    assert not banner.isVisible() and text_place(window, view) == scrolled

    # Words selected at the bottom of the view: the banner shows at the top instead.
    start, end = last_word_in_view(view)
    select_text(qtbot, window, view, start, end)
    scrolled = text_place(window, view)
    press(qtbot, window, Qt.Key.Key_A, ALT)
    assert banner.kind == "armed" and text_place(window, view) == scrolled
    selected = selection_rect(view)
    assert selected.bottom() > view.viewport().geometry().bottom() - banner.height()  # where it would be
    assert banner.geometry().bottom() < view.height() // 2 and not banner.geometry().intersects(selected)
    assert_banner_painted(window, banner, MessageBanner.COLOURS["armed"])
    if theme == "light":
        screenshot(panel, "panel_banner_armed_top")
    press(qtbot, window, Qt.Key.Key_Escape)

    # A failed edit stays red and readable: PERSON, then ORG on a range this annotator already has as ORG.
    for key in (Qt.Key.Key_2, Qt.Key.Key_1):
        select_text(qtbot, window, view, behemoth, behemoth + len("Behemoth"))
        press(qtbot, window, key)
    scrolled = text_place(window, view)
    press(qtbot, window, Qt.Key.Key_2)
    assert banner.kind == "error" and banner.message.text() == "“Behemoth” is already labelled ORG."
    assert text_place(window, view) == scrolled
    assert_banner_painted(window, banner, MessageBanner.COLOURS["error"])
    screenshot(panel, "panel_banner_error" + ("" if theme == "light" else "_dark"))


def test_a_note_being_typed_when_the_window_closes_is_stored(qtbot, make_window, sample_path) -> None:
    window = make_window(open_store(sample_path))
    meta = article_id(window, "High turnover")
    window.open_article(meta)
    panel, view = window.panes.annotation, window.panes.annotation.view
    click_text(qtbot, window, view, view.text().index("research scientist"))
    claim = panel.selected_span()
    assert claim is not None and claim.label == "CLAIM"
    note = panel.claim_details.note
    click_at(qtbot, window, note, note.rect().center())
    press(qtbot, window, Qt.Key.Key_A, CTRL)
    for char in "SEEN":
        press(qtbot, window, Qt.Key(ord(char)))
    window.close()  # the note is still being typed: no Tab, no Return
    with open_store(sample_path) as again:
        stored = library.get_article(again, meta)
        assert stored is not None
        assert next(s for s in stored.spans if s.id == claim.id).attributes["note"].lower() == "seen"
