"""Which entities a span's text names: one normal form for every name, looked up through an index.

``normalise`` is the key both a name and a span's text are reduced to: case and
diacritics do not count ("Elysee" finds "Élysée"; a letter Unicode does not
decompose, such as "Ł", stays itself), a possessive is dropped ("Meta's" is "Meta") and runs
of white space are one space. Entities store the key of their canonical name and
of each alias (``name_key``, indexed), so a proposal is one indexed query however
many entities and spans a dataset holds. ``propose`` returns every entity a text
matches: two people called Martinet are both offered, never one guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from sqlalchemy import text

from app.core.db.in_lists import in_list
from app.core.db.store import Store

_SPACE = re.compile(r"\s+")
# An English possessive at the end of a name: Meta's, Meta’s, the Martinets'.
_POSSESSIVE = re.compile(r"(?<=\w)['’](s)?$")


def normalise(name: str) -> str:
    """The key a name is matched on: no case, no diacritics, no possessive, single spaces."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    collapsed = _SPACE.sub(" ", bare).strip()
    return _POSSESSIVE.sub("", collapsed).strip()


_PROPOSE_SQL = (
    "SELECT entity.id FROM entity JOIN label ON label.id = entity.label_id "
    "WHERE entity.name_key = :k{kind} "
    "UNION SELECT entity.id FROM entity_alias JOIN entity ON entity.id = entity_alias.entity_id "
    "JOIN label ON label.id = entity.label_id WHERE entity_alias.name_key = :k{kind} "
    "ORDER BY 1"
)


def propose(store: Store, span_text: str, kind: str | None = None) -> list[int]:
    """The ids of every entity (of label ``kind``, or of any) whose name or an alias matches ``span_text``."""
    key = normalise(span_text)
    if not key:
        return []
    sql = _PROPOSE_SQL.format(kind=" AND label.name = :kind" if kind is not None else "")
    with store.begin() as conn:
        return [int(r[0]) for r in conn.execute(text(sql), {"k": key, "kind": kind})]


def keys_to_entities(conn: Any, label_ids: Iterable[int]) -> dict[tuple[int, str], set[int]]:
    """Every (label id, name key) of these labels' entities, canonical names and aliases, to the entities it names."""
    ids = sorted({int(i) for i in label_ids})
    table: dict[tuple[int, str], set[int]] = {}
    if not ids:
        return table
    params: dict[str, Any] = {}
    marks = in_list(params, "l", ids)  # the dataset's entity labels: a short list
    rows = conn.execute(text(
        f"SELECT label_id, name_key, id FROM entity WHERE label_id IN ({marks}) "
        "UNION ALL SELECT entity.label_id, entity_alias.name_key, entity.id FROM entity_alias "
        f"JOIN entity ON entity.id = entity_alias.entity_id WHERE entity.label_id IN ({marks})"), params)
    for label_id, key, entity_id in rows:
        table.setdefault((int(label_id), key), set()).add(int(entity_id))
    return table
