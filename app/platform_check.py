"""Can the desktop app start here? Checked before Qt is loaded.

On Linux, Qt needs a display and a few system libraries that minimal installs
lack. Without them it prints a dump about platform plugins and aborts the
process; this module finds the cause first and says in sentences what to do.
It imports nothing from Qt (only ``ctypes``), so it runs before PySide6 is
imported and in plain unit tests, where the loader and the display probe are
replaced by fakes.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

EXIT_CANNOT_START = 2
# Turns the check off, should it ever refuse a machine where Qt would start.
SKIP_ENV = "ARTICLE_CURATOR_SKIP_PLATFORM_CHECK"


def subcommands_hint(without: str) -> str:
    return (f"The subcommands work without {without}: import, export, stats and search "
            "(see 'article-curator --help').")


@dataclass(frozen=True)
class SystemLibrary:
    soname: str
    debian: str  # the Debian/Ubuntu package that ships it
    fedora: str  # the Fedora package that ships it


# What Qt's GUI module itself links to: without one of these, importing PySide6.QtGui fails.
GUI_LIBRARIES = (
    SystemLibrary("libGL.so.1", "libgl1", "libglvnd-glx"),
    SystemLibrary("libEGL.so.1", "libegl1", "mesa-libEGL"),
    SystemLibrary("libfontconfig.so.1", "libfontconfig1", "fontconfig"),
    SystemLibrary("libfreetype.so.6", "libfreetype6", "freetype"),
    SystemLibrary("libX11.so.6", "libx11-6", "libX11"),
    SystemLibrary("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    SystemLibrary("libglib-2.0.so.0", "libglib2.0-0", "glib2"),
    SystemLibrary("libdbus-1.so.3", "libdbus-1-3", "dbus-libs"),
)

# What Qt's X11 plugin (xcb) links to. libxcb-cursor0 is the one most often
# missing: Qt needs it since 6.5, and minimal installs do not have it.
XCB_LIBRARIES = (
    SystemLibrary("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    SystemLibrary("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    SystemLibrary("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    SystemLibrary("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    SystemLibrary("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    SystemLibrary("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
    SystemLibrary("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    SystemLibrary("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    SystemLibrary("libxcb.so.1", "libxcb1", "libxcb"),
    SystemLibrary("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    SystemLibrary("libxcb-render.so.0", "libxcb-render0", "libxcb"),
    SystemLibrary("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    SystemLibrary("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
    SystemLibrary("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    SystemLibrary("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    SystemLibrary("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
)

# What Qt's Wayland plugin links to.
WAYLAND_LIBRARIES = (
    SystemLibrary("libwayland-client.so.0", "libwayland-client0", "libwayland-client"),
    SystemLibrary("libwayland-cursor.so.0", "libwayland-cursor0", "libwayland-cursor"),
)

KNOWN_LIBRARIES = {lib.soname: lib for lib in (*GUI_LIBRARIES, *XCB_LIBRARIES, *WAYLAND_LIBRARIES)}

Loader = Callable[[str], bool]  # can this shared library be loaded?
DisplayProbe = Callable[[str], bool]  # does an X server answer on this display?


def _library_folders() -> list[Path]:
    """Folders besides the system's that may hold the libraries: a bundle's, PySide6's own."""
    folders = []
    bundle = getattr(sys, "_MEIPASS", None)  # a PyInstaller bundle ships some of them
    if bundle:
        folders.append(Path(bundle))
    spec = importlib.util.find_spec("PySide6")  # locates the package without importing it
    if spec is not None and spec.origin:
        folders.append(Path(spec.origin).parent / "Qt" / "lib")
    return folders


def can_load(soname: str) -> bool:
    """Whether the dynamic linker finds and loads ``soname``, as Qt's plugins will ask it to."""
    try:
        ctypes.CDLL(soname)
        return True
    except OSError:
        pass
    for folder in _library_folders():
        candidate = folder / soname
        if candidate.is_file():
            try:
                ctypes.CDLL(str(candidate))
                return True
            except OSError:
                continue
    return False


