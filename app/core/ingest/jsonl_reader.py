"""Reading labelled JSONL (or JSON) files for import: the inverse of ``exporter``.

Every record becomes either a validated ``NewArticle`` or a ``RecordError``
that says which line is wrong and why, in words a user can act on. One bad
line never stops the others from importing.

Recognised record shapes (detected per record, so mixed files work):

* our ``native`` export: ``{"id", "url", "title", "text", "meta": {...},
  "status", "spans": [{"start", "end", "label", "text", "annotator",
  "attributes", "entity_id"?, "claimant_id"?}]}``;
* spaCy / Prodigy tasks: ``{"text", "spans": [{"start", "end", "label",
  "kb_id"?, "claimant_id"?}], "meta": {...}}``. Prodigy records answered ``"reject"`` or ``"ignore"`` are
  left out (a ``RecordError`` with ``skipped=True``): their spans are what the
  annotator turned down, so importing them would teach a model the opposite;
* doccano: ``{"text", "label": [[start, end, "LABEL"], ...]}``, its older
  ``"labels"`` spelling, and its ``"entities": [{"start_offset",
  "end_offset", "label"}]`` relation-extraction variant; its other keys are
  metadata;
* plain ``{"text", "title"?, "url"?, ...}``.

Article fields are looked up at the top level first, then in ``"meta"``. A
record that names its ``source_kind`` (our own exports do) keeps its source;
any other gets ``source_kind="jsonl"`` and the file path as its source. An
``"id"`` that is a valid uid is kept, so re-importing an export into a new
dataset gives the same ids back; other ids (e.g. doccano's numbers) are
ignored and the article gets a new uid.

A span's link to an entity (native ``entity_id``, spaCy ``kb_id`` as our
exports write it: a whole number, or its digits as a string) and a claim's
``claimant_id`` are read as the ids of the entities file beside the export;
the importer turns them into the dataset's own (``entity_links``). A ``kb_id``
of another knowledge base (``"Q42"``) is not one of ours and is ignored.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from pydantic import ValidationError

from app.core.ingest.sniff import SNIFF_BYTES, sniff_binary, utf16_without_bom
from app.core.validation import NewArticle, describe_validation_error
from app.models import ARTICLE_STATUSES, SOURCE_KINDS

_UID = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")
_BOM = b"\xef\xbb\xbf"
_SKIPPED_ANSWERS = ("reject", "ignore")
_SHOWN_CHARS = 40
_MB = 1024 * 1024
# Room for the longest text an article may have (MAX_TEXT_CHARS), even written as \u escapes, and its spans.
MAX_LINE_BYTES = 64 * _MB


@dataclass(frozen=True)
class RecordError:
    """A record that could not be imported (or was deliberately left out, when ``skipped``)."""

    line: int  # line number in a JSONL file, record number in a JSON list; 0 for the whole file
    reason: str  # a full sentence, starting with where: "line 7: not valid JSON (...)."
    skipped: bool = False


RecordResult = NewArticle | RecordError


class RecordProblem(ValueError):
    """What is wrong with one record, without the "line N: " prefix."""

    def __init__(self, reason: str, skipped: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.skipped = skipped


def iter_jsonl_records(path: str | Path) -> Iterator[RecordResult]:
    """Articles (or errors) from a ``.jsonl`` file, one per non-blank line, or from a ``.json`` file
    holding one record or a list of records. Streams JSONL: memory does not grow with file size."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError as exc:
        yield RecordError(0, f"Cannot read {path}: {exc.strerror or exc}.")
        return
    # One reason for the whole file, rather than one "not UTF-8 text" for each of its lines.
    what = _binary_kind(head)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or utf16_without_bom(head):
        yield RecordError(0, f"{path.name} is not UTF-8 (it looks like UTF-16); save it as UTF-8 and import again.")
        return
    if what:
        yield RecordError(0, f"{path.name} is not a JSON Lines file: it contains {what}.")
        return
    if path.suffix.lower() == ".json":
        results = _read_json_document(path)
        if results is not None:
            yield from results
            return
        # Not one JSON document: most likely JSON Lines saved with a .json name.
    yield from _read_lines(path)


def _binary_kind(head: bytes) -> str | None:
    """What kind of binary file starts with ``head``, or None for text.

    A stray NUL byte in one line is that line's problem, not the whole file's:
    only a file with NUL bytes throughout (or other binary signs) is refused whole.
    """
    what = sniff_binary(head)
    if what == "binary data" and head.count(0) <= len(head) // 100:
        return sniff_binary(head.replace(b"\x00", b" "))
    return what


