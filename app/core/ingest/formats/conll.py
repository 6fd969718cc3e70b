"""CoNLL and IOB files: one token a line, its tag in the last column, sentences between blank lines.

Read: CoNLL-2003 columns (``EU NNP B-NP B-ORG``), two-column ``token TAG``
files, and the tagging schemes IOB1, IOB2 (BIO) and BIOES/BILOU, told apart
from the tags of the whole file. The text is rebuilt from the tokens (one
space between tokens, a line break between sentences) and a ``-DOCSTART-``
line starts a new document. An ``I-`` tag that follows neither a ``B-`` nor
an ``I-`` of its type starts a span (the common repair), counted, except in
IOB1 files, where that is how a span starts. A tag that is none of these (a
part-of-speech column, a bare "B") is refused as a span, counted; a document
whose tags are mostly such is refused whole, with the reason.

A ``.txt`` or ``.tsv`` file is taken for CoNLL only on strong evidence: several
rows of one token and a tag column or few (at most five, as many on every row),
most of them ending in a proper tag (``O``, or ``B-``/``I-``/... with a label of
letters), at least one not ``O``. A file named ``.conll``, ``.iob``, ... needs
only most rows to end in a tag. Plain text whose lines end in words such as
"I-95" or "U-turn" stays plain text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.core.ingest.formats import FormatRecord, Tally
from app.core.ingest.formats.spans import finish, span

SUFFIXES = (".conll", ".conll03", ".iob", ".iob1", ".iob2", ".bio", ".bioes", ".bilou", ".tsv", ".txt")
_TAG = re.compile(r"^(O|[BIESLU][-_].+)$")
_PROPER_TAG = re.compile(r"^[BIESLU][-_][A-Za-z][A-Za-z_-]*$")  # e.g. B-PER, I-MISC, U-work_of_art
_SNIFF_LINES = 200
_SNIFF_MIN_ROWS = 3
_SNIFF_MAX_COLUMNS = 5
_PLAIN_SUFFIXES = (".txt", ".tsv")  # also written by people as plain text: sniffed more strictly
REFUSED_TAG = "the tag is not O, B-, I-, E-, S-, L- or U- followed by a label"
REPAIRED_I = "an I- tag without a B- before it starts a span"
REPAIRED_END = "a span left open by an inconsistent BIOES/BILOU sequence"

Token = tuple[str, str]


def sniff(path: Path) -> bool:
    if not path.is_file() or path.suffix.lower() not in SUFFIXES:
        return False
    try:
        with path.open(encoding="utf-8") as f:
            lines = [line.strip() for _, line in zip(range(_SNIFF_LINES), f, strict=False)]
    except (OSError, UnicodeDecodeError):
        return False
    rows = [_columns(line) for line in lines if line and not line.startswith("-DOCSTART-")]
    if path.suffix.lower() not in _PLAIN_SUFFIXES:
        # The name says CoNLL already (.conll, .iob, .bio ...): most rows ending in a tag confirm it.
        tagged = [r for r in rows if len(r) >= 2 and valid_tag(r[-1])]
        return bool(rows) and len(tagged) >= 0.95 * len(rows) and any(r[-1] != "O" for r in tagged)
    # A .txt or .tsv may be anyone's text: several rows of one token and few tag columns, most tags
    # proper ones (B-PER, not "I-95"), at least one of them not O.
    if len(rows) < _SNIFF_MIN_ROWS:
        return False
    shaped = [r for r in rows if 2 <= len(r) <= _SNIFF_MAX_COLUMNS and (r[-1] == "O" or _PROPER_TAG.match(r[-1]))]
    # Columns come in the same number on every row; lines of prose do not.
    _, same_width = Counter(len(r) for r in rows).most_common(1)[0]
    return len(shaped) >= 0.9 * len(rows) and same_width >= 0.9 * len(rows) and any(r[-1] != "O" for r in shaped)


def _columns(line: str) -> list[str]:
    return line.split("\t") if "\t" in line else line.split()


def read(path: Path) -> Iterator[FormatRecord]:
    try:
        with path.open(encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        yield FormatRecord(str(path), reason=f"Cannot read {path.name} as UTF-8 text: {exc}.")
        return
    documents = list(_documents(lines))
    scheme = detect_scheme([tag for doc in documents for sentence in doc for _, tag in sentence])
    for n, doc in enumerate(documents, start=1):
        where = f"{path}#document {n}" if len(documents) > 1 else str(path)
        record = FormatRecord(where)
        tags = [tag for sentence in doc for _, tag in sentence]
        invalid = sum(1 for tag in tags if not valid_tag(tag))
        if invalid * 2 > len(tags):
            record.tally.add("refused", REFUSED_TAG, invalid)
            record.reason = (f"Not imported: {invalid} of its {len(tags)} tags are not O, B-, I-, E-, S-, L- or U- "
                             "followed by a label, so its last column holds no entity tags (a part-of-speech "
                             "column?). Give a file whose last column is the entity tag, or, if it is no "
                             "CoNLL file, import it without --from conll.")
            yield record
            continue
        record.tally.add("noted", f"tags read as {scheme}")
        body, spans = rebuild(doc, scheme, record.tally)
        title = f"{path.stem} {n}" if len(documents) > 1 else path.stem
        yield finish(record, {"text": body, "title": title, "source_kind": "file", "source": where,
                              "spans": spans})


def _documents(lines: list[str]) -> Iterator[list[list[Token]]]:
    """Documents as lists of sentences of (token, tag)."""
    doc: list[list[Token]] = []
    sentence: list[Token] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("-DOCSTART-"):
            if sentence:
                doc.append(sentence)
            if doc:
                yield doc
            doc, sentence = [], []
            continue
        if not stripped:
            if sentence:
                doc.append(sentence)
            sentence = []
            continue
        cols = _columns(stripped)
        if len(cols) < 2:
            continue  # a header or a stray word: no token with a tag
        sentence.append((cols[0], cols[-1].strip()))
    if sentence:
        doc.append(sentence)
    if doc:
        yield doc


def valid_tag(tag: str) -> bool:
    """O, or a B-/I-/E-/S-/L-/U- prefix followed by a label."""
    return tag == "O" or (_TAG.match(tag) is not None and bool(tag[2:].strip()))


def detect_scheme(tags: list[str]) -> str:
    """"BIOES" when S-/E- (or U-/L-) tags occur, "IOB1" when spans start with I- and B- only
    separates neighbours of one type, else "IOB2"."""
    tags = [t for t in tags if valid_tag(t)]
    prefixes = {t[0] for t in tags if t != "O"}
    if prefixes & {"S", "E", "U", "L"}:
        return "BIOES"
    i_starts = b_starts = 0
    prev = "O"
    for tag in tags:
        if tag.startswith("I"):
            i_starts += not _same_type(prev, tag)
        elif tag.startswith("B"):
            b_starts += not _same_type(prev, tag)
        prev = tag
    return "IOB1" if i_starts and not b_starts else "IOB2"


def _same_type(prev: str, tag: str) -> bool:
    return prev != "O" and prev[2:] == tag[2:]


def rebuild(doc: list[list[Token]], scheme: str, tally: Tally) -> tuple[str, list[dict[str, Any]]]:
    """The document's text and its spans (character offsets) from its tagged tokens."""
    parts: list[str] = []
    spans: list[dict[str, Any]] = []
    pos = 0
    for s_index, sentence in enumerate(doc):
        if s_index:
            parts.append("\n")
            pos += 1
        open_span: list[Any] | None = None  # [start, end, label]
        for t_index, (token, tag) in enumerate(sentence):
            if t_index:
                parts.append(" ")
                pos += 1
            start, end = pos, pos + len(token)
            parts.append(token)
            pos = end
            open_span = _step(open_span, tag, start, end, scheme, spans, tally)
        if open_span is not None:
            _close(open_span, scheme, spans, tally)
    return "".join(parts), spans


