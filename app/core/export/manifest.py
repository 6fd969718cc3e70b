"""The manifest and dataset card written beside every export, and checking files against a manifest.

``write_manifest`` writes ``NAME.manifest.json`` (what was exported, from which
dataset, how, and each file's SHA-256, size and line count) and ``NAME.README.md``
(a dataset card in the manner of the Hugging Face Hub's: see
``app.core.export.dataset_card``) for the export ``NAME.EXT``. Both are written
through a temporary file and renamed into place, as the export's own files are.

``verify_manifest`` reads a manifest back and says, in words, how the files
beside it differ from it: missing, truncated, longer, or changed.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

import orjson

from app import APP_NAME, __version__
from app.core.db.in_lists import in_list
from app.core.export.formats import SPLIT_NAMES, TOKEN_FORMATS
from app.core.export.output import Output, remove_stale_temp_files, sync_folder

if TYPE_CHECKING:
    from app.core.db.reader import Dataset
    from app.core.export.exporter import ExportOptions, ExportSummary

MANIFEST_VERSION = 1
OFFSET_UNIT = "Unicode code points, end exclusive"
# Bumped when a format's layout changes, so a reader can tell which layout a file has.
FORMAT_VERSIONS = {"native": "1", "spacy": "1", "doccano": "1", "conll": "1", "hf": "1", "spacy-docbin": "1"}
BINARY_FORMATS = ("spacy-docbin",)  # files without lines: checked by size and checksum only
_NOT_SUGGESTIONS = " (suggestions not yet accepted are not exported)"


def layer_description(options: ExportOptions) -> str:
    """Which annotators' spans the export holds, as the manifest and the dataset card say it."""
    from app.core.team.identity import GOLD_LAYER

    if options.annotators == (GOLD_LAYER,):
        which = " of the articles a reviewer finished" if options.reviewed_only else ""
        return f"gold: the reviewed layer, the spans a reviewer accepted{which}" + _NOT_SUGGESTIONS
    if options.annotators:
        return f"annotators: the spans of {', '.join(options.annotators)}" + _NOT_SUGGESTIONS
    return "all layers: every annotator's spans, each with its annotator" + _NOT_SUGGESTIONS
_HASH_CHUNK = 1 << 20


def manifest_paths(out_path: Path) -> tuple[Path, Path]:
    """``NAME.manifest.json`` and ``NAME.README.md`` for the export ``NAME.EXT``."""
    stem = out_path.stem if out_path.suffix else out_path.name
    return out_path.with_name(f"{stem}.manifest.json"), out_path.with_name(f"{stem}.README.md")


def write_manifest(out_path: Path, options: ExportOptions, summary: ExportSummary, store: Dataset) -> list[Path]:
    """Write the manifest and the dataset card of the export to ``out_path``; their paths.

    Reads from ``summary``: ``articles``, ``paths``, ``spans_per_label``, ``per_split``,
    ``warnings`` and, when present, ``group_by``, ``per_split_groups``,
    ``per_split_labels``, ``extra_files``, ``tokenizer``, ``tag_names``,
    ``spans_read``, ``adjusted``, ``left_out`` and ``claims_not_exported``.
    """
    from app.core.export.dataset_card import render_card

    manifest = build_manifest(Path(out_path), options, summary, store)
    manifest_path, card_path = manifest_paths(Path(out_path))
    card = render_card(manifest, dataset_facts(store, options))
    _write_atomically({manifest_path: orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE),
                       card_path: card.encode()})
    return [manifest_path, card_path]


