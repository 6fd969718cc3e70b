"""Entity links on import: the entities file beside an export, turned into entities of the dataset.

A native or spaCy export ``NAME.jsonl`` carries its spans' entity ids (and
claims' claimant ids) as the ids of ``NAME.entities.jsonl`` beside it (see
``export.entities_file``). Importing the export reads that file first, once
per import however many split files share it, and gives each of its entities
one in the dataset:

- an entity with an external id matches the dataset's entity of the same kind
  with that external id;
- otherwise (or when none has it) one of the same kind whose canonical name has
  the same key (case, accents and a possessive do not count); when the file's
  entity has an external id, only if the dataset's has none;
- an entity that matches none is created, with its aliases and note. In a SQLite
  dataset it keeps the id it had in the file when that id is above every id the
  dataset has ever given, as in a new dataset, so an export of the imported
  dataset gives the same lines as the export imported; otherwise it gets a new id.

When several entities of the dataset match, the one with the smallest id is
taken, and the report says so. Entities are created before the articles are
stored, so a cancelled import may leave some without mentions. A span's link is
kept only when the file lists its entity and, for a mention, the entity's kind is
the span's label; links without an entities file beside the export are dropped
(their ids are another dataset's), and the report counts them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from app.core.db.store import Store
from app.core.entities.registry import checked_name, insert_aliases
from app.core.export.entities_file import entities_path_for
from app.core.ingest.jsonl_reader import RecordProblem, decode_json
from app.core.ingest.storing import label_ids
from app.core.validation import InvalidInput, NewArticle
from app.models import db_timestamp

_SHOWN = 10  # names listed per kind of outcome in a note


@dataclass
class EntityLinks:
    """The dataset's entity for each id of one entities file, and what reading it did."""

    source: Path | None = None
    ids: dict[int, int] = field(default_factory=dict)  # id in the file: id in the dataset
    kinds: dict[int, str] = field(default_factory=dict)  # id in the file: its kind (label name)
    created: list[str] = field(default_factory=list)  # "ORG Meta (#7)"
    matched: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    dropped: int = 0  # links of imported spans that name no entity of the file

    def apply(self, article: NewArticle) -> NewArticle:
        """The article with its spans' links as ids of the dataset (dropped where they cannot be)."""
        if not any(s.entity_id is not None or s.claimant_id is not None for s in article.spans):
            return article
        spans = []
        for span in article.spans:
            entity = self._mention(span.entity_id, span.label)
            claimant = None if span.claimant_id is None else self.ids.get(span.claimant_id)
            self.dropped += (span.entity_id is not None and entity is None) + (
                span.claimant_id is not None and claimant is None)
            spans.append(span.model_copy(update={"entity_id": entity, "claimant_id": claimant}))
        return article.model_copy(update={"spans": spans})

    def _mention(self, file_id: int | None, label: str) -> int | None:
        """The dataset's entity for a mention's link; None unless the file lists it with the span's label
        as its kind (a span links only to an entity of its own label)."""
        if file_id is None or self.kinds.get(file_id, "").casefold() != label.casefold():
            return None
        return self.ids[file_id]

    def notes(self) -> list[str]:
        """Sentences for the import's summary."""
        where = self.source.name if self.source is not None else "the export"
        notes = []
        for verb, names in (("Created", self.created), ("Matched", self.matched)):
            if names:
                shown = ", ".join(names[:_SHOWN]) + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")
                what = "entity" if len(names) == 1 else "entities"
                tail = "" if verb == "Created" else " with entities already in the dataset"
                notes.append(f"{verb} {len(names)} {what} of {where}{tail}: {shown}.")
        notes.extend(f"{where}: {problem}" for problem in self.problems)
        if self.dropped:
            why = ("the entities file does not list their entity, or not with the span's label as its kind"
                   if self.source else "no entities file is beside the export")
            notes.append(f"{self.dropped} entity link{'' if self.dropped == 1 else 's'} of imported spans "
                         f"dropped: {why}.")
        return notes


def links_for(store: Store, data_path: Path, cache: dict[Path | None, EntityLinks]) -> EntityLinks:
    """The links for importing ``data_path``: from the entities file beside it, read once per ``cache``
    (the files without one share the entry ``None``, which only counts the links it drops)."""
    source = entities_path_for(data_path)
    if source not in cache:
        cache[source] = EntityLinks() if source is None else read_entities(store, source)
    return cache[source]


