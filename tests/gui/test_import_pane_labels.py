"""The import pane says which labels an import created, where it shows the import's summary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from app.core.settings import Settings
from app.widgets.edits import EditGateway
from app.widgets.import_pane import ImportPane
from app.widgets.tasks import wait_for_all

TEXT = "Hugo Touvron left Meta for Mistral in Paris."


@pytest.fixture
def pane(qtbot, store) -> Iterator[ImportPane]:
    gateway = EditGateway(store, "tester")
    widget = ImportPane(store, Settings(annotator="tester", extract_workers=1), gateway)
    qtbot.addWidget(widget)
    widget.resize(900, 720)
    widget.show()
    yield widget
    assert wait_for_all(10_000)
    gateway.close()


def test_summary_names_a_created_label(qtbot, pane, tmp_path: Path, monkeypatch, screenshot) -> None:
    path = tmp_path / "spans.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps({"text": f"{TEXT} Story {n}.", "spans": [
        {"start": 0, "end": 12, "label": "person"}, {"start": 39, "end": 44, "label": "City"}]}) for n in range(3)))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(path)], "")))

    with qtbot.waitSignal(pane.import_finished, timeout=60_000):
        qtbot.mouseClick(pane.files_button, Qt.MouseButton.LeftButton)

    assert pane.summary.text() == ("Imported 3 · 0 duplicates · 0 failed\n"
                                   "Created label City for 3 spans (the dataset had no label of that name).")
    # Both lines are on screen, not cut off by the layout.
    qtbot.waitUntil(lambda: pane.summary.height() >= 2 * pane.summary.fontMetrics().lineSpacing())
    assert pane.summary.isVisible() and not pane.summary.grab().isNull()
    screenshot(pane, "import_pane_created_label")
