"""Before Qt loads: no display or a missing system library is a message and exit status 2, not a Qt dump."""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app import platform_check
from app.platform_check import check_platform, describe_import_error
from tests.app_process import run_app

ROOT = Path(__file__).resolve().parents[2]


def loader_without(*missing: str) -> platform_check.Loader:
    return lambda soname: soname not in missing


def everything(_soname: str) -> bool:
    return True


def answers(_display: str) -> bool:
    return True


def check(env: dict[str, str], loader: platform_check.Loader = everything,
          probe: platform_check.DisplayProbe = answers, platform: str = "linux") -> str | None:
    return check_platform(env, platform, loader, probe)


# --- which display -------------------------------------------------------------------------------


def test_a_desktop_session_passes() -> None:
    assert check({"DISPLAY": ":0"}) is None
    assert check({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert check({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}) is None


def test_no_display_names_the_situation_and_the_way_out() -> None:
    message = check({})
    assert message is not None
    assert message.startswith("No display found")
    assert "DISPLAY" in message and "WAYLAND_DISPLAY" in message
    assert "desktop session" in message
    for sub in ("import", "export", "stats", "search"):
        assert sub in message


def test_xcb_asked_for_without_a_display() -> None:
    message = check({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"})
    assert message is not None and message.startswith("No display found")
    assert "QT_QPA_PLATFORM=xcb" in message


def test_platforms_that_need_no_display_are_left_alone() -> None:
    no_xcb = loader_without(*(lib.soname for lib in platform_check.XCB_LIBRARIES))
    for name in ("offscreen", "minimal", "vnc", "eglfs"):
        assert check({"QT_QPA_PLATFORM": name}, no_xcb) is None


def test_other_systems_are_not_checked() -> None:
    assert check({}, platform="win32") is None
    assert check({}, platform="darwin") is None


def test_the_check_can_be_turned_off() -> None:
    assert check({platform_check.SKIP_ENV: "1"}) is None


def test_an_x_server_that_does_not_answer() -> None:
    message = check({"DISPLAY": ":987"}, probe=lambda _d: False)
    assert message is not None and "Cannot connect to the display ':987'" in message


# --- which libraries -----------------------------------------------------------------------------


def test_missing_xcb_cursor_is_named_with_its_packages() -> None:
    message = check({"DISPLAY": ":0"}, loader_without("libxcb-cursor.so.0"))
    assert message is not None
    assert "libxcb-cursor.so.0" in message
    assert "sudo apt-get install libxcb-cursor0\n" in message
    assert "sudo dnf install xcb-util-cursor\n" in message
    assert "xcb" in message


def test_all_missing_libraries_are_listed_once_per_package() -> None:
    missing = ("libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxkbcommon-x11.so.0",
               "libxcb-shm.so.0", "libxcb-sync.so.1")
    message = check({"DISPLAY": ":0"}, loader_without(*missing))
    assert message is not None
    for soname in missing:
        assert soname in message
    assert ("apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 libxcb-shm0 "
            "libxcb-sync1\n") in message
    assert "dnf install xcb-util-cursor xcb-util-wm xcb-util-keysyms libxkbcommon-x11 libxcb\n" in message


def test_missing_libraries_without_a_display_still_say_no_display_first() -> None:
    # Without DISPLAY the xcb plugin is never loaded: the display is the problem to report.
    message = check({}, loader_without("libxcb-cursor.so.0"))
    assert message is not None and message.startswith("No display found")


def test_libraries_of_qt_itself_are_checked_whatever_the_platform() -> None:
    message = check({"QT_QPA_PLATFORM": "offscreen"}, loader_without("libEGL.so.1"))
    assert message is not None
    assert "libEGL.so.1" in message and "libegl1" in message and "mesa-libEGL" in message


def test_wayland_session_falls_back_to_xcb_like_qt() -> None:
    env = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    assert check(env, loader_without("libwayland-cursor.so.0")) is None  # XWayland takes over
    message = check(env, loader_without("libwayland-cursor.so.0", "libxcb-cursor.so.0"))
    assert message is not None and "libxcb-cursor.so.0" in message
    message = check({"WAYLAND_DISPLAY": "wayland-0"}, loader_without("libwayland-client.so.0"))
    assert message is not None and "libwayland-client0" in message


def test_the_real_loader_and_probe() -> None:
    assert platform_check.can_load("libc.so.6") is (sys.platform.startswith("linux"))
    assert platform_check.can_load("libdoes-not-exist.so.7") is False
    if ctypes.util.find_library("xcb"):
        assert platform_check.can_connect_x(":987") is False


def test_import_errors_name_the_library() -> None:
    message = describe_import_error(ImportError("libEGL.so.1: cannot open shared object file: No such file"))
    assert "libEGL.so.1" in message and "apt-get install libegl1" in message
    message = describe_import_error(ImportError("libfoo.so.3: cannot open shared object file: No such file"))
    assert "libfoo.so.3" in message
    message = describe_import_error(ModuleNotFoundError("No module named 'PySide6'", name="PySide6"))
    assert "PySide6" in message and "reinstall" in message


# --- the real command -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check is for Linux")
def test_starting_without_a_display(tmp_path: Path, isolated_home: Path) -> None:
    db = tmp_path / "x.sqlite"
    result = run_app("--db", str(db), home=isolated_home,
                     env_changes={"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None,
                                  "XDG_SESSION_TYPE": None})
    assert result.returncode == 2, result.stderr
    assert "No display found" in result.stderr
    assert "qt.qpa" not in result.stderr and "plugin" not in result.stderr
    assert "Traceback" not in result.stderr
    assert not db.exists()  # nothing was started, nothing was made


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check is for Linux")
def test_starting_with_a_display_nobody_answers(tmp_path: Path, isolated_home: Path) -> None:
    if not ctypes.util.find_library("xcb"):
        pytest.skip("libxcb is not installed: the library check answers first")
    result = run_app("--db", str(tmp_path / "x.sqlite"), home=isolated_home,
                     env_changes={"DISPLAY": ":987", "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None,
                                  "XDG_SESSION_TYPE": None})
    assert result.returncode == 2, result.stderr
    assert "Cannot connect to the display ':987'" in result.stderr
    assert "qt.qpa" not in result.stderr and "Traceback" not in result.stderr


def _find_system_library(soname: str) -> Path | None:
    for folder in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib"):
        candidate = Path(folder) / soname
        if candidate.exists():
            return candidate.resolve()
    return None


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the library check is for Linux")
def test_a_missing_xcb_cursor_library_for_real(tmp_path: Path, isolated_home: Path) -> None:
    """libxcb-cursor.so.0 hidden (in a private mount namespace) while a real X server runs."""
    xvfb, unshare = shutil.which("Xvfb"), shutil.which("unshare")
    library = _find_system_library("libxcb-cursor.so.0")
    if not (xvfb and unshare and library):
        pytest.skip("needs Xvfb, unshare and libxcb-cursor.so.0 installed")
    server = subprocess.Popen([xvfb, ":93", "-screen", "0", "800x600x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        script = (f'mount --bind /dev/null "{library}" || exit 99; '
                  f'exec "{sys.executable}" -m app --db "{tmp_path / "x.sqlite"}" --quit-after 1')
        env = {**os.environ, "ARTICLE_CURATOR_HOME": str(isolated_home), "PYTHONPATH": str(ROOT),
               "DISPLAY": ":93"}
        for key in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE"):
            env.pop(key, None)
        result = subprocess.run([unshare, "--mount", "--propagation", "private", "sh", "-c", script],
                                capture_output=True, text=True, env=env, timeout=120, cwd=ROOT, check=False)
    finally:
        server.terminate()
        server.wait(10)
    if result.returncode == 99 or "unshare failed" in result.stderr or "Operation not permitted" in result.stderr:
        pytest.skip(f"cannot make a private mount namespace here: {result.stderr.strip()[:200]}")
    assert result.returncode == 2, result.stderr
    assert "libxcb-cursor.so.0" in result.stderr and "apt-get install libxcb-cursor0" in result.stderr
    assert "dnf install xcb-util-cursor" in result.stderr
    assert "qt.qpa" not in result.stderr and "Traceback" not in result.stderr
