"""The export dialog names the file as the format's reader looks for it: spacy train finds the .spacy file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from tests.gui.test_import_export import export_dialog, labelled_store, settings  # noqa: F401 - fixtures

LEFT = Qt.MouseButton.LeftButton


def test_the_suggested_name_follows_the_format_and_spacy_train_finds_the_file(
        qtbot, labelled_store, settings, tmp_path, monkeypatch) -> None:  # noqa: F811
    from spacy.training.corpus import walk_corpus

    from app.widgets.export_dialog import ExportDialog

    monkeypatch.setenv("HOME", str(tmp_path))  # the default destination is in the home folder
    (tmp_path / "Documents").mkdir()
    dialog = ExportDialog(labelled_store, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    suggested = Path(dialog.path_edit.text())
    assert suggested.parent == tmp_path / "Documents" and suggested.suffix == ".jsonl"

    qtbot.mouseClick(dialog.format_buttons["labelstudio"], LEFT)
    assert Path(dialog.path_edit.text()) == suggested.with_suffix(".json")
    qtbot.mouseClick(dialog.format_buttons["conll"], LEFT)
    assert Path(dialog.path_edit.text()) == suggested.with_suffix(".conll")
    qtbot.mouseClick(dialog.format_buttons["spacy-docbin"], LEFT)
    assert Path(dialog.path_edit.text()) == suggested.with_suffix(".spacy")
    assert "name.train.spacy" in dialog.split_files_check.text()

    with qtbot.waitSignal(dialog.export_finished, timeout=60_000) as blocker:
        qtbot.mouseClick(dialog.export_button, LEFT)
    assert blocker.args[0].paths == [suggested.with_suffix(".spacy")]
    assert walk_corpus(tmp_path / "Documents", ".spacy") == [suggested.with_suffix(".spacy")]

    # With a split, each split file keeps the extension: spacy train finds all three.
    dialog.split_box.setChecked(True)
    with qtbot.waitSignal(dialog.export_finished, timeout=60_000) as blocker:
        assert dialog.export()
    stem = suggested.stem
    assert [p.name for p in blocker.args[0].paths] == [f"{stem}.train.spacy", f"{stem}.dev.spacy",
                                                      f"{stem}.test.spacy"]
    assert {p.name for p in walk_corpus(tmp_path / "Documents", ".spacy")} >= {p.name for p in blocker.args[0].paths}


def test_the_file_dialog_offers_the_formats_files_and_adds_its_extension(export_dialog, tmp_path,  # noqa: F811
                                                                         monkeypatch) -> None:
    dialog = export_dialog
    dialog.format_buttons["spacy-docbin"].setChecked(True)
    offered = []

    def choose(_parent, _title, _start, filters):
        offered.append(filters)
        return str(tmp_path / "train"), filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(choose))
    dialog.browse_button.click()
    assert offered == ["spaCy DocBin (*.spacy);;All files (*)"]
    assert dialog.path_edit.text() == str(tmp_path / "train.spacy")


def test_a_name_typed_with_another_extension_is_written_as_the_format_names_it(qtbot, export_dialog,  # noqa: F811
                                                                               tmp_path) -> None:
    dialog = export_dialog
    dialog.format_buttons["claimreview"].setChecked(True)
    dialog.path_edit.setText(str(tmp_path / "reviews.jsonl"))
    with qtbot.waitSignal(dialog.export_finished, timeout=30_000) as blocker:
        assert dialog.export()
    assert blocker.args[0].paths == [tmp_path / "reviews.json"]
    assert dialog.path_edit.text() == str(tmp_path / "reviews.json")
    assert not (tmp_path / "reviews.jsonl").exists()
