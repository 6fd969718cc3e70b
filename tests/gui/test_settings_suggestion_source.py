"""The settings dialog's "Suggestions from" row: this dataset's labels, or an installed spaCy pipeline."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.core.settings import Settings, load_settings, save_settings
from app.core.suggest import spacy_source
from app.widgets import settings_dialog
from app.widgets.settings_dialog import SettingsDialog


@pytest.fixture
def open_dialog(qtbot, sample_store, gateway):
    def open_with(settings: Settings) -> SettingsDialog:
        save_settings(settings)
        dialog = SettingsDialog(sample_store, settings, gateway)
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog

    return open_with


def entries(dialog: SettingsDialog) -> list[tuple[str, object, bool]]:
    combo = dialog.source_combo
    model = combo.model()
    return [(combo.itemText(i), combo.itemData(i), model.item(i).isEnabled()) for i in range(combo.count())]


def test_an_installed_pipeline_can_be_chosen_and_is_saved(qtbot, open_dialog, monkeypatch):
    monkeypatch.setattr(settings_dialog, "installed_pipelines", lambda: ["en_core_web_sm"])
    monkeypatch.setattr(settings_dialog, "spacy_installed", lambda: True)
    dialog = open_dialog(Settings(annotator="tester"))
    assert entries(dialog) == [("This dataset's labels", "dataset", True),
                               ("This dataset's labels + spaCy pipeline en_core_web_sm", "spacy:en_core_web_sm", True)]
    assert dialog.source_combo.currentIndex() == 0
    dialog.source_combo.setCurrentIndex(1)
    with qtbot.waitSignal(dialog.gateway.changes_applied, timeout=2000,
                          check_params_cb=lambda c, _i: c.touches_setting("suggestion_source")):
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert load_settings().suggestion_source == "spacy:en_core_web_sm"


def test_without_spacy_the_pipelines_entry_is_disabled_and_explained(open_dialog, monkeypatch, screenshot):
    monkeypatch.setattr(spacy_source, "spacy_installed", lambda: False)
    monkeypatch.setattr(settings_dialog, "spacy_installed", lambda: False)
    dialog = open_dialog(Settings(annotator="tester"))
    assert entries(dialog) == [("This dataset's labels", "dataset", True),
                               ("spaCy pipelines: spaCy is not installed", None, False)]
    assert "pip install 'article-curator[spacy]'" in dialog.source_note.text()
    assert "python -m spacy download en_core_web_sm" in dialog.source_note.text()
    screenshot(dialog, "settings-suggestion-source-without-spacy")


def test_a_chosen_pipeline_no_longer_installed_stays_chosen(qtbot, open_dialog, monkeypatch):
    monkeypatch.setattr(settings_dialog, "installed_pipelines", lambda: [])
    monkeypatch.setattr(settings_dialog, "spacy_installed", lambda: True)
    dialog = open_dialog(Settings(annotator="tester", suggestion_source="spacy:en_core_web_md"))
    assert entries(dialog) == [
        ("This dataset's labels", "dataset", True),
        ("This dataset's labels + spaCy pipeline en_core_web_md (not installed)", "spacy:en_core_web_md", True),
        ("spaCy pipelines: none installed", None, False)]
    assert dialog.source_combo.currentData() == "spacy:en_core_web_md"
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert load_settings().suggestion_source == "spacy:en_core_web_md"
