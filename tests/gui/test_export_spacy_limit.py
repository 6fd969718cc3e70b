"""The export dialog names the articles spaCy refuses by default (nlp.max_length)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from app.core.ingest.storing import store_articles
from app.core.settings import Settings
from app.core.validation import NewArticle
from app.widgets.tasks import wait_for_all

SPACY_MAX_LENGTH = 1_000_000  # spaCy's nlp.max_length default


def test_export_dialog_shows_which_articles_are_too_long_for_spacy(qtbot, store, sample_text: str,
                                                                    tmp_path: Path) -> None:
    from app.widgets.export_dialog import ExportDialog

    title, _, body = sample_text.partition("\n")
    long_body = (body.strip() + "\n\n") * (SPACY_MAX_LENGTH // len(body) + 1)
    results = store_articles(store, [
        NewArticle(text=long_body, title=f"Long {title}", source_kind="paste"),
        NewArticle(text=body.strip(), title=title, source_kind="paste"),
    ])
    long_uid = results[0].uid
    dialog = ExportDialog(store, Settings(annotator="tester"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.format_buttons["spacy"].setChecked(True)
    dialog.path_edit.setText(str(tmp_path / "spacy.jsonl"))
    with qtbot.waitSignal(dialog.export_finished, timeout=30_000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    shown = dialog.result_label.text()
    assert (f"1 article is longer than spaCy's default limit of 1,000,000 characters (nlp.max_length): "
            f"ids {long_uid}; raise nlp.max_length before loading.") in shown
    assert dialog.result_box.isVisible()
    assert wait_for_all(10_000)