def build_manifest(out_path: Path, options: ExportOptions, summary: ExportSummary, store: Dataset) -> dict[str, Any]:
    binary = options.format in BINARY_FORMATS
    split_of = _split_of_paths(summary.paths)
    files = [file_entry(path, out_path.parent, split_of.get(path), binary) for path in summary.paths]
    files += [file_entry(path, out_path.parent, None, False, role="tag names")
              for path in getattr(summary, "extra_files", [])]
    if summary.entities_path is not None:
        files.append(file_entry(summary.entities_path, out_path.parent, None, False, role="entities"))
    export: dict[str, Any] = {"format": options.format, "format_version": FORMAT_VERSIONS.get(options.format, "1"),
                              "offset_unit": OFFSET_UNIT}
    if options.format in TOKEN_FORMATS:
        export |= {"tokenizer": getattr(summary, "tokenizer", ""), "align": options.align}
        if options.format != "spacy-docbin":
            export["scheme"] = options.scheme
    split = None
    if options.split is not None:
        split = {"fractions": dict(zip(SPLIT_NAMES, options.split, strict=True)), "seed": options.seed,
                 "group_by": summary.group_by or options.group_by,
                 "one_file_per_split": len(summary.paths) > 1}
    counts: dict[str, Any] = {"articles": summary.articles, "spans_per_label": summary.spans_per_label}
    if summary.per_split:
        counts["per_split"] = summary.per_split
    for name in ("per_split_labels", "per_split_groups"):
        if getattr(summary, name, None):
            counts[name] = getattr(summary, name)
    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "app": {"name": APP_NAME, "version": __version__},
        "dataset": {"schema_version": store.revision(), "name": _dataset_name(store)},
        "export": export,
        "filters": {"statuses": list(options.statuses), "labels": list(options.labels),
                    "annotators": list(options.annotators)},
        "split": split,
        "files": files,
        "counts": counts,
        "annotators": exported_annotators(store, options),
        "layer": layer_description(options),
    }
    if options.format in TOKEN_FORMATS:
        manifest["spans"] = {
            "read": getattr(summary, "spans_read", 0),
            "written": sum(summary.spans_per_label.values()),
            "claims_not_in_format": getattr(summary, "claims_not_exported", 0),
            "moved_onto_tokens": getattr(summary, "adjusted", []),
            "left_out": getattr(summary, "left_out", []),
        }
        if getattr(summary, "tag_names", None):
            manifest["tag_names"] = summary.tag_names  # type: ignore[attr-defined]
    manifest["warnings"] = [w for w in summary.warnings if not w.startswith("  ")]
    return manifest


def _dataset_name(store: Dataset) -> str:
    # The file's name only: a manifest travels with the data, the folders of the machine it came from need not.
    return store.path.name if store.path is not None else "database"


def _split_of_paths(paths: list[Path]) -> dict[Path, str]:
    if len(paths) != len(SPLIT_NAMES):
        return {}
    return dict(zip(paths, SPLIT_NAMES, strict=True))


def file_entry(path: Path, folder: Path, split: str | None, binary: bool, role: str = "data") -> dict[str, Any]:
    digest, size, lines = file_facts(path)
    entry: dict[str, Any] = {"name": _relative(path, folder), "role": role}
    if split:
        entry["split"] = split
    entry |= {"sha256": digest, "bytes": size, "lines": None if binary else lines}
    return entry


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def file_facts(path: Path) -> tuple[str, int, int]:
    """SHA-256 (hex), size in bytes and number of lines (newline characters, plus one for an
    unterminated last line) of a file, read in chunks."""
    sha, size, lines, last = hashlib.sha256(), 0, 0, b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            sha.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return sha.hexdigest(), size, lines + (last != b"\n")


def exported_annotators(store: Dataset, options: ExportOptions) -> list[str]:
    """The annotators whose spans the export holds ("" for spans imported without a name)."""
    params: dict[str, Any] = {}
    where = []
    if options.statuses:
        where.append(f"article.status IN ({in_list(params, 'st', options.statuses)})")
    if options.labels:
        where.append(f"label.name IN ({in_list(params, 'lb', options.labels)})")
    if options.annotators:
        where.append(f"span.annotator IN ({in_list(params, 'an', options.annotators)})")
    sql = ("SELECT DISTINCT span.annotator FROM span JOIN article ON article.id = span.article_id "
           "JOIN label ON label.id = span.label_id" + (" WHERE " + " AND ".join(where) if where else ""))
    with store.reader() as reader:
        return sorted(row[0] for row in reader.rows(sql, params))


@dataclass(frozen=True)
class DatasetFacts:
    """What the card says about the dataset beyond the manifest: the label set and the languages."""

    labels: list[dict[str, Any]]
    languages: list[str]


