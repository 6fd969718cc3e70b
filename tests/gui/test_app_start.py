"""Starting the desktop app as a user does: the smoke test's quick start, icon, and the datasets it cannot open."""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from app import APP_ID
from app.core.db.dataset_lock import acquire, lock_path_for
from app.core.db.store import open_store
from app.core.ops import library
from app.core.paths import default_dataset_path
from app.widgets import app as app_module
from app.widgets.main_window import MainWindow
from tests.app_process import run_app
from tests.unit.test_dataset_lock import held_by_another_process
from tests.unit.test_store_open_errors import make_dataset, overwrite
from tests.x_server import x_server


def visible_windows() -> list[MainWindow]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """Every message box run_gui shows: (kind, title, text)."""
    shown: list[tuple[str, str, str]] = []
    for kind in ("critical", "warning"):
        def record(parent, title, text, *args, _kind=kind, **kwargs):
            shown.append((_kind, title, text))
            return QMessageBox.StandardButton.Ok
        monkeypatch.setattr(QMessageBox, kind, record)
    return shown


@pytest.fixture
def start(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., int]]:
    """run_gui in this process; ``during(window)`` runs instead of the event loop, then the window closes.

    run_gui sets up logging into the test's home folder: the root logger's handlers
    are put back afterwards, so later tests do not log into this one's folder.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def run(db: str | None, during: Callable[[MainWindow], None] = lambda _w: None) -> int:
        def fake_exec(_self=None) -> int:
            [window] = visible_windows()
            during(window)
            for w in visible_windows():
                w.close()
            return 0

        monkeypatch.setattr(QApplication, "exec", fake_exec)
        return app_module.run_gui(db)

    yield run
    gc.unfreeze()
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


# --- a real process ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_quit_after_starts_the_app_and_quits_cleanly(tmp_path: Path, isolated_home: Path) -> None:
    """The packaging smoke test: QT_QPA_PLATFORM=offscreen article-curator --db x.sqlite --quit-after 2."""
    db = tmp_path / "x.sqlite"
    began = time.monotonic()
    result = run_app("--db", str(db), "--quit-after", "1", home=isolated_home,
                     env_changes={"QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - began < 60
    assert "Traceback" not in result.stderr
    assert db.is_file()
    assert not lock_path_for(db).exists()  # the lock went with the window
    log = (isolated_home / "logs" / "article-curator.log").read_text(encoding="utf-8")
    assert "Article Curator" in log and "starting" in log


@pytest.mark.slow
def test_quit_after_takes_a_positive_number(isolated_home: Path) -> None:
    result = run_app("--quit-after", "soon", home=isolated_home, env_changes={"QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 2 and "not a number of seconds" in result.stderr
    assert "--quit-after" not in run_app("--help", home=isolated_home, env_changes={}).stdout  # hidden


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is for Linux")
def test_starts_on_a_real_x_server(tmp_path: Path, isolated_home: Path) -> None:
    with x_server() as display:  # our own server, on a display number nobody else had
        result = run_app("--db", str(tmp_path / "x.sqlite"), "--quit-after", "1", home=isolated_home,
                         env_changes={"DISPLAY": display, "QT_QPA_PLATFORM": None, "WAYLAND_DISPLAY": None,
                                      "XDG_SESSION_TYPE": None})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "qt.qpa.plugin" not in result.stderr


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 is for Linux")
def test_each_x_server_of_the_tests_gets_a_display_of_its_own() -> None:
    """Two at once (two test runs on one machine, say): neither lands on the other's display."""
    with x_server() as first, x_server() as second:
        assert first != second
        for display in (first, second):
            assert Path(f"/tmp/.X11-unix/X{display.lstrip(':')}").is_socket()


def test_quit_after_in_process(tmp_path: Path) -> None:
    try:
        assert app_module.run_gui(str(tmp_path / "x.sqlite"), quit_after=0.3) == 0
    finally:
        gc.unfreeze()
    assert visible_windows() == []


# --- icon, desktop file name, handlers ---------------------------------------------------------------


def make_resources(folder: Path) -> Path:
    icons = folder / "icons"
    icons.mkdir(parents=True)
    (icons / f"{APP_ID}.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
        '<rect width="64" height="64" rx="12" fill="#3465a4"/></svg>', encoding="utf-8")
    for size in (16, 32, 48, 256):
        apps = icons / "hicolor" / f"{size}x{size}" / "apps"
        apps.mkdir(parents=True)
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(QColor("#f57900"))  # unlike the SVG, to tell which one Qt picked
        assert image.save(str(apps / f"{APP_ID}.png"))
    return folder


