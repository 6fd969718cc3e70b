"""verify refuses, with a sentence, a manifest whose file entries cannot be checked or lead out of its folder."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from app.cli import main
from app.core.export.manifest import ManifestError, verify_manifest

SECRET = b"outside the export\n"
GOOD = {"name": "data.jsonl", "role": "data", "sha256": hashlib.sha256(b"{}\n").hexdigest(), "bytes": 3, "lines": 1}


def manifest(folder: Path, *entries: Any) -> Path:
    (folder / "data.jsonl").write_bytes(b"{}\n")
    path = folder / "x.manifest.json"
    path.write_bytes(orjson.dumps({"manifest_version": 1, "files": list(entries)}))
    return path


BAD_ENTRIES = [
    ({"path": None}, "file entry 2 has no file name"),
    ({**GOOD, "name": None}, "file entry 2 has no file name"),
    ({**GOOD, "name": 5}, "file entry 2 has no file name"),
    (7, "file entry 2 is not an object"),
    ({**GOOD, "sha256": "a"}, "has no SHA-256 checksum"),
    ({**GOOD, "sha256": None}, "has no SHA-256 checksum"),
    ({**GOOD, "bytes": "z"}, "has no size in bytes"),
    ({**GOOD, "bytes": None}, "has no size in bytes"),
    ({**GOOD, "bytes": True}, "has no size in bytes"),
    ({**GOOD, "lines": "3"}, "line count that is not a whole number"),
    ({**GOOD, "lines": -1}, "line count that is not a whole number"),
]


@pytest.mark.parametrize(("entry", "said"), BAD_ENTRIES)
def test_a_malformed_entry_is_refused_with_a_sentence(tmp_path: Path, entry: Any, said: str) -> None:
    with pytest.raises(ManifestError, match=said):
        verify_manifest(manifest(tmp_path, GOOD, entry))


@pytest.mark.parametrize("name", ["../secret.txt", "sub/../../secret.txt", "..\\secret.txt", "/etc/passwd",
                                  "C:\\secret.txt", "\\\\server\\share\\secret.txt"])
def test_a_name_outside_the_manifests_folder_is_refused_and_never_read(tmp_path: Path, name: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (tmp_path / "secret.txt").write_bytes(SECRET)
    entry = {**GOOD, "name": name, "sha256": hashlib.sha256(SECRET).hexdigest(), "bytes": len(SECRET)}
    import app.core.export.manifest as manifest_module

    read: list[Path] = []
    real = manifest_module.file_facts
    monkeypatch.setattr(manifest_module, "file_facts", lambda p: (read.append(p), real(p))[1])
    with pytest.raises(ManifestError, match="outside the manifest's folder|out of the manifest's folder"):
        verify_manifest(manifest(folder, GOOD, entry))
    assert read == []  # refused before any file was read, the export's own included


def test_the_command_line_says_what_is_wrong_without_a_traceback(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    for number, text in enumerate([b'{"files":[{"path":null}]}', b'{"files":[{"name":"x","sha256":"a","bytes":"z"}]}',
                                   b"[]", b'{"files": 5}', b"\x00\x01"]):
        path = tmp_path / f"m{number}.manifest.json"
        path.write_bytes(text)
        assert main(["verify", str(path)]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"article-curator verify: {path} is not") and "Traceback" not in err


def test_a_good_manifest_still_verifies(tmp_path: Path) -> None:
    assert verify_manifest(manifest(tmp_path, GOOD)) == (1, [])
