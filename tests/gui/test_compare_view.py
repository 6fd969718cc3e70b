"""Near copies in the window: the library's column, filter and menu, the compare view, spans carried over."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtWidgets import QMenu, QMessageBox

from app.core.ingest.storing import store_articles
from app.core.suggest import service
from app.core.validation import NewArticle, NewSpan
from app.widgets import compare_view, near_copy_menu

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def syndicated(sample_text: str) -> tuple[NewArticle, NewArticle]:
    """The sample story as its own site ran it (with spans), and as a wire copy elsewhere: another
    headline, a sentence added, a paragraph left out, a word changed, the other site's boilerplate."""
    title, _, body = sample_text.partition("\n")
    body = body.strip()
    paragraphs = body.split("\n\n")
    copy = list(paragraphs)
    copy.insert(2, "Meta did not respond to a request for comment on Tuesday.")
    del copy[6]
    copy[3] = copy[3].replace("only three", "just three")
    copy_text = "By Wire Staff | Updated 2 hours ago\n\n" + "\n\n".join(copy) + "\n\nRead more stories on wire.example."
    marks = []
    for name, label in (("Hugo Touvron", "PERSON"), ("Xavier Martinet", "PERSON"), ("Mistral", "ORG"),
                        ("Guillaume Lample", "PERSON")):
        start = body.index(name)
        marks.append(NewSpan(start=start, end=start + len(name), label=label))
    original = NewArticle(text=body, title=title.strip(), site_name="Cryptopolitan", url="https://example.org/llama",
                          source_kind="url", spans=marks)
    wire = NewArticle(text=copy_text, title="Meta's Llama team has largely left, paper shows", site_name="Wire",
                      url="https://wire.example/llama", source_kind="url")
    return original, wire


def test_two_near_copies_are_listed_compared_and_their_spans_carried_over(make_window, store, sample_text, qtbot,
                                                                          monkeypatch):
    original, wire = syndicated(sample_text)
    first, second = store_articles(store, [original, wire])
    assert second.near_copy_of == first.article_id and "% similar" in second.reason
    store_articles(store, [NewArticle(text="Something else entirely.", title="Other", source_kind="paste")])
    window = make_window(store)
    view = window.panes.library
    qtbot.waitUntil(lambda: not view.model.is_loading and view.model.rowCount() == 3)
    near = next(c for c, spec in enumerate(view.model.columns) if spec.header == "Near copies")
    shown = [view.model.index(r, near).data() for r in range(3)]
    assert sorted(shown) == ["", "1", "1"]

    view.select_article(second.article_id)
    menu = QMenu(view)
    near_copy_menu.add_near_copy_actions(menu, view, [second.article_id])
    assert [a.text() for a in menu.actions()] == ["Show Its 1 Near Copy", "Compare with Near Copy…",
                                                  "Copy Spans from Near Copy"]
    menu.actions()[0].trigger()
    qtbot.waitUntil(lambda: not view.model.is_loading and view.model.rowCount() == 2)
    assert view.label_filter.currentText() == f"Near copies of “{wire.title}”"

    dialog = near_copy_menu.open_compare(view, first.article_id, second.article_id)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.comparing is None)  # compared in the background
    assert "% similar" in dialog.summary.text()
    left, right = (pane.toHtml() for pane in dialog.panes)
    assert "background" in left and "background" in right and "Tuesday" in right
    dialog.resize(1400, 820)
    qtbot.waitExposed(dialog)
    DOCS.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(DOCS / "compare_view.png"))

    shown_boxes = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown_boxes.append((box.text(), box.detailedText())))
    dialog.copy_button.click()
    # The paragraph naming Mistral and Lample is not in the wire copy.
    assert shown_boxes == [(f"2 spans of ‘{original.title}’ offered as suggestions; 2 could not be placed.",
                            "“Mistral” (ORG): its words were changed or left out in this copy.\n"
                            "“Guillaume Lample” (PERSON): its words were changed or left out in this copy.")]
    layer = service.stored_suggestions(store, second.article_id)
    assert sorted(wire.text[s["start"] : s["end"]] for s in layer) == ["Hugo Touvron", "Xavier Martinet"]
    dialog.close()


def test_a_cluster_left_with_one_article_offers_no_near_copy_actions(make_window, store, sample_text, qtbot):
    from app.core.ops import span_edits

    first, second = store_articles(store, list(syndicated(sample_text)))
    assert second.near_copy_of == first.article_id
    span_edits.delete_articles(store, [first.article_id])
    window = make_window(store)
    view = window.panes.library
    qtbot.waitUntil(lambda: not view.model.is_loading and view.model.rowCount() == 1)
    menu = QMenu(view)
    near_copy_menu.add_near_copy_actions(menu, view, [second.article_id])
    assert menu.actions() == []


def test_a_read_only_dataset_offers_no_copying_of_spans(make_window, store, db_path, sample_text, qtbot,
                                                        monkeypatch):
    from app.core.db import sqlite_file
    from app.core.db import store as store_module

    first, second = store_articles(store, list(syndicated(sample_text)))
    store.close()
    monkeypatch.setattr(sqlite_file, "writable", lambda path: False)
    read_only = store_module.open_store(db_path)
    assert read_only.read_only
    window = make_window(read_only)
    view = window.panes.library
    qtbot.waitUntil(lambda: not view.model.is_loading and view.model.rowCount() == 2)
    menu = QMenu(view)
    near_copy_menu.add_near_copy_actions(menu, view, [second.article_id])
    assert [a.text() for a in menu.actions()] == ["Show Its 1 Near Copy", "Compare with Near Copy…"]
    dialog = near_copy_menu.open_compare(view, first.article_id, second.article_id)
    qtbot.addWidget(dialog)
    assert not dialog.copy_button.isEnabled()
    dialog.close()
    # Should a copy be asked for all the same, it is refused with a sentence, not an unhandled error.
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, message: warned.append(message))
    near_copy_menu.copy_spans(view, second.article_id, first.article_id)
    assert len(warned) == 1 and warned[0].startswith("The spans could not be offered: ")


def test_the_compare_view_shows_the_texts_at_once_and_compares_them_in_the_background(store, sample_text, qtbot,
                                                                                        monkeypatch):
    first, second = store_articles(store, list(syndicated(sample_text)))
    threads: list[bool] = []
    real = compare_view.word_diff

    def word_diff(left: str, right: str):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(left, right)

    monkeypatch.setattr(compare_view, "word_diff", word_diff)
    dialog = compare_view.CompareView(store, first.article_id, second.article_id)
    qtbot.addWidget(dialog)
    assert "Tuesday" in dialog.panes[1].toPlainText()  # the texts, before any comparison
    qtbot.waitUntil(lambda: "% similar" in dialog.summary.text())
    assert threads == [False]
    assert all("background" in pane.toHtml() for pane in dialog.panes)