def _read_lines(path: Path) -> Iterator[RecordResult]:
    source = str(path)
    records = 0
    try:
        with path.open("rb") as f:
            for number, raw in enumerate(_lines(f), start=1):
                if raw is None:
                    records += 1
                    yield RecordError(number, f"line {number}: longer than {MAX_LINE_BYTES // _MB} MB, "
                                              "more than an article can hold; skipped.")
                    continue
                if number == 1 and raw.startswith(_BOM):
                    raw = raw[len(_BOM):]
                raw = raw.strip()  # also drops the \r of CRLF files
                if not raw:
                    continue
                records += 1
                yield _one(raw, f"line {number}", number, source)
    except OSError as exc:
        yield RecordError(0, f"Cannot read {path}: {exc.strerror or exc}.")
        return
    if records == 0:
        yield RecordError(0, f"{path.name} is empty: it holds no records.")


def _lines(f: BinaryIO) -> Iterator[bytes | None]:
    """The lines of ``f``; None for a line over ``MAX_LINE_BYTES``, which is skipped, not held in memory."""
    while line := f.readline(MAX_LINE_BYTES + 1):
        if len(line) <= MAX_LINE_BYTES or line.endswith(b"\n"):
            yield line
            continue
        while (rest := f.readline(_MB)) and not rest.endswith(b"\n"):
            pass
        yield None


