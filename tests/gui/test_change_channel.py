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


def in_settings(window, fill) -> None:  # noqa: ANN001
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


def combo_items(combo) -> list[str]:  # noqa: ANN001
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


def test_claim_details_offer_the_verdicts_as_settings_left_them(qtbot, make_window, sample_store):  # noqa: ANN001
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
