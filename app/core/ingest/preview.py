"""What an import would do, without doing it: ``article-curator import --dry-run``.

Reads every file and folder as the import would (the same readers, the same
checks) and reports the documents, the spans per label and per annotator
layer, the suggestions, the conversions and everything that would be skipped
or fail, and why. The dataset is only read: to tell which labels would be new
and which documents it already holds. Web addresses and HTML files are listed,
not downloaded or extracted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from app.core.db.in_lists import select_in
from app.core.db.store import Store
from app.core.export.entities_file import is_entities_file
from app.core.ingest import formats
from app.core.ingest.file_sources import FileSourceError, expand_folder, export_companion, file_kind, read_text_file
from app.core.ingest.importer import is_url
from app.core.ingest.jsonl_reader import iter_jsonl_records
from app.core.text_norm import text_hash
from app.core.validation import NewArticle


@dataclass
class Preview:
    documents: int = 0
    spans_per_label: Counter[str] = field(default_factory=Counter)
    layers: Counter[str] = field(default_factory=Counter)  # annotator ("" = none given): spans
    suggestions_per_label: Counter[str] = field(default_factory=Counter)
    per_format: Counter[str] = field(default_factory=Counter)  # format: documents
    tally: formats.Tally = field(default_factory=formats.Tally)
    skipped: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    not_read: list[str] = field(default_factory=list)  # web addresses and HTML files: fetched only by an import
    duplicates: int = 0  # documents the dataset already holds (same text)
    new_labels: list[str] = field(default_factory=list)
    # The documents' text hashes (with how many documents have each), to compare with the dataset: a dry run
    # of a large corpus keeps these counts, never the articles themselves.
    text_hashes: Counter[str] = field(default_factory=Counter)

    def add_article(self, article: NewArticle, fmt: str) -> None:
        self.documents += 1
        self.per_format[fmt] += 1
        self.spans_per_label.update(s.label for s in article.spans)
        self.layers.update(s.annotator for s in article.spans)
        self.text_hashes[text_hash(article.text)] += 1

    def lines(self, annotator: str = "") -> list[str]:
        """The dry run's report, line by line; with ``annotator``, the spans are all theirs (``import --annotator``)
        and join the articles already in the dataset."""
        joined = f"; {annotator}'s spans would be added to them" if annotator else ""
        out = [f"Would import {self.documents} document{'' if self.documents == 1 else 's'}"
               + (f" ({', '.join(f'{n} {f}' for f, n in self.per_format.items())})" if self.per_format else "")
               + (f", of which {self.duplicates} already in the dataset (would be duplicates{joined})"
                  if self.duplicates else "") + "."]
        out.append(f"Spans: {sum(self.spans_per_label.values())}")
        out += [f"  {label}: {n}" for label, n in sorted(self.spans_per_label.items())]
        if self.layers:
            out.append("Layers (annotator: spans):")
            layers = {annotator: self.layers.total()} if annotator else self.layers
            out += [f"  {who or '(no annotator)'}: {n}" for who, n in sorted(layers.items())]
        if self.suggestions_per_label:
            out.append(f"Suggestions to review: {sum(self.suggestions_per_label.values())}")
            out += [f"  {label}: {n}" for label, n in sorted(self.suggestions_per_label.items())]
        if self.new_labels:
            out.append(f"New labels (the dataset has none of these names): {', '.join(self.new_labels)}")
        if self.tally.counts:
            out.append("Conversions and spans left out:")
            out += [f"  {line}" for line in self.tally.lines()]
        for title, items in (("Would be skipped", self.skipped), ("Would fail", self.failures),
                             ("Not read in a dry run (downloaded or extracted only by an import)", self.not_read)):
            if items:
                out.append(f"{title}: {len(items)}")
                out += [f"  {item}" for item in items[:50]]
                if len(items) > 50:
                    out.append(f"  … and {len(items) - 50} more")
        out.append("Dry run: nothing was written.")
        return out


def preview_sources(store: Store | None, sources: Sequence[str], source_format: str = "") -> Preview:
    """What importing ``sources`` into ``store`` would do (``None``: a dataset that does not exist yet)."""
    preview = Preview()
    for raw in sources:
        source = str(raw).strip()
        if not source:
            continue
        path = Path(source).expanduser()
        if is_url(source):
            preview.not_read.append(source)
            continue
        if not path.exists():
            preview.failures.append(f"{source}: no such file or folder, and not a web address.")
            continue
        if _companion(preview, path):
            continue
        fmt = source_format or formats.sniff(path)
        if fmt:
            _tool_source(preview, path, fmt)
            continue
        for file in expand_folder(path) if path.is_dir() else [path]:
            if file is not path and (is_entities_file(file) or _companion(preview, file)):
                continue  # an entities file is read by the import with the export beside it, as it does
            fmt = formats.sniff(file) if file is not path and file_kind(file) != "html" else None
            if fmt:
                _tool_source(preview, file, fmt)
            else:
                _plain_file(preview, file)
    _compare_with_dataset(store, preview)
    return preview


def _companion(preview: Preview, path: Path) -> bool:
    reason = export_companion(path)
    if reason:
        preview.skipped.append(f"{path}: {reason}")
    return reason is not None


def _tool_source(preview: Preview, path: Path, fmt: str) -> None:
    for record in formats.read_source(path, fmt):
        preview.tally.merge(record.tally)
        if record.article is not None:
            preview.add_article(record.article, fmt)
            preview.suggestions_per_label.update(s["label"] for s in record.suggestions)
        else:
            (preview.skipped if record.skipped else preview.failures).append(f"{record.source}: {record.reason}")


def _plain_file(preview: Preview, file: Path) -> None:
    kind = file_kind(file)
    if kind == "html":
        preview.not_read.append(str(file))
    elif kind == "text":
        try:
            tf = read_text_file(file)
            preview.add_article(NewArticle(text=tf.text, title=tf.title), "text")
        except (FileSourceError, ValueError) as exc:
            preview.failures.append(f"{file}: {getattr(exc, 'reason', exc)}")
    elif kind == "jsonl":
        for result in iter_jsonl_records(file):
            if isinstance(result, NewArticle):
                preview.add_article(result, "jsonl")
            else:
                (preview.skipped if result.skipped else preview.failures).append(f"{file}: {result.reason}")
    else:
        preview.failures.append(f"{file}: unsupported file type “{file.suffix or file.name}”.")


def _compare_with_dataset(store: Store | None, preview: Preview) -> None:
    """Which labels would be new and how many documents are there already: reads, never writes.
    Only label.name and article.text_hash are read, which every version of the dataset has."""
    known: dict[str, str] = {}
    if store is not None:
        with store.begin() as conn:
            names = conn.execute(text("SELECT name FROM label ORDER BY position"))
            known = {name.casefold(): name for (name,) in names}
            present = {row[0] for row in select_in(
                conn, "SELECT text_hash FROM article WHERE text_hash IN :values", list(preview.text_hashes))}
        preview.duplicates = sum(preview.text_hashes[h] for h in present)
    wanted = [*preview.spans_per_label, *preview.suggestions_per_label]
    preview.new_labels = list(dict.fromkeys(n for n in wanted if n.casefold() not in known))
    # Counted under the name the import would store them with: the dataset's spelling, else the first one met.
    for name in preview.new_labels:
        known.setdefault(name.casefold(), name)
    for counter in (preview.spans_per_label, preview.suggestions_per_label):
        merged = Counter({known[name.casefold()]: 0 for name in counter})
        for name, n in counter.items():
            merged[known[name.casefold()]] += n
        counter.clear()
        counter.update(merged)
    preview.new_labels = [known[n.casefold()] for n in dict.fromkeys(n.casefold() for n in preview.new_labels)]
