"""The annotation panel with real widgets, keys and a real dataset (offscreen)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QMessageBox

from app.core.ingest.storing import store_articles
from app.core.ops import library
from app.core.ops.labels import list_labels
from app.core.ops.library import SpanRecord
from app.core.ops.selection import find_occurrences
from app.core.settings import Settings
from app.core.validation import NewArticle
from app.widgets.annotation_panel import AnnotationPanel
from app.widgets.article_text_view import ArticleTextView
from app.widgets.span_list import SpanListModel, tooltip

SAMPLE_ID = 1


@pytest.fixture
def panel(qtbot, sample_store, gateway) -> Iterator[AnnotationPanel]:
    widget = AnnotationPanel(sample_store, gateway, Settings(annotator="tester"))
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    widget.open_article(SAMPLE_ID)
    yield widget


def assert_shown_at_offsets(view: ArticleTextView, text: str) -> None:
    """Every character of ``text`` is in the document where ``to_qt`` says (blank lines are added between
    paragraphs, emoji take two UTF-16 units)."""
    doc = view.document()
    for i, ch in enumerate(text):
        shown = doc.characterAt(view.to_qt(i))
        if ord(ch) <= 0xFFFF:
            assert shown == ("\u2029" if ch == "\n" else ch), (i, ch, shown)
        assert view.from_qt(view.to_qt(i)) == i


def spans(panel: AnnotationPanel) -> list[SpanRecord]:
    """What the dataset holds, once the edits queued so far are stored."""
    assert panel.gateway.wait_until_saved(10)
    detail = library.get_article(panel.store, panel.current_article_id)
    assert detail is not None
    return detail.spans


def stored(panel: AnnotationPanel) -> set[tuple[str, str]]:
    """What the database holds; also checks the panel shows exactly that."""
    in_db = spans(panel)
    shown = panel.article().spans
    assert [(s.id, s.start, s.end, s.label, s.attributes) for s in shown] == \
        [(s.id, s.start, s.end, s.label, s.attributes) for s in in_db]
    model = panel.span_list.span_model
    for span in in_db:
        assert model.span_at(model.index_of_span(span.id)) == span
        assert model.index_of_span(span.id).data().startswith(span.text[:20])
    assert sum(model.count(lb) for lb in ("PERSON", "ORG", "CLAIM")) == len(in_db)
    return {(s.label, s.text) for s in in_db}


def find(panel: AnnotationPanel, part: str, nth: int = 0) -> tuple[int, int]:
    text = panel.article().text
    i = -1
    for _ in range(nth + 1):
        i = text.index(part, i + 1)
    return i, i + len(part)


def select(panel: AnnotationPanel, start: int, end: int) -> None:
    """Select by character offsets through the text cursor, as shift+arrows would."""
    view = panel.view
    cursor = view.textCursor()
    cursor.setPosition(view.to_qt(start))
    cursor.setPosition(view.to_qt(end), QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    view.setFocus()


def label(qtbot, panel: AnnotationPanel, part: str, key: Qt.Key, nth: int = 0) -> SpanRecord:
    select(panel, *find(panel, part, nth))
    qtbot.keyClick(panel.view, key)
    span = panel.selected_span()
    assert span is not None
    return span


def test_opening_shows_article_as_plain_text(panel: AnnotationPanel) -> None:
    article = panel.article()
    assert panel.current_article_id == SAMPLE_ID
    assert panel.title.text().startswith("High turnover hits Meta’s Llama")
    assert panel.title.textFormat() == Qt.TextFormat.PlainText
    assert "Cryptopolitan" in panel.meta.text() and "2025-05-27" in panel.meta.text()
    assert panel.link.url == "https://example.org/meta-llama"
    assert_shown_at_offsets(panel.view, article.text)
    assert panel.view.isReadOnly()
    assert panel.status_badge.text() == "new"
    assert [b.text() for b in panel.label_bar.buttons.values()] == ["1  PERSON", "2  ORG", "3  CLAIM"]


def test_key_1_labels_the_selected_person(qtbot, panel: AnnotationPanel) -> None:
    start, end = find(panel, "Hugo Touvron")
    select(panel, start, end)
    qtbot.keyClick(panel.view, Qt.Key.Key_1)
    [span] = spans(panel)
    assert (span.start, span.end, span.label, span.text, span.annotator) == (start, end, "PERSON", "Hugo Touvron",
                                                                             "tester")
    assert panel.selected_span_id() == span.id
    assert not panel.view.textCursor().hasSelection()
    assert panel.span_list.selected_span_id() == span.id
    assert panel.status_badge.text() == "in progress"
    assert stored(panel) == {("PERSON", "Hugo Touvron")}


def test_keyboard_only_selection_and_label_buttons(qtbot, panel: AnnotationPanel) -> None:
    view = panel.view
    start, _ = find(panel, "Xavier Martinet")
    cursor = view.textCursor()
    cursor.setPosition(view.to_qt(start + 2))  # the caret somewhere in "Xavier"
    view.setTextCursor(cursor)
    view.setFocus()
    for _ in range(10):
        qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert view.selection_range() == (start + 2, start + 12)  # "vier Marti"
    qtbot.keyClick(view, Qt.Key.Key_1)
    assert stored(panel) == {("PERSON", "Xavier Martinet")}
    # The label buttons do what the keys do, and leave the focus in the text.
    select(panel, *find(panel, "Mistral"))
    qtbot.mouseClick(panel.label_bar.buttons["ORG"], Qt.MouseButton.LeftButton)
    assert ("ORG", "Mistral") in stored(panel)
    assert view.hasFocus()
    # Escape deselects.
    assert panel.selected_span_id() is not None
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert panel.selected_span_id() is None


def test_label_keys_follow_the_label_set(qtbot, panel: AnnotationPanel) -> None:
    from app.core.ops.labels import update_label

    person = next(lb for lb in list_labels(panel.store) if lb.name == "PERSON")
    update_label(panel.store, person.id, shortcut="p", color="#7c3aed")
    panel.reload_labels()
    assert panel.label_bar.buttons["PERSON"].text() == "p  PERSON"
    select(panel, *find(panel, "Joelle Pineau"))
    qtbot.keyClick(panel.view, Qt.Key.Key_1)  # no longer a label key
    assert spans(panel) == []
    qtbot.keyClick(panel.view, Qt.Key.Key_P)
    assert stored(panel) == {("PERSON", "Joelle Pineau")}


def test_partial_selection_snaps_to_words(qtbot, panel: AnnotationPanel) -> None:
    start, end = find(panel, "avier Marti")
    select(panel, start - 0, end)
    qtbot.keyClick(panel.view, Qt.Key.Key_1)
    select(panel, *find(panel, " Faisal Azhar, "))
    qtbot.keyClick(panel.view, Qt.Key.Key_1)
    assert stored(panel) == {("PERSON", "Xavier Martinet"), ("PERSON", "Faisal Azhar")}


def test_selection_without_words_labels_nothing(qtbot, panel: AnnotationPanel) -> None:
    select(panel, *find(panel, ", "))
    qtbot.keyClick(panel.view, Qt.Key.Key_1)
    assert spans(panel) == []
    assert panel.banner.isVisible() and "no words" in panel.banner.message.text()
    panel.view.clear_text_selection()
    qtbot.keyClick(panel.view, Qt.Key.Key_2)
    assert "Select some text first" in panel.banner.message.text()


def test_org_claim_with_claimant_and_verdict(qtbot, panel: AnnotationPanel) -> None:
    label(qtbot, panel, "Hugo Touvron", Qt.Key.Key_1)
    org = label(qtbot, panel, "Meta", Qt.Key.Key_2, nth=1)
    assert (org.label, org.text) == ("ORG", "Meta")
    sentence = "only three, research scientist Hugo Touvron, research engineer Xavier Martinet, and technical " \
               "program leader Faisal Azhar, remain at Meta."
    claim = label(qtbot, panel, sentence, Qt.Key.Key_3)
    assert claim.label == "CLAIM" and claim.text == sentence[:-1]  # the final period is trimmed
    assert claim.attributes == {"claimant": "", "verdict": "unverified", "note": ""}

    details = panel.claim_details
    assert details.isVisibleTo(panel) and details.pages.currentIndex() == 1 and details.span_id() == claim.id
    # The PERSON and ORG inside the claim are offered first.
    details.show_options("")
    assert [o.name for o in details.options.options] == ["Hugo Touvron", "Meta"]
    details.completer.popup().hide()
    edit = details.claimant
    edit.setFocus()
    qtbot.keyClicks(edit, "Cryptopoli")
    assert spans(panel)[0].attributes["claimant"] == ""  # nothing saved per keystroke
    qtbot.keyClicks(edit, "tan")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    claim_now = next(s for s in spans(panel) if s.id == claim.id)
    assert claim_now.attributes["claimant"] == "Cryptopolitan"

    details.verdict.setFocus()
    while details.verdict.currentText() != "false":
        qtbot.keyClick(details.verdict, Qt.Key.Key_Down)
    details.note.setFocus()
    qtbot.keyClicks(details.note, "Two of 14 remain per 1 source")  # digits typed here label nothing
    qtbot.keyClick(details.note, Qt.Key.Key_Tab)
    claim_now = next(s for s in spans(panel) if s.id == claim.id)
    assert claim_now.attributes == {"claimant": "Cryptopolitan", "verdict": "false",
                                    "note": "Two of 14 remain per 1 source"}
    assert len(stored(panel)) == 3
    # The list shows the verdict, its tooltip the rest.
    assert panel.span_list.span_model.index_of_span(claim.id).data().endswith("· false")
    assert "claimant: Cryptopolitan" in tooltip(claim_now)
    # Each finished field was one undoable edit.
    panel.gateway.undo_stack.undo()
    assert next(s for s in spans(panel) if s.id == claim.id).attributes["note"] == ""
    assert details.note.text() == ""
    panel.gateway.undo_stack.redo()
    # Claim details follow the selection: hidden for an entity.
    panel.select_span(org.id)
    assert details.pages.currentIndex() == 0 and not details.claimant.isEnabled()
    panel.select_span(claim.id)
    assert details.claimant.text() == "Cryptopolitan" and details.verdict.currentText() == "false"


def test_relabel_delete_undo_redo(qtbot, panel: AnnotationPanel) -> None:
    gateway = panel.gateway
    span = label(qtbot, panel, "Robert Fergus", Qt.Key.Key_2)
    assert stored(panel) == {("ORG", "Robert Fergus")}
    # Click the span with the mouse, then press 1: relabel.
    view = panel.view
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.to_qt(span.start + 3))
    view.ensureCursorVisible()
    panel.select_span(None)
    rect = view.cursorRect(cursor)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.x() + 3, rect.center().y()))
    assert panel.selected_span_id() == span.id
    qtbot.keyClick(view, Qt.Key.Key_1)
    assert stored(panel) == {("PERSON", "Robert Fergus")}
    assert panel.selected_span_id() == span.id
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert spans(panel) == []
    assert panel.selected_span_id() is None

    gateway.undo_stack.undo()  # the delete
    assert stored(panel) == {("PERSON", "Robert Fergus")}
    assert panel.span_list.span_model.count("PERSON") == 1
    assert gateway.undo_stack.undoText() == "Change ORG span to PERSON"
    gateway.undo_stack.undo()  # the relabel
    assert stored(panel) == {("ORG", "Robert Fergus")}
    gateway.undo_stack.undo()  # the add
    assert spans(panel) == []
    assert panel.span_list.span_model.count("ORG") == 0
    gateway.undo_stack.redo()
    gateway.undo_stack.redo()
    assert stored(panel) == {("PERSON", "Robert Fergus")}
    gateway.undo_stack.redo()
    assert spans(panel) == []


def test_span_list_and_text_select_each_other(qtbot, panel: AnnotationPanel) -> None:
    first = label(qtbot, panel, "Joelle Pineau", Qt.Key.Key_1)
    last = label(qtbot, panel, "DeepMind", Qt.Key.Key_2)
    tree = panel.span_list
    index = tree.span_model.index_of_span(first.id)
    tree.setFocus()
    tree.setCurrentIndex(index)
    assert panel.selected_span_id() == first.id
    assert panel.view.textCursor().position() == panel.view.to_qt(first.start)
    # Keys work in the list too.
    qtbot.keyClick(tree, Qt.Key.Key_2)
    assert stored(panel) == {("ORG", "Joelle Pineau"), ("ORG", "DeepMind")}
    panel.view.span_clicked.emit(last.id)
    assert tree.selected_span_id() == last.id
    qtbot.keyClick(tree, Qt.Key.Key_Backspace)
    assert stored(panel) == {("ORG", "Joelle Pineau")}
    qtbot.keyClick(panel.view, Qt.Key.Key_Escape)


def test_label_all_occurrences_is_one_undo_step(qtbot, panel: AnnotationPanel) -> None:
    text = panel.article().text
    expected = find_occurrences(text, "Meta")
    assert len(expected) > 5
    select(panel, *find(panel, "Meta", nth=1))  # "remain at Meta."
    assert text[slice(*find(panel, "Meta", nth=1))] == "Meta"
    before = panel.gateway.undo_stack.count()
    qtbot.keyClick(panel.view, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    assert panel.label_bar.all_button.isChecked()
    qtbot.keyClick(panel.view, Qt.Key.Key_2)
    assert not panel.label_bar.all_button.isChecked()
    stored_spans = spans(panel)
    assert sorted((s.start, s.end) for s in stored_spans) == expected
    assert {(s.label, s.text) for s in stored_spans} == {("ORG", "Meta")}
    assert panel.span_list.span_model.count("ORG") == len(expected)
    assert panel.gateway.undo_stack.count() == before + 1
    # Again: nothing new to add, no empty undo step.
    panel.select_span(stored_spans[0].id)
    panel.label_all_occurrences("ORG")
    assert panel.gateway.undo_stack.count() == before + 1
    panel.gateway.undo_stack.undo()
    assert stored(panel) == set()
    panel.gateway.undo_stack.redo()
    assert len(spans(panel)) == len(expected)
    assert stored(panel) == {("ORG", "Meta")}


def test_context_menu_offers_labels_and_all_occurrences(qtbot, panel: AnnotationPanel) -> None:
    from PySide6.QtWidgets import QMenu

    select(panel, *find(panel, "Llama", nth=1))
    menu = QMenu()
    panel.view.context_menu_requested.emit(menu)
    titles = [a.text() for a in menu.actions()]
    assert "Label as" in titles and "Label all occurrences of “Llama” as" in titles
    all_as = next(a.menu() for a in menu.actions() if a.text().startswith("Label all"))
    next(a for a in all_as.actions() if a.text() == "ORG").trigger()
    assert len(spans(panel)) == len(find_occurrences(panel.article().text, "Llama"))
    # With a span selected and no text selection: change its label, or delete it.
    panel.select_span(spans(panel)[0].id)
    menu = QMenu()
    panel.view.context_menu_requested.emit(menu)
    delete = next(a for a in menu.actions() if a.text().startswith("Delete ORG span"))
    delete.trigger()
    assert len(spans(panel)) == len(find_occurrences(panel.article().text, "Llama")) - 1


def test_span_list_catches_up_when_keys_pause(qtbot, panel: AnnotationPanel) -> None:
    tree = panel.span_list
    qwen = label(qtbot, panel, "Qwen", Qt.Key.Key_2)
    assert tree.refresh_pending() and tree.selected_span_id() == qwen.id
    qtbot.waitUntil(lambda: not tree.refresh_pending(), timeout=2000)
    assert tree.span_model.count("ORG") == 1 and tree.selected_span_id() == qwen.id
    assert tree.currentIndex().data() == "Qwen"
    # Reading the model, or clicking the tree, brings it up to date at once.
    deep = label(qtbot, panel, "DeepSeek", Qt.Key.Key_2)
    assert tree.refresh_pending()
    assert tree.span_model.count("ORG") == 2 and not tree.refresh_pending()
    assert tree.currentIndex().data() == "DeepSeek" and tree.selected_span_id() == deep.id
    # With the focus in the tree, edits show at once.
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key.Key_1)
    assert not tree.refresh_pending() and tree.span_model.count("PERSON") == 1


def test_html_in_article_strings_shows_literally(qtbot, sample_store, gateway) -> None:
    nasty = "<b>bold</b><img src=x>"
    [outcome] = store_articles(sample_store, [NewArticle(text=f"{nasty} & <i>text</i> by Ana.", title=nasty,
                                                         author="<a href='x'>me</a>", site_name="&amp;",
                                                         url="https://e.org/?a=1&b=2", source_kind="paste")])
    panel = AnnotationPanel(sample_store, gateway, Settings())
    qtbot.addWidget(panel)
    panel.open_article(outcome.article_id)
    assert panel.title.text() == nasty
    assert panel.title.textFormat() == Qt.TextFormat.PlainText
    assert panel.meta.textFormat() == Qt.TextFormat.PlainText
    assert "<a href='x'>me</a>" in panel.meta.text() and "&amp;" in panel.meta.text()
    assert panel.view.toPlainText().startswith(nasty)
    assert panel.link.text() == "https://e.org/?a=1&b=2"
    assert panel.link.textFormat() == Qt.TextFormat.PlainText


def test_emoji_before_a_span_keeps_offsets(qtbot, sample_store, gateway) -> None:
    text = "🎉🎉 Party 👩‍👩‍👧 time: Hugo Touvron met 😀 Meta’s chief."
    [outcome] = store_articles(sample_store, [NewArticle(text=text, title="emoji", source_kind="paste")])
    panel = AnnotationPanel(sample_store, gateway, Settings())
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    panel.open_article(outcome.article_id)
    view = panel.view
    start = text.index("Hugo")
    assert view.to_qt(start) == start + 5  # five astral code points before it
    assert_shown_at_offsets(view, text)
    select(panel, start + 1, start + 8)
    qtbot.keyClick(view, Qt.Key.Key_1)
    [span] = spans(panel)
    assert (span.start, span.end, span.text) == (start, start + len("Hugo Touvron"), "Hugo Touvron")
    assert view.selection_range() is None
    # The tint sits on the right characters in the document.
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.to_qt(span.start) + 1)
    assert cursor.charFormat().hasProperty(cursor.charFormat().Property.BackgroundBrush)
    cursor.setPosition(view.to_qt(span.start))
    assert not cursor.charFormat().hasProperty(cursor.charFormat().Property.BackgroundBrush)
    cursor.setPosition(view.to_qt(span.end) + 1)
    assert not cursor.charFormat().hasProperty(cursor.charFormat().Property.BackgroundBrush)
    # "Meta" (without its possessive ending) after another emoji.
    i = text.index("Meta")
    select(panel, i, i + 4)
    qtbot.keyClick(view, Qt.Key.Key_2)
    assert ("ORG", "Meta") in stored(panel)
    assert view.span_at(i + 2) == panel.selected_span_id()
    # A mouse click on a span's character finds it.
    panel.select_span(None)
    cursor.setPosition(view.to_qt(start + 2))
    rect = view.cursorRect(cursor)
    with qtbot.waitSignal(view.span_clicked) as clicked:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.x() + 2, rect.center().y()))
    assert clicked.args == [span.id]


def test_paragraphs_get_half_line_gaps_also_inside_claims(qtbot, sample_store, gateway, monkeypatch) -> None:
    # A claim over a line break is made once the annotator says yes.
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: QMessageBox.StandardButton.Yes)
    text = "First paragraph by Hugo.\nSecond paragraph, same claim.\n\nThird after a blank line."
    [outcome] = store_articles(sample_store, [NewArticle(text=text, title="gaps", source_kind="paste")])
    panel = AnnotationPanel(sample_store, gateway, Settings())
    qtbot.addWidget(panel)
    panel.show()
    panel.open_article(outcome.article_id)
    view = panel.view
    assert_shown_at_offsets(view, text)

    def heights() -> list[float]:
        doc = view.document()
        return [view.blockBoundingRect(doc.findBlockByNumber(n)).height() for n in range(doc.blockCount())]

    line = heights()[0]
    assert [h < line * 0.7 for h in heights()] == [False, True, False, True, False]
    # A claim over the first two paragraphs keeps the gap between them narrow.
    select(panel, 0, text.index("claim") + 5)
    qtbot.keyClick(view, Qt.Key.Key_3)
    assert stored(panel) == {("CLAIM", text[: text.index("claim") + 5])}
    assert [h < line * 0.7 for h in heights()] == [False, True, False, True, False]


def test_carriage_returns_do_not_shift_offsets(qtbot, sample_store, gateway) -> None:
    text = "First line\r\nSecond line by Hugo Touvron\rthird."
    [outcome] = store_articles(sample_store, [NewArticle(text=text, title="crlf", source_kind="paste")])
    panel = AnnotationPanel(sample_store, gateway, Settings())
    qtbot.addWidget(panel)
    panel.open_article(outcome.article_id)
    # "\r\n" shows as a space and a line break, a lone "\r" as a line break: one character each.
    assert_shown_at_offsets(panel.view, text.replace("\r\n", " \n").replace("\r", "\n"))
    start = text.index("Hugo")
    select(panel, start, start + 12)
    qtbot.keyClick(panel.view, Qt.Key.Key_1)
    assert stored(panel) == {("PERSON", "Hugo Touvron")}


def test_edit_failure_shows_a_banner_and_changes_elsewhere_refresh(qtbot, panel: AnnotationPanel) -> None:
    start, end = find(panel, "Behemoth")
    panel.gateway.add_span(SAMPLE_ID, start, end, "ORG")  # made elsewhere (another view)
    assert panel.span_list.span_model.count("ORG") == 1
    person = label(qtbot, panel, "Behemoth", Qt.Key.Key_1)
    qtbot.keyClick(panel.view, Qt.Key.Key_2)  # ORG already has this range
    assert panel.banner.isVisible() and "already labelled ORG" in panel.banner.message.text()
    assert panel.banner.kind == "error"
    assert stored(panel) == {("ORG", "Behemoth"), ("PERSON", "Behemoth")}
    assert panel.selected_span_id() == person.id
    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert not panel.banner.isVisible()
    panel.gateway.set_status([SAMPLE_ID], "done")
    assert panel.status_badge.text() == "done"
    panel.gateway.delete_articles([SAMPLE_ID])
    assert panel.current_article_id is None and panel.pages.currentIndex() == 0


def test_link_opens_only_web_addresses(panel: AnnotationPanel, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr("app.widgets.panel_header.QDesktopServices.openUrl",
                        lambda url: opened.append(url.toString()) or True)
    assert panel.link.open()
    panel.link.set_url("javascript:alert(1)")
    assert not panel.link.open()
    assert opened == ["https://example.org/meta-llama"]


def test_no_article_is_an_empty_state(panel: AnnotationPanel) -> None:
    panel.open_article(None)
    assert panel.current_article_id is None and panel.pages.currentIndex() == 0
    panel.apply_label("PERSON")  # harmless
    panel.open_article(99999)
    assert panel.current_article_id is None


def test_span_list_model_passes_qtmodeltester(qtbot, qtmodeltester, panel: AnnotationPanel) -> None:
    label(qtbot, panel, "Hugo Touvron", Qt.Key.Key_1)
    label(qtbot, panel, "Mistral", Qt.Key.Key_2)
    qtmodeltester.check(panel.span_list.span_model)
    model = SpanListModel()
    qtmodeltester.check(model)
    model.set_content(list_labels(panel.store), spans(panel))
    qtmodeltester.check(model)
    label(qtbot, panel, "Guillaume Lample", Qt.Key.Key_1)
    qtbot.keyClick(panel.view, Qt.Key.Key_2)
    model.set_spans(spans(panel))
    assert model.count("ORG") == 2 and model.count("PERSON") == 1
    qtmodeltester.check(model)


def _annotate_for_screenshot(qtbot, panel: AnnotationPanel) -> None:
    for part, key, nth in [("Hugo Touvron", Qt.Key.Key_1, 0), ("Xavier Martinet", Qt.Key.Key_1, 0),
                           ("Faisal Azhar", Qt.Key.Key_1, 0), ("Meta", Qt.Key.Key_2, 1), ("Mistral", Qt.Key.Key_2, 0),
                           ("Guillaume Lample", Qt.Key.Key_1, 0), ("Timothée Lacroix", Qt.Key.Key_1, 0)]:
        label(qtbot, panel, part, key, nth)
    claim = label(qtbot, panel, "only three, research scientist Hugo Touvron, research engineer Xavier Martinet, "
                                "and technical program leader Faisal Azhar, remain at Meta", Qt.Key.Key_3)
    label(qtbot, panel, "Nowhere is this talent drain more conspicuous than at Mistral", Qt.Key.Key_3)
    panel.gateway.set_attributes(claim.id, {"claimant": "Cryptopolitan", "verdict": "true", "note": ""})
    panel.select_span(claim.id)
    panel.view.verticalScrollBar().setValue(0)


def test_screenshots_light_and_dark(qtbot, panel: AnnotationPanel, screenshot, dark_palette) -> None:
    _annotate_for_screenshot(qtbot, panel)
    panel.span_list.flush()
    QApplication.processEvents()
    assert screenshot(panel, "annotation_panel").exists()

    dark_palette()
    QApplication.processEvents()
    cursor = QTextCursor(panel.view.document())
    cursor.setPosition(panel.view.to_qt(find(panel, "Mistral")[0]) + 1)
    background = cursor.charFormat().background().color()
    assert background.lightnessF() < 0.5  # tints were recomputed for the dark base
    assert screenshot(panel, "annotation_panel_dark").exists()
