"""brat standoff: a folder of ``NAME.txt`` + ``NAME.ann`` pairs, one document each.

Text-bound annotations (``T1<TAB>PERSON 0 8<TAB>Ana Ruiz``) become spans; a
discontinuous one (``0 3;5 8``) becomes one span per fragment, noted.
Attributes (``A1<TAB>Verdict T3 false``) go onto the span's attributes, under
the claim attribute's name when the names fit (``Verdict`` is ``verdict``);
``#1<TAB>AnnotatorNotes T3<TAB>...`` becomes the span's note. Relations,
events, equivalences and normalisations have nothing to become here: they are
counted as not imported. brat counts offsets in characters of the ``.txt`` as
read in UTF-8 with its line ends kept, and so does this reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.core.ingest.file_sources import file_kind
from app.core.ingest.formats import FormatRecord, Tally
from app.core.ingest.formats.spans import finish, label_of, place_span, span
from app.core.ops.span_rules import CLAIM_FIELDS

_FRAGMENT = re.compile(r"^(\d+) (\d+)$")
_NOT_IMPORTED = {"R": "relation", "E": "event", "*": "equivalence", "N": "normalisation"}


def sniff(path: Path) -> bool:
    if path.is_dir():
        # A brat folder holds .txt + .ann pairs (and configuration) only; in a folder of mixed
        # files each pair is recognised on its own.
        files = [p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")]
        pairs = {str(p)[:-4] for p in files if p.suffix == ".ann"}
        return bool(pairs) and all(str(p)[:-4] in pairs for p in files if p.suffix == ".txt") and not any(
            file_kind(p) not in (None, "text") for p in files)
    return path.suffix.lower() in (".ann", ".txt") and path.with_suffix(".ann").is_file() and \
        path.with_suffix(".txt").is_file()


def read(path: Path) -> Iterator[FormatRecord]:
    if not path.is_dir():
        yield _document(path.with_suffix(".txt"), path.with_suffix(".ann"))
        return
    # A .txt without its .ann is a document nobody annotated yet: brat shows it, and so is it imported.
    # By name, not with_suffix: "esp.train-doc-29" has dots of its own.
    stems = sorted({str(p)[:-4] for p in (*path.rglob("*.ann"), *path.rglob("*.txt"))})
    for stem in stems:
        txt, ann = Path(stem + ".txt"), Path(stem + ".ann")
        if not txt.is_file():
            yield FormatRecord(str(ann), reason=f"{ann.name} has no {txt.name} beside it.")
            continue
        yield _document(txt, ann)


def _document(txt: Path, ann: Path) -> FormatRecord:
    record = FormatRecord(str(ann))
    try:
        with txt.open(encoding="utf-8", newline="") as f:
            body = f.read()
        lines = ann.read_text(encoding="utf-8").splitlines() if ann.is_file() else []
    except (OSError, UnicodeDecodeError) as exc:
        record.reason = f"Cannot read {txt.name} or {ann.name} as UTF-8 text: {exc}."
        return record
    by_id: dict[str, list[dict[str, Any]]] = {}  # T id: its spans (one per fragment)
    extras: list[list[str]] = []
    for line in lines:
        fields = line.split("\t")
        kind = fields[0][:1]
        if kind == "T" and len(fields) >= 2:
            by_id[fields[0]] = _text_bound(body, fields, record.tally)
        elif kind in ("A", "M", "#"):
            extras.append(fields)
        elif kind in _NOT_IMPORTED:
            record.tally.add("not imported", f"brat {_NOT_IMPORTED[kind]} annotation (no place for it here)")
        elif line.strip():
            record.tally.add("not imported", "unrecognised brat line")
    for fields in extras:
        _attach(fields, by_id, record.tally)
    spans = [s for group in by_id.values() for s in group]
    return finish(record, {"text": body, "title": txt.stem, "source_kind": "file", "source": str(txt),
                           "spans": spans})


def _text_bound(body: str, fields: list[str], tally: Tally) -> list[dict[str, Any]]:
    label_part, _, ranges = fields[1].partition(" ")
    label = label_of(label_part, tally)
    fragments = [_FRAGMENT.match(part.strip()) for part in ranges.split(";")]
    if label is None or not fragments or not all(fragments):
        if label is not None:
            tally.add("refused", "brat offsets that are not 'start end' pairs")
        return []
    offsets = [(int(m[1]), int(m[2])) for m in fragments if m]
    claimed = fields[2] if len(fields) > 2 else None
    if len(offsets) == 1:
        placed = place_span(body, *offsets[0], claimed, tally)
        return [span(*placed, label)] if placed else []
    # brat writes a discontinuous span's text as its fragments joined by spaces.
    if claimed is not None and " ".join(body[s:e] for s, e in offsets if 0 <= s < e <= len(body)) != claimed:
        tally.add("refused", "the text at the span's offsets differs from the span's text", len(offsets))
        return []
    placed_all = [place_span(body, s, e, None, tally) for s, e in offsets]
    tally.add("noted", "discontinuous brat annotation stored as one span per fragment")
    return [span(*p, label) for p in placed_all if p]


def _attach(fields: list[str], by_id: dict[str, list[dict[str, Any]]], tally: Tally) -> None:
    """An attribute or note line onto the spans of the annotation it names."""
    if fields[0].startswith("#"):
        parts = fields[1].split(" ") if len(fields) > 1 else []
        target = parts[1] if len(parts) > 1 else ""
        note = fields[2] if len(fields) > 2 else ""
        targets = by_id.get(target)
        if not targets:
            tally.add("not imported", "note on an annotation that is not a span")
            return
        for s in targets:
            old = s["attributes"].get("note")
            s["attributes"]["note"] = f"{old}; {note}" if old else note
        return
    parts = fields[1].split(" ") if len(fields) > 1 else []
    if len(parts) < 2 or parts[1] not in by_id:
        tally.add("not imported", "attribute of an annotation that is not a span")
        return
    name, value = parts[0], (" ".join(parts[2:]) if len(parts) > 2 else True)
    fitting = next((f for f in CLAIM_FIELDS if f == name.casefold()), None)
    if fitting is None:
        tally.add("noted", "brat attribute kept under its own name (no claim attribute of that name)")
    for s in by_id[parts[1]]:
        s["attributes"][fitting or name] = value
