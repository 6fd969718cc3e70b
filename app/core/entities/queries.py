"""Reads for an Entities view and the command line: entities with their counts, and mentions in context.

Both are paged in SQL (``offset``/``limit``) so a view over a million spans reads
only the rows it shows: an entity's counts come from the span index on
``entity_id``, and a mention's context is cut out of its article's text by the
database (``substr``), never by reading whole articles into Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from app.core.db.in_lists import select_in
from app.core.db.store import Store
from app.core.entities.matching import normalise

CONTEXT = 60  # characters of text shown on each side of a mention


@dataclass(frozen=True)
class EntityRow:
    id: int
    kind: str
    name: str
    aliases: tuple[str, ...]
    external_id: str
    note: str
    mentions: int
    articles: int


@dataclass(frozen=True)
class Mention:
    """One span linked to an entity, with the text around it (keyword in context)."""

    span_id: int
    article_id: int
    article_uid: str
    article_title: str
    start: int
    end: int
    text: str
    left: str
    right: str


def _where(kind: str | None, search: str | None, params: dict[str, Any]) -> str:
    conditions = []
    if kind is not None:
        conditions.append("entity.label_id = (SELECT id FROM label WHERE name = :kind)")  # ix_entity_label
        params["kind"] = kind
    key = normalise(search or "")
    if key:
        params["pattern"] = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append("(entity.name_key LIKE :pattern ESCAPE '\\' OR EXISTS (SELECT 1 FROM entity_alias "
                          "WHERE entity_alias.entity_id = entity.id AND entity_alias.name_key LIKE :pattern "
                          "ESCAPE '\\'))")
    return " WHERE " + " AND ".join(conditions) if conditions else ""


def count_entities(store: Store, kind: str | None = None, search: str | None = None) -> int:
    params: dict[str, Any] = {}
    sql = f"SELECT count(*) FROM entity{_where(kind, search, params)}"
    with store.begin() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def list_entities(store: Store, kind: str | None = None, search: str | None = None, offset: int = 0,
                  limit: int = 100) -> list[EntityRow]:
    """One page of entities (of label ``kind``; whose name or an alias contains ``search``), by name."""
    params: dict[str, Any] = {"offset": max(0, offset), "limit": max(0, limit)}
    # The page's ids first, then their counts: counted in the outer query, the rows an
    # OFFSET skips are not counted too (a page deep in 100,000 entities took most of a second).
    sql = ("SELECT entity.id, label.name, entity.name, entity.external_id, entity.note, "
           "(SELECT count(*) FROM span WHERE span.entity_id = entity.id), "
           "(SELECT count(DISTINCT span.article_id) FROM span WHERE span.entity_id = entity.id) "
           f"FROM (SELECT entity.id AS id FROM entity{_where(kind, search, params)} "
           "ORDER BY entity.name_key, entity.id LIMIT :limit OFFSET :offset) AS page "
           "JOIN entity ON entity.id = page.id JOIN label ON label.id = entity.label_id "
           "ORDER BY entity.name_key, entity.id")
    with store.begin() as conn:
        rows = conn.execute(text(sql), params).all()
        aliases: dict[int, list[str]] = {}
        for entity_id, name in select_in(conn, "SELECT entity_id, name FROM entity_alias "
                                               "WHERE entity_id IN :values ORDER BY id", [r[0] for r in rows]):
            aliases.setdefault(int(entity_id), []).append(name)
    return [EntityRow(int(r[0]), r[1], r[2], tuple(aliases.get(int(r[0]), ())), r[3], r[4], int(r[5]), int(r[6]))
            for r in rows]


def count_mentions(store: Store, entity_id: int) -> int:
    with store.begin() as conn:
        return int(conn.execute(text("SELECT count(*) FROM span WHERE entity_id = :e"), {"e": entity_id})
                   .scalar_one())


def mentions(store: Store, entity_id: int, offset: int = 0, limit: int = 100) -> list[Mention]:
    """One page of an entity's mentions in article and text order, each with ``CONTEXT`` characters around it."""
    sql = (
        'SELECT span.id, span.article_id, article.uid, article.title, span.start, span."end", span.text, '
        "substr(article.text, CASE WHEN span.start > :c THEN span.start - :c + 1 ELSE 1 END, "
        "CASE WHEN span.start > :c THEN :c ELSE span.start END), "
        'substr(article.text, span."end" + 1, :c) '
        "FROM span JOIN article ON article.id = span.article_id WHERE span.entity_id = :e "
        "ORDER BY span.article_id, span.start, span.id LIMIT :limit OFFSET :offset")
    with store.begin() as conn:
        rows = conn.execute(text(sql), {"e": entity_id, "c": CONTEXT, "limit": max(0, limit),
                                        "offset": max(0, offset)}).all()
    return [Mention(int(r[0]), int(r[1]), r[2], r[3] or "", int(r[4]), int(r[5]), r[6], r[7] or "", r[8] or "")
            for r in rows]


def entity_names(store: Store, entity_ids: list[int]) -> dict[int, tuple[str, str]]:
    """The (name, kind) of each of these entities that exists, by id: what a span list shows of a link."""
    with store.begin() as conn:
        return {int(r[0]): (r[1], r[2]) for r in select_in(
            conn, "SELECT entity.id, entity.name, label.name FROM entity JOIN label ON label.id = entity.label_id "
                  "WHERE entity.id IN :values", sorted(set(entity_ids)))}