def can_connect_x(display: str) -> bool:
    """Whether an X server answers on ``display`` (libxcb's own connect, as Qt does)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return False
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.restype = ctypes.c_int
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.restype = None
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    conn = xcb.xcb_connect(display.encode(), None)
    if not conn:
        return False
    try:
        return xcb.xcb_connection_has_error(conn) == 0
    finally:
        xcb.xcb_disconnect(conn)  # also frees the error object xcb_connect returns on failure


def platform_candidates(env: Mapping[str, str]) -> list[str]:
    """The Qt platform plugins Qt will try, in order."""
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return [name.split(":")[0].strip() for name in chosen.split(";") if name.strip()]
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        return ["wayland", "xcb"]  # Qt tries Wayland first in a Wayland session, then XWayland
    return ["xcb"]


def _missing(libraries: Sequence[SystemLibrary], loader: Loader) -> list[SystemLibrary]:
    return [lib for lib in libraries if not loader(lib.soname)]


def missing_libraries_message(missing: Sequence[SystemLibrary], what: str) -> str:
    plural = " and " in what
    names = ", ".join(lib.soname for lib in missing)
    debian = " ".join(dict.fromkeys(lib.debian for lib in missing))
    fedora = " ".join(dict.fromkeys(lib.fedora for lib in missing))
    return (
        f"The desktop app cannot start: {what} {'need' if plural else 'needs'} system libraries "
        f"that are not installed: {names}.\n"
        "Install them, then start Article Curator again:\n"
        f"  Debian/Ubuntu: sudo apt-get install {debian}\n"
        f"  Fedora:        sudo dnf install {fedora}\n"
        f"{subcommands_hint('them')}"
    )


def no_display_message(env: Mapping[str, str]) -> str:
    if env.get("QT_QPA_PLATFORM"):
        why = f"QT_QPA_PLATFORM={env['QT_QPA_PLATFORM']} asks for a display that is not set"
    else:
        why = "neither DISPLAY nor WAYLAND_DISPLAY is set"
    return (
        f"No display found: the desktop app needs a graphical desktop session, and {why}.\n"
        "Start Article Curator from a desktop session (over SSH, connect with X forwarding: ssh -X).\n"
        f"{subcommands_hint('a display')}"
    )


def cannot_connect_message(display: str) -> str:
    return (
        f"Cannot connect to the display {display!r} (DISPLAY): no X server answers there.\n"
        "Start Article Curator from a desktop session, or set DISPLAY to the display you are using.\n"
        f"{subcommands_hint('a display')}"
    )


def check_platform(
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
    loader: Loader = can_load,
    probe_display: DisplayProbe = can_connect_x,
) -> str | None:
    """Why the desktop app cannot start on this machine, in sentences; None when it can (as far as we know)."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux") or env.get(SKIP_ENV):
        return None
    missing = _missing(GUI_LIBRARIES, loader)
    if missing:
        return missing_libraries_message(missing, "Qt")
    no_display = cannot_connect = None
    missing_by_plugin: dict[str, list[SystemLibrary]] = {}
    for name in platform_candidates(env):
        if name.startswith("wayland"):
            if not env.get("WAYLAND_DISPLAY"):
                no_display = no_display_message(env)
                continue
            missing = _missing(WAYLAND_LIBRARIES, loader)
            if missing:
                missing_by_plugin["Qt's Wayland plugin"] = missing
                continue
            return None
        if name == "xcb":
            display = env.get("DISPLAY", "")
            if not display:
                no_display = no_display_message(env)
                continue
            missing = _missing(XCB_LIBRARIES, loader)
            if missing:
                missing_by_plugin["Qt's X11 plugin (xcb)"] = missing
                continue
            if not probe_display(display):
                cannot_connect = cannot_connect_message(display)
                continue
            return None
        return None  # offscreen, vnc, eglfs ...: chosen on purpose, nothing to check
    # Every plugin Qt would try fails: report the most specific reason.
    if missing_by_plugin:
        what = " and ".join(missing_by_plugin)
        return missing_libraries_message([lib for libs in missing_by_plugin.values() for lib in libs], what)
    return cannot_connect or no_display


def describe_import_error(exc: ImportError) -> str:
    """What to tell a user when PySide6 itself cannot be imported."""
    text = str(exc)
    if "PySide6" in text and isinstance(exc, ModuleNotFoundError):
        return ("The desktop app needs PySide6, which is not installed here; reinstall Article Curator "
                "(pip install article-curator).\n" + subcommands_hint("it"))
    soname = text.split(":")[0].strip()
    lib = KNOWN_LIBRARIES.get(soname)
    if lib is not None:
        return missing_libraries_message([lib], "Qt")
    if "cannot open shared object file" in text:
        return (f"The desktop app cannot start: a system library Qt needs is missing: {soname}.\n"
                "Install the package that provides it, then start Article Curator again.\n"
                + subcommands_hint("it"))
    return f"The desktop app cannot start: {text}.\n{subcommands_hint('the desktop app')}"
