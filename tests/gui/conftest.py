"""GUI fixtures: real widgets, offscreen, each test with its own dataset, settings and QSettings."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


@pytest.fixture(autouse=True, scope="session")
def frozen_imports(qapp) -> None:
    """What the imports made, out of the cycle collector's sight for the rest of the run.

    Each test ends with a full collection (below); walking the ~150,000 objects of the
    imported modules again each time cost a tenth of a second a test. They live as long
    as the process anyway; what the tests make is collected as before.
    """
    import app.cli
    import app.widgets.app  # noqa: F401 -- imports every window module

    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def isolated_qsettings(isolated_home: Path, qapp) -> Iterator[None]:
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(isolated_home / "qsettings"))
    yield
    # A test's Qt objects caught in reference cycles are freed here, on the GUI thread. Left to
    # the cycle collector, they may be freed on whichever thread next allocates (a background
    # task, the edit writer): a QTimer freed there stays registered and later fires into freed memory.
    gc.collect()


@pytest.fixture
def sample_store(store, sample_text):
    """A dataset holding the sample article and two short ones."""
    from app.core.ingest.storing import store_articles
    from app.core.validation import NewArticle

    title, _, body = sample_text.partition("\n")
    store_articles(
        store,
        [
            NewArticle(text=body.strip(), title=title.strip(), url="https://example.org/meta-llama",
                       site_name="Cryptopolitan", author="Staff", published="2025-05-27", language="en",
                       source_kind="url", source="https://example.org/meta-llama"),
            NewArticle(text="Mayor Elena Vasquez said Harbor City Council approved the library. "
                            "Northgate Builders will build it.", title="Harbor City library", source_kind="paste"),
            NewArticle(text="Solvane Robotics named Priya Raman chief executive on Monday, the company said.",
                       title="Solvane names CEO", source_kind="paste"),
        ],
    )
    return store


@pytest.fixture
def gateway(sample_store, qapp):
    from app.widgets.edits import EditGateway

    gateway = EditGateway(sample_store, annotator="tester")
    yield gateway
    gateway.close()


@pytest.fixture
def screenshot():
    """Save a widget's picture under tests/screenshots/ for people to look at."""

    def save(widget, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        assert widget.grab().save(str(path))
        return path

    return save


@pytest.fixture
def make_window(qtbot, db_path):
    """A MainWindow factory; every window is closed at the end and no top-level widget leaks."""
    from PySide6.QtWidgets import QApplication

    from app.core.db.store import open_store
    from app.core.settings import Settings
    from app.widgets.main_window import MainWindow

    made = []
    before = {id(w) for w in QApplication.topLevelWidgets()}

    def make(store=None, settings=None):
        store = store or open_store(db_path)
        window = MainWindow(store, settings or Settings(annotator="ana"))
        qtbot.addWidget(window)
        window.resize(1400, 860)
        window.show()
        qtbot.waitExposed(window)
        made.append(window)
        return window

    yield make
    for window in made:
        window.close()
        window.store.close()
    QApplication.processEvents()
    leaked = [w for w in QApplication.topLevelWidgets()
              if id(w) not in before and w.isVisible() and w not in made]
    assert not leaked, f"leaked top-level widgets: {leaked}"


@pytest.fixture
def dark_palette(qapp):
    """A callable that switches the application to a dark palette; the light one comes back after the test."""
    from PySide6.QtGui import QColor, QPalette

    light = qapp.palette()
    dark = QPalette()
    role = QPalette.ColorRole
    for which, colour in [(role.Window, "#202124"), (role.WindowText, "#e8eaed"), (role.Base, "#17181a"),
                          (role.AlternateBase, "#26272b"), (role.Text, "#e8eaed"), (role.Button, "#2d2e31"),
                          (role.ButtonText, "#e8eaed"), (role.Highlight, "#3b6fd8"),
                          (role.HighlightedText, "#ffffff"), (role.Link, "#8ab4f8"),
                          (role.ToolTipBase, "#2d2e31"), (role.ToolTipText, "#e8eaed"),
                          (role.PlaceholderText, "#9aa0a6")]:
        dark.setColor(which, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    dark.setColor(disabled, role.Text, QColor("#80868b"))
    dark.setColor(disabled, role.WindowText, QColor("#9aa0a6"))
    dark.setColor(disabled, role.ButtonText, QColor("#80868b"))
    yield lambda: qapp.setPalette(dark)
    qapp.setPalette(light)


@pytest.fixture
def claims_path(tmp_path: Path) -> Path:
    """The sample dataset with claims whose claimants are linked, with verdicts and dates (claims_data.py)."""
    from tests.gui.claims_data import make_claims_dataset

    return make_claims_dataset(tmp_path)
