"""Prodigy JSONL (``prodigy db-out``): tokenised examples with token-indexed spans and answers.

``{"text", "tokens": [{"text", "start", "end", "id"}], "spans": [{"start",
"end", "token_start", "token_end", "label"}], "answer", "_input_hash",
"_annotator_id", "_session_id", "meta"}``. ``token_end`` is inclusive. Examples
answered "reject" or "ignore" are skipped and counted; the accepted ones of one
input (one ``_input_hash``, one per annotator in a multi-annotator dataset)
become one article with a layer per annotator (``_annotator_id``, else
``_session_id``). The input hash and the example's ``meta`` are kept in the
article's metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.core.ingest.formats import FormatRecord, Tally
from app.core.ingest.formats.spans import finish, label_of, place_span, span
from app.core.ingest.jsonl_reader import RecordProblem, decode_json

_PRODIGY_KEYS = ("_input_hash", "_task_hash", "_annotator_id", "_session_id", "_view_id")


def sniff(path: Path) -> bool:
    if not path.is_file() or path.suffix.lower() not in (".jsonl", ".ndjson", ".json"):
        return False
    try:
        with path.open("rb") as f:
            first = next((line for line in f if line.strip()), b"")
        value = decode_json(first.removeprefix(b"\xef\xbb\xbf"))
    except (OSError, RecordProblem):
        return False
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        return False
    token_spans = isinstance(value.get("spans"), list) and any(
        isinstance(s, dict) and "token_start" in s for s in value["spans"])
    return token_spans or any(k in value for k in _PRODIGY_KEYS)


def read(path: Path) -> Iterator[FormatRecord]:
    groups: dict[Any, list[tuple[int, dict[str, Any]]]] = {}
    try:
        with path.open("rb") as f:
            for number, raw in enumerate(f, start=1):
                if not raw.strip():
                    continue
                try:
                    value = decode_json(raw.strip().removeprefix(b"\xef\xbb\xbf"))
                except RecordProblem as problem:
                    yield FormatRecord(f"{path}:{number}", reason=f"line {number}: {problem.reason}")
                    continue
                if not isinstance(value, dict) or not isinstance(value.get("text"), str):
                    yield FormatRecord(f"{path}:{number}", reason=f'line {number}: no "text" field.')
                    continue
                if value.get("answer") in ("reject", "ignore"):
                    yield FormatRecord(f"{path}:{number}", skipped=True,
                                       reason=f'line {number}: left out: the Prodigy answer is "{value["answer"]}".')
                    continue
                groups.setdefault(_input_key(value, number), []).append((number, value))
    except OSError as exc:
        yield FormatRecord(str(path), reason=f"Cannot read {path}: {exc.strerror or exc}.")
        return
    for examples in groups.values():
        yield _article(path, examples)


def _input_key(example: dict[str, Any], number: int) -> int | str | tuple[str, int]:
    """What groups an input's examples: its hash when that is a number or a string, else its text;
    an example whose hash is anything else stays on its own."""
    found = example.get("_input_hash", example["text"])
    if isinstance(found, (int, str)) and not isinstance(found, bool):
        return found
    return ("line", number)


def _spans_of(example: dict[str, Any], tally: Tally) -> list[Any]:
    found = example.get("spans")
    if found is None or isinstance(found, list):
        return found or []
    tally.add("refused", "spans that are not a list")
    return []


def _article(path: Path, examples: list[tuple[int, dict[str, Any]]]) -> FormatRecord:
    number, first = examples[0]
    record = FormatRecord(f"{path}:{number}")
    body = first["text"]
    spans: list[dict[str, Any]] = []
    for _, example in examples:
        if example["text"] != body:
            record.tally.add("refused", "an example of the same input with another text")
            record.tally.add("refused", "a span of an example of the same input with another text",
                             len(_spans_of(example, record.tally)))
            continue
        who = example.get("_annotator_id") or example.get("_session_id") or ""
        found_tokens = example.get("tokens")
        tokens: list[Any] = found_tokens if isinstance(found_tokens, list) else []
        for item in _spans_of(example, record.tally):
            if not isinstance(item, dict):
                record.tally.add("refused", "a span that is not an object")
                continue
            placed = _place(body, item, tokens, record.tally)
            label = label_of(item.get("label"), record.tally) if placed else None
            if placed and label:
                spans.append(span(*placed, label, str(who)))
    meta = dict(first["meta"]) if isinstance(first.get("meta"), dict) else {}
    if "_input_hash" in first:
        meta["_input_hash"] = first["_input_hash"]
    fields = {k: first[k] for k in ("title", "url") if isinstance(first.get(k), str)}
    return finish(record, {"text": body, **fields, "source_kind": "jsonl", "source": f"{path}:{number}",
                           "spans": spans, "meta": meta})


def _place(body: str, item: dict[str, Any], tokens: list[Any], tally: Tally) -> tuple[int, int] | None:
    """Character offsets of a span: from its tokens when it names them (checked against its own
    start and end when it has those too), else from its start and end."""
    start, end = item.get("start"), item.get("end")
    first, last = item.get("token_start"), item.get("token_end")
    if isinstance(first, int) and isinstance(last, int):
        if not (0 <= first <= last < len(tokens)) or not all(isinstance(tokens[i], dict) for i in (first, last)):
            tally.add("refused", "the span's tokens are not in the example's token list")
            return None
        by_tokens = tokens[first].get("start"), tokens[last].get("end")
        if start is not None and (start, end) != by_tokens:
            tally.add("refused", "the span's character offsets and its tokens disagree")
            return None
        start, end = by_tokens
    return place_span(body, start, end, item.get("text") if isinstance(item.get("text"), str) else None, tally)
