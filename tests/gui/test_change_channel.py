"""Settings, label edits and imports reach the views through the gateway's one ``changes_applied`` signal."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit, QPushButton

from app.core.ops import library
from app.core.ops.span_edits import add_span
from app.core.settings import Settings
from app.widgets.settings_dialog import SettingsDialog

LEFT = Qt.MouseButton.LeftButton


def in_settings(window, fill) -> None:
    """Edit ▸ Settings, let ``fill`` work in the dialog as a person would, then press OK."""
    done: list[bool] = []

    def work() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, SettingsDialog)
        try:
            fill(dialog)
        finally:
            QTest.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), LEFT)
            if dialog.isVisible():
                dialog.reject()
            done.append(True)

    QTimer.singleShot(0, work)
    window.actions_by_id["settings"].trigger()
    assert done


def combo_items(combo) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def replace_other_with_satire(dialog: SettingsDialog) -> None:
    """On the Verdicts tab: select "other", Remove, Add, type "satire", Return."""
    dialog.tabs.setCurrentIndex(SettingsDialog.VERDICTS)
    verdicts = dialog.verdict_list
    other = verdicts.findItems("other", Qt.MatchFlag.MatchExactly)[0]
    QTest.mouseClick(verdicts.viewport(), LEFT, pos=verdicts.visualItemRect(other).center())
    QTest.mouseClick(dialog.remove_verdict_button, LEFT)
    page = verdicts.parentWidget()  # the Verdicts tab; the Labels tab has an Add button too
    QTest.mouseClick(next(b for b in page.findChildren(QPushButton) if b.text() == "Add"), LEFT)
    editor = verdicts.viewport().findChild(QLineEdit) or verdicts.findChild(QLineEdit)
    assert editor is not None, "adding a verdict opens it for editing"
    editor.selectAll()
    QTest.keyClicks(editor, "satire")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    QApplication.processEvents()  # the item view stores the edited text from a queued call
    assert [verdicts.item(i).text() for i in range(verdicts.count())][-1] == "satire"


def test_claim_details_offer_the_verdicts_as_settings_left_them(qtbot, make_window, sample_store):
    """The verdict list edited in Settings is what a claim's verdict box offers, without reopening anything."""
    article_id = library.list_article_ids(sample_store, library.ArticleFilter())[0]
    text = library.get_article(sample_store, article_id).text
    claim = add_span(sample_store, article_id, 0, text.index(" "), "CLAIM", annotator="ana",
                     attributes={"claimant": "", "verdict": "unverified", "note": ""}).span_id
    window = make_window(sample_store, Settings(annotator="ana"))
    window.open_article(article_id)
    panel = window.panes.annotation
    panel.select_span(claim)
    details = panel.claim_details
    assert combo_items(details.verdict) == ["unverified", "true", "false", "misleading", "other"]

    in_settings(window, replace_other_with_satire)
    assert window.settings.verdicts == ["unverified", "true", "false", "misleading", "satire"]

    panel.select_span(None)
    panel.select_span(claim)
    assert details.verdict.isEnabled() and details.verdict.currentText() == "unverified"
    assert combo_items(details.verdict) == ["unverified", "true", "false", "misleading", "satire"]


def announced(window) -> list[tuple[object, object]]:
    """Every (changes, initiator) the window's gateway announces, applied and saved."""
    seen: list[tuple[object, object]] = []
    window.gateway.changes_applied.connect(lambda changes, initiator: seen.append((changes, initiator)))
    return seen


def filter_entries(library) -> list[str]:
    return combo_items(library.label_filter)


def test_a_label_renamed_in_settings_reaches_the_library_and_the_panel(qtbot, make_window, sample_store):
    window = make_window(sample_store, Settings(annotator="ana"))
    library, panel = window.panes.library, window.panes.annotation
    assert "Has ORG" in filter_entries(library) and "ORG" in panel.label_bar.buttons
    seen = announced(window)
    editors: list[object] = []

    def rename_org(dialog: SettingsDialog) -> None:
        dialog.tabs.setCurrentIndex(SettingsDialog.LABELS)
        editor = dialog.label_editor
        editors.append(editor)
        editor.table.selectRow(editor.row_of("ORG"))
        QTest.mouseClick(editor.rename_button, LEFT)
        keys = {editor.key_edit(lb.name) for lb in editor.labels()}  # each row's key field is a line edit too
        [field] = [w for w in editor.table.findChildren(QLineEdit) if w not in keys and w.isVisible()]
        field.selectAll()
        QTest.keyClicks(field, "ORGANISATION")
        QTest.keyClick(field, Qt.Key.Key_Return)
        QApplication.processEvents()  # the table stores the edited name from a queued call

    in_settings(window, rename_org)
    labels = [(c, who) for c, who in seen if c.touches_labels()]
    assert [c.saved for c, _ in labels] == [False, True] and labels[0][1] is editors[0]
    assert labels[0][0].labels == ("ORG", "ORGANISATION")
    entries = filter_entries(library)
    assert "Has ORGANISATION" in entries and "Lacks ORGANISATION" in entries and "Has ORG" not in entries
    assert "ORGANISATION" in panel.label_bar.buttons and "ORG" not in panel.label_bar.buttons


def test_the_annotator_set_in_settings_signs_the_next_span(qtbot, make_window, sample_store):
    window = make_window(sample_store, Settings(annotator="ana"))
    seen = announced(window)

    def rename_annotator(dialog: SettingsDialog) -> None:
        dialog.annotator_edit.selectAll()
        QTest.keyClicks(dialog.annotator_edit, "maria")

    in_settings(window, rename_annotator)
    settings_changes = [c for c, _ in seen if c.has(c.kind.SETTINGS_CHANGED)]
    assert settings_changes and settings_changes[0].settings == ("annotator",)
    article_id = library.list_article_ids(sample_store, library.ArticleFilter())[0]
    change = window.gateway.add_span(article_id, 0, 4, "ORG")
    assert change is not None and change.after["annotator"] == "maria"


def test_an_import_reaches_the_library_and_the_status_bar(qtbot, make_window, sample_store, tmp_path):
    window = make_window(sample_store, Settings(annotator="ana", extract_workers=1))
    library_view, pane = window.panes.library, window.panes.import_pane
    qtbot.waitUntil(lambda: library_view.model.rowCount() == 3)
    seen = announced(window)
    story = tmp_path / "story.txt"
    story.write_text("Ferry news\n\nThe harbour ferry runs again on Monday, the port said.", encoding="utf-8")
    with qtbot.waitSignal(pane.import_finished, timeout=30000) as finished:
        pane.start_import([str(story)])
    [new_id] = [o.article_id for o in finished.args[0].outcomes if o.outcome == "imported"]
    added = [(c, who) for c, who in seen if c.has(c.kind.ARTICLES_ADDED)]
    assert [c.saved for c, _ in added] == [False, True] and all(who is pane for _, who in added)
    assert added[0][0].touches_article(new_id)
    qtbot.waitUntil(lambda: new_id in library_view.model.article_ids())
    assert window._status.text().startswith("4 articles")
