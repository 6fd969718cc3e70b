"""Label Studio: its JSON export, its JSON-MIN export and folders of per-task JSON files.

JSON export: a list of tasks ``{"id", "data": {"text", ...}, "annotations":
[{"completed_by", "was_cancelled", "result": [{"type": "labels", "value":
{"start", "end", "text", "labels"}}]}], "predictions": [{"model_version",
"score", "result": [...]}]}``. Cloud and local storage write one such task per
file, which is what a folder holds. JSON-MIN: one row per annotation, ``{"id",
"text", "<from_name>": [{"start", "end", "text", "labels"}], "annotator", ...}``;
rows of one task (one per annotator) become one article.

Each annotation becomes the layer of its annotator (the ``completed_by``
user's email, else their id); cancelled annotations are skipped and counted.
Predictions become the article's stored suggestions, to review in the app, and
are never stored as labels. Offsets are checked against each span's text and
converted from UTF-16 units where that is how they were counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.core.export.labelstudio import MODEL_VERSION_PREFIX, NO_ANNOTATOR
from app.core.ingest.formats import FormatRecord, Tally
from app.core.ingest.formats.spans import Utf16, finish, label_of, place_span, span
from app.core.ingest.jsonl_reader import RecordProblem, decode_json

# Task data fields that fill an article's columns, by the names teams give them.
_FIELDS = {"title": ("title", "headline"), "url": ("url", "link"), "published": ("published", "date", "pub_date"),
           "author": ("author",), "site_name": ("site_name",), "language": ("language", "lang")}
_UID = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")
# Sniffing parses a file whole up to this size and looks at its first bytes beyond it; reading takes
# files up to MAX_FILE_BYTES (a JSON list is parsed whole, and takes several times its size in memory).
_MAX_SNIFF_BYTES = 64 * 1024 * 1024
_SNIFF_HEAD_BYTES = 64 * 1024
MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024
_HEAD_TASK = re.compile(rb'^\s*\[?\s*\{.*"data"\s*:\s*\{', re.S)
_HEAD_KEYS = (b'"annotations"', b'"predictions"', b'"completions"')
_HEAD_MIN_ROW = re.compile(rb'^\s*\[?\s*\{.*"labels"\s*:\s*\[', re.S)


def sniff(path: Path) -> bool:
    if path.is_dir():
        # Only a folder of tasks alone: a folder that also holds articles is imported file by file.
        files = sorted(p for p in path.iterdir() if not p.name.startswith("."))
        return bool(files) and all(f.suffix.lower() == ".json" for f in files) and _looks_like_tasks(files[0])
    return path.suffix.lower() == ".json" and _looks_like_tasks(path)


def _looks_like_tasks(path: Path) -> bool:
    """Whether a file holds Label Studio tasks (or JSON-MIN rows): parsed when small enough, else
    told from its first bytes."""
    try:
        size = path.stat().st_size
    except OSError:
        return False
    if size > _MAX_SNIFF_BYTES:
        try:
            with path.open("rb") as f:
                head = f.read(_SNIFF_HEAD_BYTES).removeprefix(b"\xef\xbb\xbf")
        except OSError:
            return False
        return bool(_HEAD_TASK.match(head) and any(k in head for k in _HEAD_KEYS) or (
            _HEAD_MIN_ROW.match(head) and b'"start"' in head and b'"text"' in head))
    value, _problem = _load(path)
    first = value[0] if isinstance(value, list) and value else value
    return _is_task(first) or _is_min_row(first)


def _load(path: Path) -> tuple[Any, str]:
    """The file's JSON value, or None and why not (a sentence)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, (f"{path.name} is too large to import ({size / 1e9:.1f} GB, over the "
                          f"{MAX_FILE_BYTES / 1e9:.1f} GB limit): export fewer tasks at a time from Label Studio.")
        return decode_json(path.read_bytes().removeprefix(b"\xef\xbb\xbf")), ""
    except OSError as exc:
        return None, f"Cannot read {path.name}: {exc.strerror or exc}."
    except RecordProblem as problem:
        return None, (f"{path.name} is not a readable JSON file ({problem.reason.rstrip('.')}): export it again "
                      "from Label Studio, or check that it is one of its exports.")


def _is_task(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("data"), dict) and (
        "annotations" in value or "predictions" in value or "completions" in value)