def dataset_facts(store: Dataset, options: ExportOptions) -> DatasetFacts:
    params: dict[str, Any] = {}
    where = f" WHERE status IN ({in_list(params, 'st', options.statuses)})" if options.statuses else ""
    with store.reader() as reader:
        labels = [{"name": n, "kind": k, "color": c, "description": d or ""} for n, k, c, d in reader.rows(
            "SELECT name, kind, color, description FROM label ORDER BY position, name")
            if not options.labels or n in options.labels]
        languages = sorted(row[0] for row in reader.rows(f"SELECT DISTINCT language FROM article{where}", params)
                           if row[0])
    return DatasetFacts(labels, languages)


def _write_atomically(contents: dict[Path, bytes]) -> None:
    outputs: list[Output] = []
    try:
        for target, data in contents.items():
            remove_stale_temp_files(target)
            output = Output(target)
            outputs.append(output)
            output.write(data)
        for output in outputs:
            output.finish()
        for output in outputs:
            output.commit()
    except BaseException:
        for output in outputs:
            output.discard()
        raise
    sync_folder(next(iter(contents)).parent)


# --- verify ----------------------------------------------------------------------------------------------


class ManifestError(Exception):
    """The manifest itself cannot be read; ``str()`` says why."""


def verify_manifest(manifest_path: str | os.PathLike[str]) -> tuple[int, list[str]]:
    """Check the files a manifest lists: (files checked, one sentence per file that differs)."""
    path = Path(manifest_path)
    try:
        manifest = orjson.loads(path.read_bytes())
        if not isinstance(manifest, dict):
            raise TypeError("it is not a JSON object")
        entries = manifest["files"]
        if not isinstance(entries, list):
            raise TypeError("files is not a list")
    except OSError as exc:
        raise ManifestError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise ManifestError(f"{path} is not an export manifest ({exc}).") from None
    for number, entry in enumerate(entries, 1):
        _check_entry(path, number, entry)
    problems = [p for entry in entries if (p := _check_file(path.parent, entry))]
    return len(entries), problems


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _check_entry(path: Path, number: int, entry: Any) -> None:
    """Refuse, with a sentence, a file entry that cannot be checked, or that names a file outside the
    manifest's folder: a manifest may come from anyone, and verify reads only the export beside it."""
    def refuse(what: str) -> ManifestError:
        return ManifestError(f"{path} is not a valid export manifest: file entry {number} {what}.")

    if not isinstance(entry, dict):
        raise refuse("is not an object")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise refuse("has no file name")
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or windows.root:
        raise refuse(f"names {name!r}, a path outside the manifest's folder (names are relative to it)")
    if ".." in posix.parts or ".." in windows.parts:
        raise refuse(f"names {name!r}, which leads out of the manifest's folder through “..”")
    if not isinstance(entry.get("sha256"), str) or not _SHA256.fullmatch(entry["sha256"]):
        raise refuse("has no SHA-256 checksum (64 hexadecimal digits)")
    if not _count(entry.get("bytes")):
        raise refuse("has no size in bytes (a whole number)")
    if entry.get("lines") is not None and not _count(entry["lines"]):
        raise refuse("has a line count that is not a whole number")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_file(folder: Path, entry: dict[str, Any]) -> str | None:
    name = entry["name"]
    target = folder / name
    if not target.is_file():
        return f"{name}: missing (the manifest lists it, {_bytes(entry['bytes'])})."
    digest, size, lines = file_facts(target)
    if digest == entry["sha256"]:
        return None
    expected_lines = entry.get("lines")
    if expected_lines is not None:
        if lines < expected_lines:
            return (f"{name}: truncated: {lines} lines ({_bytes(size)}) where the manifest lists "
                    f"{expected_lines} lines ({_bytes(entry['bytes'])}).")
        if lines > expected_lines:
            return (f"{name}: {lines - expected_lines} extra lines: {lines} lines where the manifest lists "
                    f"{expected_lines}.")
    elif size < entry["bytes"]:
        return f"{name}: truncated: {_bytes(size)} where the manifest lists {_bytes(entry['bytes'])}."
    if size != entry["bytes"]:
        return (f"{name}: changed: {_bytes(size)} where the manifest lists {_bytes(entry['bytes'])}"
                f"{'' if expected_lines is None else ', same number of lines'}.")
    return (f"{name}: changed: same size and {'' if expected_lines is None else 'number of lines, '}"
            f"but different content (SHA-256 {digest[:12]}… where the manifest lists {entry['sha256'][:12]}…).")


def _bytes(n: int) -> str:
    return "1 byte" if n == 1 else f"{n:,} bytes"
