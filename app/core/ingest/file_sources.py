"""Files and folders as import sources: which files, and how each kind is read.

The bytes decide, not the name: a PDF, image or archive named ``.html`` is
refused with what it really is.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from app.core.ingest.sniff import UndecodableError, decode_text, sniff_binary

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
JSONL_SUFFIXES = {".jsonl", ".json", ".ndjson"}
MAX_TEXT_FILE_BYTES = 20 * 1024 * 1024


class FileSourceError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TextFile:
    title: str
    text: str
    encoding_note: str  # "" or a sentence saying the encoding was guessed


def file_kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    return None


def expand_folder(folder: Path) -> list[Path]:
    """Supported files below ``folder``, in a stable order; hidden files and folders skipped."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if not name.startswith(".") and file_kind(path) is not None:
                found.append(path)
    return found


def export_companion(path: Path) -> str | None:
    """Why ``path`` is not an article source but a file an export wrote beside its data (its manifest,
    dataset card or tag list), or None. The entities file is left to the import of its export."""
    name = path.name
    if name.endswith(".manifest.json"):
        return "the manifest of an export (check it with article-curator verify), not articles."
    for suffix, what in ((".README.md", "the dataset card"), (".labels.json", "the tag list")):
        stem = name.removesuffix(suffix)
        if name.endswith(suffix) and path.with_name(f"{stem}.manifest.json").is_file():
            return f"{what} of the export {stem}, described by {stem}.manifest.json, not articles."
    stem = name.removesuffix(".labels.json")
    if stem != name and any(path.parent.glob(f"{glob.escape(stem)}*.jsonl")):
        return f"the tag list of the Hugging Face export {stem} beside it, not articles."
    return None


def read_bytes(path: Path, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise FileSourceError(f"The file is {size / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB limit.")
        data = path.read_bytes()
    except PermissionError:
        raise FileSourceError("Cannot read the file: permission denied.") from None
    except FileNotFoundError:
        raise FileSourceError("The file no longer exists.") from None
    except IsADirectoryError:
        raise FileSourceError("This is a folder, not a file.") from None
    except OSError as exc:
        raise FileSourceError(f"Cannot read the file: {exc.strerror or exc}.") from None
    if not data.strip():
        raise FileSourceError("The file is empty.")
    what = sniff_binary(data)
    if what:
        raise FileSourceError(f"Not a text or HTML file: it contains {what}.")
    return data


def encoding_note(encoding: str, guessed: bool) -> str:
    return f"Text decoded as {encoding} (guessed: the file did not say its encoding correctly)." if guessed else ""


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Text and an encoding note; FileSourceError when the bytes are not text in any encoding."""
    try:
        decoded = decode_text(data, declared)
    except UndecodableError as exc:
        raise FileSourceError(str(exc)) from None
    return decoded.text, encoding_note(decoded.encoding, decoded.guessed)


def read_text_file(path: Path) -> TextFile:
    """A .txt/.md file: the first non-empty line is the title, the rest is the text."""
    text, note = decode(read_bytes(path, MAX_TEXT_FILE_BYTES))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise FileSourceError("The file is empty.")
    title = lines[0].strip().lstrip("#").strip()
    body = "\n".join(line.rstrip() for line in lines[1:]).strip("\n")
    if not body.strip():
        raise FileSourceError("The file has a title line but no text under it.")
    return TextFile(title=title, text=body, encoding_note=note)
