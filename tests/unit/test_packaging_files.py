"""The packaging files agree with the app: one application id, one version, every icon size.

The desktop entry and metainfo are also checked by desktop-file-validate and
appstreamcli in CI (.ci/run); these tests need no tools and no Qt.
"""

from __future__ import annotations

import configparser
import re
import struct
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app import APP_ID, APP_NAME, __version__

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
ICONS = ROOT / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG file"
    return struct.unpack(">II", data[16:24])


def test_desktop_entry_uses_the_app_id_and_command():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(LINUX / f"{APP_ID}.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Icon"] == APP_ID
    assert section["Exec"].split()[0] == APP_NAME
    assert section["TryExec"] == APP_NAME


def test_metainfo_uses_the_app_id_and_version():
    root = ET.parse(LINUX / f"{APP_ID}.metainfo.xml").getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == f"{APP_ID}.desktop"
    assert root.findtext("provides/binary") == APP_NAME
    newest = root.find("releases/release")
    assert newest is not None and newest.get("version") == __version__, "add a <release> for this version"


def test_pyproject_has_the_app_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == __version__


def test_every_app_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    packages = {
        ".".join(folder.relative_to(ROOT).parts)
        for folder in [ROOT / "app", *(ROOT / "app").rglob("*")]
        if folder.is_dir() and folder.name != "__pycache__" and any(folder.glob("*.py"))
    }
    assert packages <= listed, f"add to [tool.setuptools] packages: {sorted(packages - listed)}"


@pytest.mark.parametrize("size", PNG_SIZES)
def test_each_icon_size_is_rendered(size):
    assert png_size(ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png") == (size, size)


def test_icon_source_and_platform_icons_exist():
    assert ET.parse(ICONS / f"{APP_ID}.svg").getroot().tag == "{http://www.w3.org/2000/svg}svg"
    ico = (ICONS / f"{APP_ID}.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    sizes = {ico[6 + 16 * i] or 256 for i in range(count)}
    assert (reserved, kind) == (0, 1) and {16, 32, 48, 256} <= sizes
    icns = (ICONS / f"{APP_ID}.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)


def test_the_spec_and_launcher_compile():
    for path in (ROOT / "packaging" / "article_curator.spec", ROOT / "packaging" / "launcher.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def readme_command(after: str) -> str:
    """The one-line shell command in the README's code block that follows the sentence ``after``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(re.escape(after) + r"\s*```sh\n(.+?)\n```", readme)
    assert found, f"the README has no command after {after!r}"
    return found.group(1)


def environments(command: str) -> set[str]:
    """The virtual environments a command makes or uses (``python3 -m venv X``, ``X/bin/...``)."""
    return set(re.findall(r"-m venv (\S+)", command)) | set(re.findall(r"(\S+?)/bin/", command))


def test_the_readmes_run_and_test_commands_use_separate_environments():
    # Installing the tests' editable copy into the environment the app runs from replaces the running
    # app's files, and its later imports (File ▸ Export) fail.
    run = readme_command("Install and start the app:")
    test = readme_command("Install the test dependencies and run the test suite:")
    assert "pytest" in test and "article-curator" in run
    assert len(environments(run)) == 1 and len(environments(test)) == 1
    assert environments(run).isdisjoint(environments(test))
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    for env in environments(run) | environments(test):
        assert f"/{env}/" in ignored


def test_ci_runs_the_readmes_test_command_as_written():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_command("Install the test dependencies and run the test suite:") in script.splitlines()
    # Xvfb for the test that starts the app in a real X server: without it that test only skips.
    commands = script.replace("\\\n", " ").splitlines()  # continued lines joined
    installed = {word for line in commands if "apt-get install" in line for word in line.split()}
    assert "xvfb" in installed