def test_window_icon_desktop_name_and_error_handler(tmp_path: Path, start, monkeypatch) -> None:
    from app import resources

    folder = make_resources(tmp_path / "resources")
    monkeypatch.setattr(resources, "_candidates", lambda: [folder])
    db = tmp_path / "x.sqlite"
    hooks = (sys.excepthook,)
    seen = {}

    def during(window: MainWindow) -> None:
        seen["desktop"] = QGuiApplication.desktopFileName()
        icon = QApplication.windowIcon()
        seen["colours"] = {size: icon.pixmap(size).toImage().pixelColor(size // 2, size // 2).name()
                           for size in (16, 48, 128)}
        seen["window_icon"] = not window.windowIcon().isNull()
        seen["hook"] = getattr(sys.excepthook, "__self__", None).__class__.__name__
        with pytest.raises(Exception, match="is already open in this window"):
            open_store(db, exclusive=True)  # the window holds the dataset's lock

    assert start(str(db), during) == 0
    assert seen["desktop"] == APP_ID
    # The PNGs where their sizes are asked for, the SVG drawn at any other size.
    assert seen["colours"] == {16: "#f57900", 48: "#f57900", 128: "#3465a4"}
    assert seen["window_icon"]
    assert seen["hook"] == "ErrorReporter"
    assert (sys.excepthook,) == hooks  # handed back when the app ends
    with acquire(db):  # and the lock is free again
        pass


def test_the_garbage_collector_rests_until_the_window_has_painted(tmp_path: Path, start, qtbot) -> None:
    """Starting allocates much and frees little: the collector runs again once the rows are painted."""
    during_start: list[bool] = []

    def during(window: MainWindow) -> None:
        during_start.append(gc.isenabled())
        qtbot.waitUntil(gc.isenabled, timeout=10000)  # the first paint wakes it

    assert start(str(make_dataset(tmp_path / "x.sqlite", articles=5)), during) == 0
    assert during_start == [False]
    assert gc.isenabled()


def test_a_missing_icon_is_logged_not_fatal(tmp_path: Path, start, monkeypatch, caplog) -> None:
    from app import resources

    empty = tmp_path / "resources"
    empty.mkdir()
    monkeypatch.setattr(resources, "_candidates", lambda: [empty])
    assert app_module.app_icon().isNull()
    assert "No app icon" in caplog.text
    assert start(str(tmp_path / "x.sqlite")) == 0


# --- datasets that cannot be opened at start -----------------------------------------------------


@pytest.mark.slow
def test_a_dataset_open_in_another_process(tmp_path: Path, start, boxes) -> None:
    db = tmp_path / "shared.sqlite"
    seen = {}
    with held_by_another_process(db) as proc:
        assert start(str(db), lambda w: seen.setdefault("store", w.store.path)) == 0
    [(kind, _title, text)] = boxes
    assert kind == "critical"
    assert text == (f"{db} is open in another Article Curator window (process {proc.pid}). Close it there, "
                    "or open another dataset.\n\nThe default dataset is opened instead.")
    assert seen["store"] == default_dataset_path().resolve()


def test_a_file_that_is_not_a_dataset(tmp_path: Path, start, boxes) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("Not a dataset.\n", encoding="utf-8")
    assert start(str(bogus)) == 0
    [(kind, _title, text)] = boxes
    assert kind == "critical"
    assert text.startswith(f"{bogus} is not an Article Curator dataset")
    assert text.endswith("The default dataset is opened instead.")
    assert bogus.read_text(encoding="utf-8") == "Not a dataset.\n"


def test_nothing_to_open_ends_with_a_message_and_status_1(tmp_path: Path, start, boxes) -> None:
    bogus = tmp_path / "photo.sqlite"
    bogus.write_bytes(os.urandom(4096))
    default = default_dataset_path()
    default.parent.mkdir(parents=True, exist_ok=True)
    default.write_bytes(os.urandom(4096))
    assert start(str(bogus)) == app_module.EXIT_NO_DATASET
    [(kind, _title, text)] = boxes
    assert kind == "critical"
    assert str(bogus) in text and str(default.resolve()) in text
    assert "cannot start without a dataset" in text and "--db FILE" in text
    assert visible_windows() == []
    assert gc.isenabled()  # rested during the start, which ended without a window


@pytest.mark.qt_no_exception_capture  # the library's rows cannot be read either: the app's handler reports it
def test_a_damaged_dataset_is_reported_after_start(tmp_path: Path, qtbot, start, boxes) -> None:
    db = make_dataset(tmp_path / "damaged.sqlite")
    overwrite(db, db.stat().st_size // 4096 // 2 * 4096, 4 * 4096)

    def during(window: MainWindow) -> None:
        qtbot.waitUntil(lambda: bool(boxes), timeout=10000)  # the check runs in the background

    assert start(str(db), during) == 0
    [(kind, title, text)] = boxes
    assert (kind, title) == ("warning", "Damaged Dataset")
    assert text.startswith(f"{db} is damaged (") and "Export what you still need" in text


def test_an_older_dataset_gets_its_export_span_lists_after_start(tmp_path: Path, qtbot, start, boxes) -> None:
    from sqlalchemy import text

    from tests.unit.test_migrations import _create_at_first_revision

    db = tmp_path / "old.sqlite"
    _create_at_first_revision(db)

    def cached() -> set[int]:
        with open_store(db) as store, store.begin() as conn:
            return {r[0] for r in conn.execute(text("SELECT article_id FROM article_span_json"))}

    def during(window: MainWindow) -> None:
        qtbot.waitUntil(lambda: cached() == {1, 2}, timeout=10000)  # after the integrity check

    assert start(str(db), during) == 0
    assert boxes == []


def test_a_dataset_from_before_near_copies_is_signed_and_clustered_after_start(tmp_path: Path, qtbot, start,
                                                                               boxes) -> None:
    from sqlalchemy import text

    from app.core.db import migrations
    from app.core.db.store import create_store_engine
    from app.core.paths import resolve_dataset
    from tests.unit.test_near_copies import BASE, COPY, OTHER

    db = tmp_path / "old.sqlite"
    engine = create_store_engine(resolve_dataset(db))
    migrations.upgrade(engine, "0011")
    with engine.begin() as conn:
        for i, body in enumerate([BASE, OTHER, COPY], 1):
            conn.execute(text(
                "INSERT INTO article (id, uid, title, text, text_hash, source_kind, status, created_at, updated_at) "
                "VALUES (:i, :u, :ti, :t, :h, 'paste', 'new', '2026-11-30', '2026-11-30')"),
                {"i": i, "u": f"a{i}", "ti": f"T{i}", "t": body, "h": f"{i:064d}"})
    engine.dispose()

    def clusters() -> dict[int, int | None]:
        with open_store(db) as store, store.begin() as conn:
            return dict(conn.execute(text("SELECT article_id, cluster_id FROM article_signature")).all())

    def during(window: MainWindow) -> None:
        qtbot.waitUntil(lambda: clusters() == {1: 1, 2: None, 3: 1}, timeout=10000)  # in the background
        qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Near copies found: 2 articles"),
                        timeout=5000)

    assert start(str(db), during) == 0
    assert boxes == []


# --- switching datasets ------------------------------------------------------------------------------


@pytest.mark.slow
def test_switching_to_a_dataset_open_elsewhere_keeps_the_window(tmp_path: Path, start, boxes) -> None:
    first, other = tmp_path / "first.sqlite", tmp_path / "other.sqlite"
    seen = {}

    def during(window: MainWindow) -> None:
        with held_by_another_process(other) as proc:
            seen["pid"] = proc.pid
            window.switch_dataset(str(other))
            QApplication.processEvents()
        seen["after"] = [w.store.path for w in visible_windows()]
        window.switch_dataset(str(first))  # the one already open: nothing to do
        QApplication.processEvents()
        seen["status"] = window.statusBar().currentMessage()
        seen["still"] = [w.store.path for w in visible_windows()]
        with open_store(first) as store:
            seen["articles"] = library.count_articles(store)

    assert start(str(first), during) == 0
    [(kind, title, text)] = boxes
    assert (kind, title) == ("warning", "Open Dataset")
    assert text == (f"{other} is open in another Article Curator window (process {seen['pid']}). "
                    "Close it there, or open another dataset.")
    assert seen["after"] == [first] and seen["still"] == [first]
    assert seen["status"] == f"{first} is already open."
    with acquire(first), acquire(other):  # both free once the app has ended
        pass


def test_switching_releases_the_old_datasets_lock(tmp_path: Path, start, boxes) -> None:
    first, second = tmp_path / "first.sqlite", tmp_path / "second.sqlite"
    seen = {}

    def during(window: MainWindow) -> None:
        window.switch_dataset(str(second))
        QApplication.processEvents()
        seen["windows"] = [w.store.path for w in visible_windows()]
        with acquire(first):
            seen["first_free"] = True
        with pytest.raises(Exception, match="already open in this window"):
            acquire(second)

    assert start(str(first), during) == 0
    assert boxes == []
    assert seen == {"windows": [second], "first_free": True}

