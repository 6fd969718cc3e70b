"""The settings dialog and the label editor: real widgets, a real dataset, settings on disk."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QColorDialog, QDialogButtonBox, QMessageBox
from sqlalchemy import text

from app.core.ops import library
from app.core.ops.labels import list_labels
from app.core.ops.span_edits import add_span
from app.core.settings import Settings, load_settings, save_settings
from app.widgets.settings_dialog import SettingsDialog

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def settings() -> Settings:
    s = Settings(annotator="tester")
    save_settings(s)
    return s


@pytest.fixture
def dialog(qtbot, sample_store, settings, gateway):
    d = SettingsDialog(sample_store, settings, gateway)
    qtbot.addWidget(d)
    d.show()
    return d


@pytest.fixture
def messages(monkeypatch):
    """Warnings the widgets show, captured instead of blocking the test on a modal box."""
    shown: list[tuple[str, str]] = []

    def warning(_parent, title, message, *args):
        shown.append((title, message))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    return shown


def ok(qtbot, dialog: SettingsDialog) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), LEFT)


def test_changed_settings_are_saved_on_ok(qtbot, dialog, settings):
    dialog.annotator_edit.setText("  maria  ")
    dialog.timeout_spin.setValue(45)
    dialog.concurrency_spin.setValue(3)
    dialog.max_mb_spin.setValue(2.5)
    dialog.workers_spin.setValue(2)
    dialog.tabs.setCurrentIndex(SettingsDialog.VERDICTS)
    assert not dialog.remove_verdict_button.isEnabled()  # nothing selected
    dialog.verdict_list.setCurrentRow(4)  # "other"
    qtbot.mouseClick(dialog.remove_verdict_button, LEFT)
    dialog.add_verdict()
    dialog.verdict_list.item(dialog.verdict_list.count() - 1).setText("satire")

    with qtbot.waitSignal(dialog.gateway.changes_applied, timeout=2000,
                          check_params_cb=lambda c, initiator: c.touches_setting("verdicts") and initiator is dialog):
        ok(qtbot, dialog)
    assert dialog.result() == dialog.DialogCode.Accepted
    saved = load_settings()
    assert saved.annotator == "maria" and settings.annotator == "maria"
    assert (saved.fetch_timeout, saved.fetch_concurrency, saved.fetch_max_mb, saved.extract_workers) == (45, 3, 2.5, 2)
    assert saved.verdicts == ["unverified", "true", "false", "misleading", "satire"]


def test_cancel_keeps_the_saved_settings_and_an_empty_name_means_the_os_user(qtbot, sample_store, settings,
                                                                            gateway):
    d = SettingsDialog(sample_store, settings, gateway)
    qtbot.addWidget(d)
    d.annotator_edit.setText("someone else")
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Cancel), LEFT)
    assert load_settings().annotator == "tester"

    d = SettingsDialog(sample_store, settings, gateway)
    qtbot.addWidget(d)
    d.annotator_edit.setText("   ")
    ok(qtbot, d)
    assert load_settings().annotator == Settings().annotator == d.annotator_edit.placeholderText()


def test_an_empty_verdict_list_is_refused_in_the_dialog(qtbot, dialog):
    dialog.verdict_list.clear()
    ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.message.isVisible()
    assert "at least one verdict" in dialog.message.text()
    assert dialog.tabs.currentIndex() == SettingsDialog.VERDICTS
    assert load_settings().verdicts == list(Settings().verdicts)


def test_label_editor_adds_refuses_a_taken_key_renames_and_deletes(qtbot, dialog, sample_store, messages,
                                                                   screenshot, monkeypatch):
    editor = dialog.label_editor
    dialog.tabs.setCurrentIndex(SettingsDialog.LABELS)
    changes: list[object] = []
    dialog.gateway.changes_applied.connect(lambda c, _i: changes.append(c) if c.touches_labels() else None)

    # Add LOC with key 4 from the form below the table; Return adds it and keeps the dialog open.
    qtbot.keyClicks(editor.new_key, "4")
    qtbot.keyClicks(editor.new_name, "LOC")
    qtbot.keyClick(editor.new_name, Qt.Key.Key_Return)
    assert messages == [] and dialog.isVisible() and dialog.result() == 0
    loc = next(lb for lb in list_labels(sample_store) if lb.name == "LOC")
    assert (loc.kind, loc.shortcut) == ("entity", "4")
    assert editor.row_of("LOC") == 3 and editor.new_name.text() == ""
    assert changes

    # Key 1 belongs to PERSON: refused with the core's message, and the field shows 4 again.
    key = editor.key_edit("LOC")
    key.selectAll()
    qtbot.keyClicks(key, "1")
    qtbot.keyClick(key, Qt.Key.Key_Return)
    assert len(messages) == 1 and "PERSON" in messages[0][1] and "1" in messages[0][1]
    assert key.text() == "4" and dialog.isVisible()
    assert next(lb for lb in list_labels(sample_store) if lb.name == "LOC").shortcut == "4"
    # A free key is taken.
    key.selectAll()
    qtbot.keyClicks(key, "5")
    qtbot.keyClick(key, Qt.Key.Key_Return)
    assert next(lb for lb in list_labels(sample_store) if lb.name == "LOC").shortcut == "5"

    # Kind and colour.
    editor.kind_combo("LOC").setCurrentIndex(editor.kind_combo("LOC").findData("claim"))
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor("#123456")))
    editor.choose_color(loc.id)
    loc = next(lb for lb in list_labels(sample_store) if lb.name == "LOC")
    assert (loc.kind, loc.color) == ("claim", "#123456")

    # Rename ORG: its spans follow, since they refer to the label's id.
    with sample_store.begin() as conn:
        aid = conn.execute(text("SELECT id FROM article WHERE title = 'Solvane names CEO'")).scalar_one()
    body = library.get_article(sample_store, aid).text
    add_span(sample_store, aid, 0, body.index(" named"), "ORG", annotator="tester")
    row = editor.row_of("ORG")
    editor.table.selectRow(row)
    qtbot.mouseClick(editor.rename_button, LEFT)
    assert editor.table.state() == QAbstractItemView.State.EditingState
    editor.table.closePersistentEditor(editor.table.item(row, editor.NAME))
    editor.table.item(row, editor.NAME).setText("ORGANISATION")  # what committing the editor does
    with sample_store.begin() as conn:
        names = conn.execute(text("SELECT label.name FROM span JOIN label ON label.id = span.label_id")).scalars()
        assert list(names) == ["ORGANISATION"]
    assert "ORG" not in {lb.name for lb in list_labels(sample_store)}

    # A name another label has is refused and the cell shows the old name again.
    editor.table.item(editor.row_of("LOC"), editor.NAME).setText("PERSON")
    assert "already a label called PERSON" in messages[-1][1]
    assert editor.table.item(editor.row_of("LOC"), editor.NAME).text() == "LOC"

    dialog.resize(760, 460)
    screenshot(dialog, "settings_labels")

    # Deleting a label in use is refused; an unused one goes.
    editor.table.selectRow(editor.row_of("ORGANISATION"))
    qtbot.mouseClick(editor.delete_button, LEFT)
    assert "used by 1 span" in messages[-1][1]
    editor.table.selectRow(editor.row_of("LOC"))
    qtbot.mouseClick(editor.delete_button, LEFT)
    assert [lb.name for lb in list_labels(sample_store)] == ["PERSON", "ORGANISATION", "CLAIM"]
    assert editor.table.rowCount() == 3
