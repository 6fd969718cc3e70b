"""The entities file beside a native or spaCy export: the entities its spans link to.

An export ``NAME.jsonl`` (or its split files ``NAME.train.jsonl``, ...) gets
``NAME.entities.jsonl`` beside it, one entity per line, sorted by id::

    {"id": 7, "kind": "ORG", "name": "Meta", "aliases": ["Facebook"], "external_id": "Q380", "note": ""}

``id`` is the number the export's spans carry (native ``entity_id`` and
``claimant_id``, spaCy ``kb_id``); ``kind`` is the entity's label. Only the
entities that an exported span links to are listed, as a mention or as a
claim's claimant, under the same filters as the spans. The file is written
(empty when nothing is linked) with every such export, through the same
temporary-file-and-rename as the export itself, so an entities file never
belongs to another export than the one beside it. The name keeps the export's
stem, so several exports in one folder, and the split files of one export,
never share or overwrite another's entities file; ``entities_path_for`` finds it
again for an import (``ingest.entity_links``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from app.core.db.in_lists import in_list
from app.core.export.formats import SPLIT_NAMES

if TYPE_CHECKING:
    from app.core.db.reader import Reader

FORMATS = ("native", "spacy")  # the exports that carry entity ids
SUFFIX = ".entities.jsonl"
KEYS = ("id", "kind", "name", "aliases", "external_id", "note")


def entities_path(out_path: Path) -> Path:
    """``NAME.entities.jsonl`` for the export ``NAME.jsonl`` (or ``NAME``)."""
    stem = out_path.stem if out_path.suffix else out_path.name
    return out_path.with_name(stem + SUFFIX)


def entities_path_for(data_path: Path) -> Path | None:
    """The entities file an export file came with, if it is there: ``NAME.entities.jsonl`` beside
    ``NAME.jsonl``, and beside a split file ``NAME.train.jsonl`` (etc.) the whole export's."""
    candidates = [entities_path(data_path)]
    stem = data_path.stem if data_path.suffix else data_path.name
    base, _, split = stem.rpartition(".")
    if base and split in SPLIT_NAMES:
        candidates.append(data_path.with_name(base + SUFFIX))
    return next((p for p in candidates if p.is_file()), None)


def is_entities_file(path: Path) -> bool:
    return path.name.endswith(SUFFIX)


def _linked_ids_sql(options: Any) -> tuple[str, dict[str, Any]]:
    """The ids of the entities the spans that pass ``options``' filters link to."""
    params: dict[str, Any] = {}
    join, where = "", ""
    if options.statuses:
        join += " JOIN article ON article.id = span.article_id"
        where += f" AND article.status IN ({in_list(params, 'st', options.statuses)})"
    if options.labels:
        join += " JOIN label ON label.id = span.label_id"
        where += f" AND label.name IN ({in_list(params, 'lb', options.labels)})"
    if options.annotators:
        where += f" AND span.annotator IN ({in_list(params, 'an', options.annotators)})"
    sql = " UNION ".join(f"SELECT span.{column} FROM span{join} WHERE span.{column} IS NOT NULL{where}"
                         for column in ("entity_id", "claimant_id"))
    return sql, params


def entity_lines(reader: Reader, options: Any) -> Iterator[dict[str, Any]]:
    """The entities file's records for an export with these options, by id (read in the export's snapshot)."""
    ids_sql, params = _linked_ids_sql(options)
    aliases: dict[int, list[str]] = {}
    for entity_id, name in reader.rows(
            f"SELECT entity_id, name FROM entity_alias WHERE entity_id IN ({ids_sql}) ORDER BY entity_id, id",
            params):
        aliases.setdefault(int(entity_id), []).append(name)
    rows = reader.rows(
        "SELECT entity.id, label.name, entity.name, entity.external_id, entity.note FROM entity "
        f"JOIN label ON label.id = entity.label_id WHERE entity.id IN ({ids_sql}) ORDER BY entity.id", params)
    for entity_id, kind, name, external_id, note in rows:
        yield dict(zip(KEYS, (int(entity_id), kind, name, aliases.get(int(entity_id), []), external_id or "",
                              note or ""), strict=True))


def write_entities(reader: Reader, options: Any, write: Any) -> int:
    """Write the entities file's lines with ``write``; returns how many entities it lists."""
    n = 0
    for record in entity_lines(reader, options):
        write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
        n += 1
    return n
