"""Reading what other annotation tools write: Label Studio, brat, CoNLL/IOB and Prodigy.

Each format has a module of its own with a ``read(path)`` that yields one
``FormatRecord`` per document: a validated article (with its spans), or the
reason it cannot be one, and a ``Tally`` of what happened to its spans on the
way (offsets converted, whitespace trimmed, tag sequences repaired, spans
refused, annotations skipped), each with its reason, so that nothing is left
out without being counted. ``sniff`` says which format a file or folder is in.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.ingest.format_names import FORMAT_NAMES  # noqa: F401 - the package's name for them too

log = logging.getLogger(__name__)

_ONE_FILE_FORMATS = ("conll", "prodigy")  # a folder of these is many sources, not one
# What happened to a span (or a whole annotation) on its way in, in the order a summary names them.
KINDS = ("converted", "trimmed", "repaired", "refused", "skipped", "not imported", "noted")


@dataclass
class Tally:
    """How many spans (or annotations) met each (kind, reason) while a source was read."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, kind: str, reason: str, n: int = 1) -> None:
        if n:
            self.counts[(kind, reason)] += n

    def merge(self, other: Tally) -> None:
        self.counts.update(other.counts)

    def total(self, kind: str) -> int:
        return sum(n for (k, _), n in self.counts.items() if k == kind)

    def lines(self) -> list[str]:
        """One line per kind and reason, e.g. "converted 2: UTF-16 offsets read as characters"."""
        order = {k: i for i, k in enumerate(KINDS)}
        items = sorted(self.counts.items(), key=lambda item: (order.get(item[0][0], 99), -item[1], item[0][1]))
        return [f"{kind} {n}: {reason}" for (kind, reason), n in items]

    def sentence(self) -> str:
        """All of it in one sentence for a log entry; empty when nothing happened."""
        return "; ".join(self.lines()) + "." if self.counts else ""


@dataclass
class FormatRecord:
    """One document of a source: an article to store (``article``), or why there is none."""

    source: str  # where it came from, e.g. "export.json#task 12" or "corpus/doc1.ann"
    article: Any = None  # a validated NewArticle
    reason: str = ""  # without an article: why (a full sentence)
    skipped: bool = False  # left out on purpose (e.g. a rejected Prodigy answer), not an error
    suggestions: list[dict[str, Any]] = field(default_factory=list)  # start, end, label, score, source
    tally: Tally = field(default_factory=Tally)


def sniff(path: Path) -> str | None:
    """The format a file or folder is in, or None when no reader here is meant for it."""
    from app.core.ingest.formats import brat, conll, labelstudio, prodigy

    for name, module in (("brat", brat), ("labelstudio", labelstudio), ("prodigy", prodigy), ("conll", conll)):
        if module.sniff(path):
            return name
    return None


def read(path: Path, fmt: str) -> Iterator[FormatRecord]:
    """The documents of ``path`` read as ``fmt`` (one of ``FORMAT_NAMES``)."""
    from app.core.ingest.formats import brat, conll, labelstudio, prodigy

    readers = {"labelstudio": labelstudio.read, "brat": brat.read, "conll": conll.read, "prodigy": prodigy.read}
    yield from readers[fmt](path)


def read_source(path: Path, fmt: str) -> Iterator[FormatRecord]:
    """The documents of a file or folder as ``read`` gives them, for an import or its dry run: a folder
    of a one-file format is read file by file, a source with no document at all fails with a sentence
    saying so, and a reader that breaks on a file no one foresaw fails that file, not the batch."""
    found = 0
    for file in _files_of(path, fmt):
        try:
            for record in read(file, fmt):
                found += 1
                yield record
        except Exception as exc:  # noqa: BLE001 - a backstop: each reader says what is wrong with a record
            found += 1
            log.info("Reading %s as %s failed: %r", file, fmt, exc)  # info: a command line shows no log
            yield FormatRecord(str(file), reason=(
                f"{file} could not be read as {fmt} ({type(exc).__name__}: {exc}); the records before the "
                "problem were kept. Check that the file is what the tool wrote, or import it without --from; "
                "please report the file if it is."))
    if not found:
        yield FormatRecord(str(path), reason=f"No {fmt} documents found in {path}: check that it is what the tool "
                                             "wrote, or leave out --from to have the format recognised.")


def _files_of(path: Path, fmt: str) -> list[Path]:
    """The files to read: ``path`` itself, or for a folder of a format of single files (CoNLL, Prodigy)
    every file below it but hidden ones and the files an export writes beside its data."""
    if fmt not in _ONE_FILE_FORMATS or not path.is_dir():
        return [path]
    from app.core.ingest.file_sources import export_companion

    files = [p for p in sorted(path.rglob("*")) if p.is_file() and export_companion(p) is None
             and not any(part.startswith(".") for part in p.relative_to(path).parts)]
    return files