def _step(open_span: list[Any] | None, tag: str, start: int, end: int, scheme: str,
          spans: list[dict[str, Any]], tally: Tally) -> list[Any] | None:
    if tag == "O" or not valid_tag(tag):
        if tag != "O":
            tally.add("refused", REFUSED_TAG)
        if open_span is not None:
            _close(open_span, scheme, spans, tally)
        return None
    prefix, label = tag[0], tag[2:]
    continues = open_span is not None and open_span[2] == label and prefix in ("I", "E", "L")
    if continues:
        assert open_span is not None
        open_span[1] = end
        if prefix in ("E", "L"):
            spans.append(span(open_span[0], open_span[1], label))
            return None
        return open_span
    if open_span is not None:
        _close(open_span, scheme, spans, tally)
    if prefix == "I" and scheme != "IOB1":
        tally.add("repaired", REPAIRED_I)
    if prefix in ("S", "U"):
        spans.append(span(start, end, label))
        return None
    if prefix in ("E", "L"):
        tally.add("repaired", REPAIRED_END)
        spans.append(span(start, end, label))
        return None
    return [start, end, label]


def _close(open_span: list[Any], scheme: str, spans: list[dict[str, Any]], tally: Tally) -> None:
    if scheme == "BIOES":
        tally.add("repaired", REPAIRED_END)  # a B-/I- run that no E- (or L-) ended
    spans.append(span(*open_span))