def read_entities(store: Store, path: Path) -> EntityLinks:
    """Read an entities file and match or create each of its entities, in one transaction."""
    links = EntityLinks(source=path)
    records = []
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        links.problems.append(f"cannot be read ({exc.strerror or exc}); no span is linked.")
        return links
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            records.append(_record(decode_json(raw)))
        except RecordProblem as problem:
            links.problems.append(f"line {number}: {problem.reason}")
    with store.begin() as conn:
        resolver = _Resolver(conn)
        for record in sorted(records, key=lambda r: r["id"]):
            try:
                entity_id, created = resolver.resolve(record)
            except InvalidInput as exc:
                links.problems.append(f"entity {record['id']}: {exc}")
                continue
            links.ids[record["id"]], links.kinds[record["id"]] = entity_id, record["kind"]
            (links.created if created else links.matched).append(
                f"{record['kind']} {record['name']} (#{entity_id}{resolver.ambiguity})")
    return links


def _record(value: Any) -> dict[str, Any]:
    """One entities file line, checked."""
    if not isinstance(value, dict):
        raise RecordProblem("not a JSON object.")
    entity_id, kind, name = value.get("id"), value.get("kind"), value.get("name")
    if not isinstance(entity_id, int) or isinstance(entity_id, bool) or not 0 < entity_id < 2**63:
        raise RecordProblem('no whole-number "id".')
    if not isinstance(kind, str) or not kind.strip() or not isinstance(name, str):
        raise RecordProblem('no "kind" or "name".')
    aliases = value.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise RecordProblem('"aliases" is not a list of names.')
    strings = {k: value.get(k) or "" for k in ("external_id", "note")}
    if not all(isinstance(v, str) for v in strings.values()):
        raise RecordProblem('"external_id" and "note" must be strings.')
    return {"id": entity_id, "kind": kind.strip(), "name": name, "aliases": aliases,
            "external_id": strings["external_id"].strip(), "note": strings["note"]}


class _Resolver:
    """Finds or creates the dataset's entity for each record of one file (records in id order)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.created: set[int] = set()  # made for this file: two records never become one
        self.ambiguity = ""
        self.keep_ids = conn.dialect.name == "sqlite"
        # Autoincrement never gives an id twice: a file id above the highest ever given stays free.
        self.highest = 0
        if self.keep_ids:
            self.highest = int(conn.execute(text(
                "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'entity'), 0), "
                "coalesce((SELECT max(id) FROM entity), 0))")).scalar_one())

    def _label(self, kind: str) -> int:
        ids, _created = label_ids(self.conn, [kind])
        label_id = ids[kind]
        if self.conn.execute(text("SELECT kind FROM label WHERE id = :i"), {"i": label_id}).scalar_one() != "entity":
            raise InvalidInput(f"{kind} is a claim label; an entity's kind is an entity label.")
        return label_id

    def _candidates(self, sql: str, params: dict[str, Any]) -> list[int]:
        return [int(r[0]) for r in self.conn.execute(text(sql), params) if int(r[0]) not in self.created]

    def resolve(self, record: dict[str, Any]) -> tuple[int, bool]:
        """The dataset's entity for ``record``, and whether it was created."""
        name, key = checked_name(record["name"])
        label_id = self._label(record["kind"])
        external = record["external_id"]
        found: list[int] = []
        if external:
            found = self._candidates("SELECT id FROM entity WHERE label_id = :l AND external_id = :x ORDER BY id",
                                     {"l": label_id, "x": external})
        if not found:
            # An entity known by another external id is another entity, whatever its name.
            other = "AND external_id IN ('', :x) " if external else ""
            found = self._candidates(f"SELECT id FROM entity WHERE label_id = :l AND name_key = :k {other}ORDER BY id",
                                     {"l": label_id, "k": key, "x": external})
        self.ambiguity = f", one of {len(found)}" if len(found) > 1 else ""
        if found:
            return found[0], False
        return self._create(record, label_id, name, key), True

    def _create(self, record: dict[str, Any], label_id: int, name: str, key: str) -> int:
        now = db_timestamp()
        params = {"l": label_id, "n": name, "k": key, "x": record["external_id"], "note": record["note"], "now": now}
        if self.keep_ids and record["id"] > self.highest:
            entity_id = record["id"]
            self.conn.execute(text(
                "INSERT INTO entity (id, label_id, name, name_key, external_id, note, created_at, updated_at) "
                "VALUES (:id, :l, :n, :k, :x, :note, :now, :now)"), {**params, "id": entity_id})
        else:
            entity_id = int(self.conn.execute(text(
                "INSERT INTO entity (label_id, name, name_key, external_id, note, created_at, updated_at) "
                "VALUES (:l, :n, :k, :x, :note, :now, :now) RETURNING id"), params).scalar_one())
        insert_aliases(self.conn, entity_id, key, _names(record["aliases"]), strict=False)
        self.highest = max(self.highest, entity_id)
        self.created.add(entity_id)
        return entity_id


def _names(aliases: Iterable[str]) -> list[str]:
    """The aliases that can be names (an empty or symbol-only one is left out rather than refused)."""
    kept = []
    for alias in aliases:
        try:
            checked_name(alias)
        except InvalidInput:
            continue
        kept.append(alias)
    return kept