def _is_min_row(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("text"), str) and any(
        isinstance(v, list) and v and isinstance(v[0], dict) and "labels" in v[0] and "start" in v[0]
        for v in value.values())


def read(path: Path) -> Iterator[FormatRecord]:
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    for file in files:
        value, problem = _load(file)
        if value is None:
            yield FormatRecord(str(file), reason=problem)
            continue
        items = value if isinstance(value, list) else [value]
        if items and all(_is_min_row(i) and not _is_task(i) for i in items):
            yield from _read_min(file, items)
            continue
        for n, task in enumerate(items, start=1):
            where = f"{file}#task {task.get('id', n) if isinstance(task, dict) else n}"
            if not _is_task(task):
                yield FormatRecord(where, reason="Not a Label Studio task (no \"data\" with annotations).")
                continue
            yield _task(where, task)


def _task(where: str, task: dict[str, Any]) -> FormatRecord:
    record = FormatRecord(where)
    data = task["data"]
    key = _text_key(data)
    if key is None:
        record.reason = "The task's data has no text (no \"text\" field, nor any other text)."
        return record
    if key != "text":
        record.tally.add("noted", f"text taken from data.{key}")
    body = data[key]
    utf16 = Utf16(body)
    spans: list[dict[str, Any]] = []
    for annotation in _objects(task.get("annotations") or task.get("completions"), "annotation", record.tally):
        if annotation.get("was_cancelled"):
            found = annotation.get("result")
            results: list[Any] = found if isinstance(found, list) else []
            record.tally.add("skipped", "cancelled annotation")
            record.tally.add("skipped", "span of a cancelled annotation",
                             sum(1 for r in results if isinstance(r, dict) and _is_span(r)))
            continue
        results = _objects(annotation.get("result"), "result", record.tally)
        annotator = _annotator(annotation.get("completed_by"))
        for result, labels in _span_results(results, record.tally):
            placed = place_span(body, result["value"].get("start"), result["value"].get("end"),
                                _claimed(result), record.tally, utf16)
            if placed:
                spans.extend(span(*placed, label, annotator) for label in labels)
    for prediction in _objects(task.get("predictions"), "prediction", record.tally):
        version = str(prediction.get("model_version") or "")
        if version.startswith(MODEL_VERSION_PREFIX):
            spans += _own_layer(body, prediction, version.removeprefix(MODEL_VERSION_PREFIX), record.tally)
            continue
        source = f"labelstudio:{version or 'prediction'}"
        score = prediction.get("score")
        for result, labels in _span_results(_objects(prediction.get("result"), "result", record.tally),
                                            record.tally):
            placed = place_span(body, result["value"].get("start"), result["value"].get("end"),
                                _claimed(result), record.tally, utf16)
            value = result.get("score", score)
            if placed:
                record.suggestions.extend(
                    {"start": placed[0], "end": placed[1], "label": label, "source": source,
                     "score": float(value) if isinstance(value, (int, float)) else 1.0}
                    for label in labels)
    fields, meta = _split_data(data, key)
    if isinstance(task.get("id"), (int, str)):
        meta["labelstudio_task_id"] = task["id"]
    return finish(record, {"text": body, **fields, "source_kind": "jsonl", "source": where, "spans": spans,
                           "meta": meta})


def _own_layer(body: str, prediction: dict[str, Any], who: str, tally: Tally) -> list[dict[str, Any]]:
    """An annotator's layer as this app's export writes it: spans again, with their attributes."""
    tally.add("noted", "an annotator's layer exported by Article Curator, read back as spans")
    annotator = "" if who == NO_ANNOTATOR else who
    spans: list[dict[str, Any]] = []
    for result, labels in _span_results(_objects(prediction.get("result"), "result", tally), tally):
        placed = place_span(body, result["value"].get("start"), result["value"].get("end"), _claimed(result), tally,
                            trim=False)
        meta = result.get("meta")
        attributes = meta.get("attributes") if isinstance(meta, dict) else None
        if placed:
            spans.extend(span(*placed, label, annotator, attributes if isinstance(attributes, dict) else None)
                         for label in labels)
    return spans