def _read_json_document(path: Path) -> list[RecordResult] | None:
    """Records of a whole-file JSON document; None when the file is not one JSON value."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [RecordError(0, f"Cannot read {path}: {exc.strerror or exc}.")]
    data = data.removeprefix(_BOM)
    if not data.strip():
        return [RecordError(0, f"{path.name} is empty: it holds no records.")]
    try:
        value = decode_json(data)
    except NotJson as exc:
        if not data.lstrip().startswith(b"["):
            return None  # perhaps JSON Lines after all: read it line by line
        # A broken list: one error that says where, rather than one per line of it.
        if exc.line:
            return [RecordError(exc.line, f"line {exc.line}: {exc.reason.removesuffix('.')}; "
                                          "the file is one JSON list, so none of it was imported.")]
        return [RecordError(0, f"{path.name}: {exc.reason} The file is one JSON list, so none of it was imported.")]
    except RecordProblem as problem:
        return [RecordError(0, f"{path.name}: {problem.reason}")]
    source = str(path)
    if isinstance(value, list):
        if not value:
            return [RecordError(0, f"{path.name} is empty: its list holds no records.")]
        return [_convert(item, f"record {i}", i, source) for i, item in enumerate(value, start=1)]
    return [_convert(value, "record 1", 1, source)]


def _one(raw: bytes, where: str, number: int, source: str) -> RecordResult:
    try:
        value = decode_json(raw)
    except RecordProblem as problem:
        return RecordError(number, f"{where}: {problem.reason}")
    return _convert(value, where, number, source)


class NotJson(RecordProblem):
    """Bytes that are not JSON at all; ``line`` (1-based, 0 if unknown) says where it breaks."""

    def __init__(self, reason: str, line: int = 0) -> None:
        super().__init__(reason)
        self.line = line


def decode_json(raw: bytes) -> Any:
    """The JSON value in ``raw``, or ``RecordProblem`` saying in words why there is none to store.

    The one way every record is decoded, whatever file it came from. orjson is
    fast and strict; what it refuses is read again by the standard library, which
    explains more clearly what is wrong and accepts a few things JSON does not
    allow or the dataset cannot store (NaN, huge numbers, lone surrogates): those
    are refused here, each with its own reason.
    """
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotJson(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start + 1}); "
                      "is the file saved as UTF-8?") from None
    if "\x00" in decoded:
        raise NotJson("not JSON text: it holds NUL bytes, which JSON never does.")
    try:
        value = json.loads(decoded, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        if decoded.startswith("\ufeff"):
            raise NotJson("starts with a byte order mark (U+FEFF), which belongs only at the start of a file; "
                          "were files joined together?") from None
        # "Unterminated string starting at" + " at column 7" would say "at" twice.
        raise NotJson(f"not valid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno}).", exc.lineno) from None
    except RecursionError:
        raise NotJson("not valid JSON (nested too deeply).") from None
    except MemoryError:
        raise NotJson("too large to read as one record.") from None
    except ValueError as exc:  # NaN/Infinity, or "Exceeds the limit (4300 digits) for integer string conversion"
        raise NotJson(f"not valid JSON ({_value_error(exc)}).") from None
    problem = _unstorable(value)
    if problem:
        raise RecordProblem(f"holds {problem}.")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _value_error(exc: ValueError) -> str:
    message = str(exc)
    if "integer string conversion" in message:
        return f"a number has more than {sys.get_int_max_str_digits()} digits"
    return message.splitlines()[0] if message else type(exc).__name__


def _unstorable(value: Any) -> str | None:
    """What in a decoded value cannot be stored as it is, said as "holds ..." would go on; None if nothing."""
    try:
        orjson.dumps(value)  # what the store writes JSON with
    except orjson.JSONEncodeError as exc:
        message = str(exc)
        if "surrogate" in message:
            return "an invalid character (a lone surrogate escape such as \\ud800)"
        if "64-bit" in message:
            return "a number too large to store (more than 64 bits)"
        if "ecursion" in message:
            return "values nested too deeply to store (more than about 250 levels)"
        return f"a value that cannot be stored ({message})"
    return None


def _convert(value: Any, where: str, number: int, source: str) -> RecordResult:
    try:
        return record_to_article(value, source)
    except RecordProblem as problem:
        return RecordError(number, f"{where}: {problem.reason}", problem.skipped)


# --- one record -----------------------------------------------------------------------------------


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )


def _shown(value: Any) -> str:
    """A value as a reason quotes it: strings in quotes, anything long cut short."""
    if isinstance(value, str):
        return repr(value if len(value) <= _SHOWN_CHARS else value[: _SHOWN_CHARS - 1] + "…")
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _field(record: dict[str, Any], meta: dict[str, Any], *keys: str) -> str | None:
    """The first string value under ``keys``, at the top level first, then in ``meta``."""
    for where in (record, meta):
        for key in keys:
            value = where.get(key)
            if isinstance(value, str):
                return value
    return None


def _uid(record: dict[str, Any], meta: dict[str, Any]) -> str | None:
    for where in (record, meta):
        for key in ("id", "uid"):
            value = where.get(key)
            if isinstance(value, str) and _UID.match(value):
                return value
    return None


def record_to_article(record: Any, source: str) -> NewArticle:
    """One decoded JSON record as a validated article; raises ``RecordProblem`` with the reason."""
    if not isinstance(record, dict):
        raise RecordProblem(f"not a JSON object (found {_kind(record)}).")
    answer = record.get("answer")
    if answer in _SKIPPED_ANSWERS:
        raise RecordProblem(f'left out: the Prodigy answer is "{answer}".', skipped=True)
    body = record.get("text")
    if body is None and isinstance(record.get("data"), str):
        body = record["data"]  # doccano 1.0-1.2 exports
    if body is None:
        raise RecordProblem('no "text" field.')
    if not isinstance(body, str):
        raise RecordProblem(f'"text" is {_kind(body)}, not a string.')
    if not body.strip():
        raise RecordProblem('the "text" field is empty.')
    meta = record.get("meta")
    if not isinstance(meta, dict):
        meta = {}

    status = _field(record, meta, "status")
    if status is not None and status not in ARTICLE_STATUSES:
        raise RecordProblem(f"status {_shown(status)} is not one of {', '.join(ARTICLE_STATUSES)}.")
    source_kind = _field(record, meta, "source_kind")
    if source_kind in SOURCE_KINDS:
        kept_source = _field(record, meta, "source")
    else:
        source_kind, kept_source = "jsonl", _field(record, meta, "source") or source

    data: dict[str, Any] = {
        "text": body,
        "title": _field(record, meta, "title") or "",
        "uid": _uid(record, meta),
        "url": _field(record, meta, "url"),
        "author": _field(record, meta, "author"),
        "published": _field(record, meta, "date", "published"),
        "site_name": _field(record, meta, "site_name"),
        "language": _field(record, meta, "language"),
        "source_kind": source_kind,
        "source": kept_source,
        "spans": _spans(record, body),
        "meta": meta,  # what the article's columns do not take is kept as its metadata
    }
    if status:  # only a status the record gives: an annotator's layer takes it as theirs (storing._own_statuses)
        data["status"] = status
    try:
        return NewArticle.model_validate(data)
    except ValidationError as exc:
        raise RecordProblem(describe_validation_error(exc) + ".") from None


def _spans(record: dict[str, Any], body: str) -> list[dict[str, Any]]:
    for key in ("spans", "label", "labels", "entities"):
        if key in record and record[key] is not None:
            items = record[key]
            break
    else:
        return []
    if not isinstance(items, list):
        raise RecordProblem(f'"{key}" is {_kind(items)}, not a list of spans.')
    spans = []
    seen: set[tuple[int, int, str, str]] = set()
    for n, item in enumerate(items, start=1):
        span = _span(item, n, key, body)
        identity = (span["start"], span["end"], span["label"], span["annotator"])
        if identity not in seen:  # a span listed twice is one span
            seen.add(identity)
            spans.append(span)
    return spans


def _span(item: Any, n: int, key: str, body: str) -> dict[str, Any]:
    annotator = ""
    attributes: dict[str, Any] = {}
    claimed: Any = None
    if isinstance(item, dict):
        start = item["start"] if "start" in item else item.get("start_offset")
        end = item["end"] if "end" in item else item.get("end_offset")
        label = item.get("label")
        claimed = item.get("text")
        if isinstance(item.get("annotator"), str):
            annotator = item["annotator"]
        raw_attrs = item.get("attributes")
        if raw_attrs is not None:
            if not isinstance(raw_attrs, dict):
                raise RecordProblem(f"span {n} has attributes that are {_kind(raw_attrs)}, not an object.")
            # orjson reads deeper nesting than it writes; the attributes are written inside an
            # export line ({"spans": [{"attributes": ...}]}), three levels down. (Nothing to write: nothing to check.)
            if raw_attrs and (problem := _unstorable({"spans": [{"attributes": raw_attrs}]})):
                raise RecordProblem(f"span {n} has attributes with {problem}.")
            attributes = raw_attrs
    elif isinstance(item, list) and len(item) >= 3:
        start, end, label = item[0], item[1], item[2]
    elif isinstance(item, str) and key in ("label", "labels"):
        raise RecordProblem(f'"{key}" holds categories ({_shown(item)}), not spans; only span labels can be imported.')
    else:
        raise RecordProblem(f"span {n} is {_kind(item)}, not a span (an object or [start, end, label]).")

    # What nearly every span of a file is, in one test; anything else goes through the checks one by one.
    if not (type(start) is int and type(end) is int and type(label) is str  # bool is no offset
            and 0 <= start < end <= len(body) and 0 < len(label) <= 64 and not label.isspace()):
        _check_span(start, end, label, n, body)
    if claimed is not None:
        found = body[start:end]
        if claimed != found:
            raise RecordProblem(
                f"span {start}-{end} says {_shown(str(claimed))} but the text there is {_shown(found)}.")
    span = {"start": start, "end": end, "label": label, "annotator": annotator, "origin": "imported",
            "attributes": attributes}
    if isinstance(item, dict):
        entity, claimant = item["entity_id"] if "entity_id" in item else item.get("kb_id"), item.get("claimant_id")
        span["entity_id"] = None if entity is None else _link(entity)
        span["claimant_id"] = None if claimant is None else _link(claimant)
    return span


def _check_span(start: Any, end: Any, label: Any, n: int, body: str) -> None:
    """Raise ``RecordProblem`` for the first thing wrong with a span's offsets and label."""
    for name, value in (("start", start), ("end", end)):
        if value is None:
            raise RecordProblem(f'span {n} has no "{name}".')
        if not isinstance(value, int) or isinstance(value, bool):
            article = "an" if name == "end" else "a"
            raise RecordProblem(f"span {n} has {article} {name} that is not a whole number ({_shown(value)}).")
    if not isinstance(label, str) or not label.strip():
        raise RecordProblem(f"span {start}-{end} has no label.")
    if len(label) > 64:
        raise RecordProblem(f"span {start}-{end} has a label longer than 64 characters.")
    if start < 0 or end <= start:
        raise RecordProblem(f"span {start}-{end} is empty or reversed.")
    if end > len(body):
        raise RecordProblem(f"span {start}-{end} ends past the end of the text ({len(body)} characters).")


def _link(value: Any) -> int | None:
    """An entity id as our exports write it (a whole number, or its digits in spaCy's string kb_id)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
        return value
    return None
