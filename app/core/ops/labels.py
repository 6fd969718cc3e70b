"""The label set of a dataset: list, add, rename, recolour, rebind keys.

Spans refer to labels by id, so renaming a label renames it on every span.
Each change returns a ``Changes`` record naming the labels it touched (both
names of a rename).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.core.changes import ChangeKind, Changes
from app.core.db.store import Store
from app.core.entities import claim_columns
from app.core.errors import InvalidInput
from app.models import LABEL_KINDS

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ .-]{0,63}$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class LabelInfo:
    id: int
    name: str
    kind: str
    color: str
    shortcut: str | None
    description: str
    position: int


def list_labels(store: Store) -> list[LabelInfo]:
    with store.begin() as conn:
        rows = conn.execute(
            text("SELECT id, name, kind, color, shortcut, description, position FROM label ORDER BY position, name")
        ).all()
    return [LabelInfo(*r) for r in rows]


def _check(name: str | None, kind: str | None, color: str | None) -> None:
    if name is not None and not _NAME.match(name):
        raise InvalidInput(f"“{name}” is not a usable label name: use letters, digits, spaces, _ . or -.")
    if kind is not None and kind not in LABEL_KINDS:
        raise InvalidInput(f"A label is an entity label or a claim label, not {kind!r}.")
    if color is not None and not _COLOR.match(color):
        raise InvalidInput(f"{color!r} is not a colour like #3b82f6.")


def _shortcut_owner(conn: object, shortcut: str, except_id: int | None) -> str | None:
    row = conn.execute(  # type: ignore[attr-defined]
        text("SELECT name FROM label WHERE shortcut = :s AND id <> :i"), {"s": shortcut, "i": except_id or -1}
    ).first()
    return row[0] if row else None


def add_label(store: Store, name: str, *, kind: str = "entity", color: str = "#888888",
              shortcut: str | None = None, description: str = "") -> Changes:
    name = name.strip()
    _check(name, kind, color)
    shortcut = (shortcut or "").strip() or None
    with store.begin() as conn:
        if shortcut and (owner := _shortcut_owner(conn, shortcut, None)):
            raise InvalidInput(f"The key {shortcut} already applies {owner}; choose another key.")
        position = conn.execute(text("SELECT coalesce(max(position), -1) + 1 FROM label")).scalar_one()
        try:
            conn.execute(
                text("INSERT INTO label (name, kind, color, shortcut, description, position) "
                     "VALUES (:n, :k, :c, :s, :d, :p)"),
                {"n": name, "k": kind, "c": color, "s": shortcut, "d": description, "p": position},
            )
        except IntegrityError:
            raise InvalidInput(f"There is already a label called {name}.") from None
    return Changes.of(ChangeKind.LABELS_CHANGED, labels=(name,))


def update_label(store: Store, label_id: int, *, name: str | None = None, kind: str | None = None,
                 color: str | None = None, shortcut: str | None = None, description: str | None = None,
                 clear_shortcut: bool = False) -> Changes:
    """Change a label; refuses a key that another label already uses."""
    name = name.strip() if name is not None else None
    _check(name, kind, color)
    fields: dict[str, object] = {}
    if name is not None:
        fields["name"] = name
    if kind is not None:
        fields["kind"] = kind
    if color is not None:
        fields["color"] = color
    if description is not None:
        fields["description"] = description
    if clear_shortcut:
        fields["shortcut"] = None
    elif shortcut is not None:
        fields["shortcut"] = shortcut.strip() or None
    if not fields:
        return Changes()
    with store.begin() as conn:
        old = conn.execute(text("SELECT name FROM label WHERE id = :i"), {"i": label_id}).scalar()
        if old is None:
            raise InvalidInput("That label no longer exists.")
        key = fields.get("shortcut")
        if isinstance(key, str) and (owner := _shortcut_owner(conn, key, label_id)):
            raise InvalidInput(f"The key {key} already applies {owner}; choose another key.")
        sets = ", ".join(f"{k} = :{k}" for k in fields)
        try:
            done = conn.execute(text(f"UPDATE label SET {sets} WHERE id = :id"), {**fields, "id": label_id})
        except IntegrityError:
            raise InvalidInput(f"There is already a label called {name}.") from None
        if done.rowcount == 0:
            raise InvalidInput("That label no longer exists.")
        if kind is not None:  # its spans become claims, with a date and verdict, or are claims no longer
            claim_columns.refresh_labels(conn, [label_id])
    return Changes.of(ChangeKind.LABELS_CHANGED, labels=dict.fromkeys((old, name or old)))


def delete_label(store: Store, label_id: int) -> Changes:
    with store.begin() as conn:
        name = conn.execute(text("SELECT name FROM label WHERE id = :i"), {"i": label_id}).scalar()
        used = conn.execute(text("SELECT count(*) FROM span WHERE label_id = :i"), {"i": label_id}).scalar_one()
        if used:
            raise InvalidInput(f"The label is used by {used} spans; relabel or delete them first.")
        entities = conn.execute(text("SELECT count(*) FROM entity WHERE label_id = :i"), {"i": label_id}).scalar_one()
        if entities:  # deleting the label would delete them with it
            raise InvalidInput(f"The label is used by {entities} entities; merge or delete them first.")
        conn.execute(text("DELETE FROM label WHERE id = :i"), {"i": label_id})
    return Changes.of(ChangeKind.LABELS_CHANGED, labels=(name,) if name is not None else ())