def _read_min(file: Path, rows: list[dict[str, Any]]) -> Iterator[FormatRecord]:
    """JSON-MIN rows, grouped by task: every annotator's row of a task is one article."""
    groups: dict[int | str, list[dict[str, Any]]] = {}
    for n, row in enumerate(rows, start=1):
        task_id = row.get("id")
        # Only a whole number or a string names a task; anything else leaves the row a task of its own.
        key = task_id if isinstance(task_id, (int, str)) and not isinstance(task_id, bool) else f"row {n}"
        groups.setdefault(key, []).append(row)
    for task_id, group in groups.items():
        where = f"{file}#task {task_id}"
        record = FormatRecord(where)
        body = group[0]["text"]
        utf16 = Utf16(body)
        spans: list[dict[str, Any]] = []
        for row in group:
            if row["text"] != body:
                record.tally.add("refused", "a row of the same task with another text")
                record.tally.add("refused", "a span of a row of the same task with another text",
                                 sum(len(v) for v in row.values() if _is_span_list(v)))
                continue
            annotator = _annotator(row.get("annotator"))
            for key, items in row.items():
                if key == "text" or not isinstance(items, list):
                    continue
                for item in items:
                    if not isinstance(item, dict) or "start" not in item:
                        continue
                    labels = _labels(item.get("labels"), record.tally)
                    placed = labels and place_span(body, item.get("start"), item.get("end"), item.get("text"),
                                                   record.tally, utf16)
                    if placed:
                        spans.extend(span(*placed, label, annotator) for label in labels)
        fields, meta = _split_data({k: v for k, v in group[0].items() if not _is_span_list(v)}, "text")
        for k in ("annotator", "annotation_id", "created_at", "updated_at", "lead_time", "id"):
            meta.pop(k, None)
        meta["labelstudio_task_id"] = task_id
        yield finish(record, {"text": body, **fields, "source_kind": "jsonl", "source": where, "spans": spans,
                              "meta": meta})


def _objects(value: Any, what: str, tally: Tally) -> list[dict[str, Any]]:
    """The objects of a list in a task; anything else in it is counted, not passed over in silence."""
    items = value if isinstance(value, list) else [] if value is None else [value]
    objects = [item for item in items if isinstance(item, dict)]
    tally.add("refused", f"{what} that is not a JSON object", len(items) - len(objects))
    return objects


def _is_span_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(i, dict) and "start" in i for i in value)


def _text_key(data: dict[str, Any]) -> str | None:
    """The data field the labels point into: "text", else the longest text field."""
    if isinstance(data.get("text"), str) and data["text"].strip():
        return "text"
    texts = [(len(v), k) for k, v in data.items() if isinstance(v, str) and v.strip()]
    return max(texts)[1] if texts else None


def _split_data(data: dict[str, Any], text_key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Task data fields as article columns (title, url, date, ...) and the rest as metadata."""
    fields: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    names = {alias: column for column, aliases in _FIELDS.items() for alias in aliases}
    for key, value in data.items():
        if key == text_key:
            continue
        column = names.get(key.lower())
        if column and isinstance(value, str) and column not in fields:
            fields[column] = value
        elif key == "uid" and isinstance(value, str) and _UID.match(value):
            fields["uid"] = value  # an article this app exported: the same id again
        else:
            meta[key] = value
    return fields, meta


def _annotator(who: Any) -> str:
    """An annotator's name: the user's email, else their id (as JSON-MIN and older exports give it)."""
    if isinstance(who, dict):
        who = who.get("email") or who.get("id")
    if isinstance(who, (int, str)) and not isinstance(who, bool):
        return str(who)
    return ""


def _is_span(result: dict[str, Any]) -> bool:
    value = result.get("value")
    return isinstance(value, dict) and "start" in value and "labels" in value


def _span_results(results: list[dict[str, Any]], tally: Tally) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """(result, its labels) for each span result; other results counted as not imported."""
    for result in results:
        if not _is_span(result):
            tally.add("not imported", f"{result.get('type') or 'unknown'} result (not a text span)")
            continue
        labels = _labels(result["value"].get("labels"), tally)
        if labels:
            yield result, labels


def _labels(value: Any, tally: Tally) -> list[str]:
    if not isinstance(value, list) or not value:
        tally.add("refused", "the span has no label")
        return []
    return [name for name in (label_of(v, tally) for v in value) if name]


def _claimed(result: dict[str, Any]) -> str | None:
    text = result["value"].get("text")
    return text if isinstance(text, str) else None
