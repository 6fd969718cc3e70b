"""The export dialog writes the token-level formats, and a manifest and dataset card beside every export."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from tests.gui.test_import_export import export_dialog, labelled_store, settings  # noqa: F401 - fixtures

LEFT = Qt.MouseButton.LeftButton


def test_conll_with_a_split_writes_a_file_per_split_and_the_manifest(qtbot, export_dialog, tmp_path,  # noqa: F811
                                                                     screenshot):
    from app.core.export.manifest import verify_manifest

    dialog = export_dialog
    dialog.format_buttons["conll"].setChecked(True)
    dialog.split_box.setChecked(True)
    assert dialog.split_files_check.isChecked() and not dialog.split_files_check.isEnabled()
    dialog.path_edit.setText(str(tmp_path / "ner.conll"))
    with qtbot.waitSignal(dialog.export_finished, timeout=30_000) as blocker:
        qtbot.mouseClick(dialog.export_button, LEFT)
    summary = blocker.args[0]
    assert [p.name for p in summary.paths] == ["ner.train.conll", "ner.dev.conll", "ner.test.conll"]
    assert summary.spans_written == 5 and summary.left_out == []
    manifest = json.loads((tmp_path / "ner.manifest.json").read_text(encoding="utf-8"))
    assert manifest["export"]["format"] == "conll" and manifest["split"]["seed"] == dialog.seed_spin.value()
    assert verify_manifest(tmp_path / "ner.manifest.json") == (3, [])
    assert (tmp_path / "ner.README.md").is_file()
    assert "Saved as ner.train.conll, ner.dev.conll, ner.test.conll" in dialog.result_label.text()
    screenshot(dialog, "export_dialog_conll")


def test_replacing_a_token_export_asks_about_its_split_files(qtbot, export_dialog, tmp_path,  # noqa: F811
                                                             monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    dialog = export_dialog
    (tmp_path / "ner.dev.jsonl").write_text("keep\n", encoding="utf-8")
    dialog.format_buttons["hf"].setChecked(True)
    dialog.split_box.setChecked(True)
    dialog.path_edit.setText(str(tmp_path / "ner.jsonl"))
    asked = []
    monkeypatch.setattr(QMessageBox, "question", staticmethod(
        lambda _parent, _title, text: asked.append(text) or QMessageBox.StandardButton.No))
    assert not dialog.export()
    assert asked == ["Replace ner.dev.jsonl?"]
