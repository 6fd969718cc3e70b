"""The edit gateway: every change an annotator makes goes through these functions.

Each one validates, commits immediately (an edit is saved when it is made) and
returns a small ``Change`` record that says what changed, so the GUI can
refresh its views from one signal and its undo stack can reverse it. The
window shows each edit before it is stored (its writes queue behind another
process's, see ``edit_writer``): ``new_span`` and the ``read_*`` functions give
it what it needs to build the same ``Change`` first.

A span edit drops the article's ready-made export list (a trigger does, see
``span_json``) and leaves rebuilding it to ``span_json.refresh_articles``: it
costs a few milliseconds on a long article, which a key press should not wait
for. The desktop app rebuilds once the annotator pauses; until then the export
reads that article's span rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.core.store import Store
from app.core.validation import InvalidInput, NewSpan, validate
from app.models import ARTICLE_STATUSES, db_timestamp


@dataclass(frozen=True)
class Change:
    """What one edit changed: enough for views to refresh and for undo to reverse it."""

    kind: str  # span_added, span_removed, span_changed, status_changed, articles_deleted
    article_ids: tuple[int, ...]
    span_id: int | None = None
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


def _dump(attributes: dict[str, Any]) -> str:
    return orjson.dumps(attributes, option=orjson.OPT_SORT_KEYS).decode()


def _label_id(conn: Any, name: str) -> int:
    row = conn.execute(text("SELECT id FROM label WHERE name = :n"), {"n": name}).first()
    if row is None:
        raise InvalidInput(f"There is no label called {name}.")
    return int(row[0])


def _span_state(conn: Any, span_id: int) -> dict[str, Any]:
    row = conn.execute(
        text(
            'SELECT span.article_id, span.start, span."end", label.name, span.text, span.annotator, '
            "span.origin, span.attributes FROM span JOIN label ON label.id = span.label_id WHERE span.id = :i"
        ),
        {"i": span_id},
    ).first()
    if row is None:
        raise InvalidInput(f"Span {span_id} no longer exists.")
    keys = ("article_id", "start", "end", "label", "text", "annotator", "origin", "attributes")
    state = dict(zip(keys, row, strict=True))
    state["attributes"] = orjson.loads(state["attributes"])
    return state


def new_span(
    text: str,
    article_id: int,
    start: int,
    end: int,
    label: str,
    *,
    annotator: str,
    origin: str = "manual",
    attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The state of a span about to be added to the article whose text is ``text``; raises InvalidInput.

    Checks what can be checked without the dataset, so the window can show the
    span before it is stored; the label and duplicates are checked when it is.
    """
    span = validate(
        NewSpan,
        {"start": start, "end": end, "label": label, "annotator": annotator, "origin": origin,
         "attributes": attributes or {}},
    )
    span.check_against(text)
    return {"article_id": article_id, "start": span.start, "end": span.end, "label": label,
            "text": text[span.start : span.end], "annotator": annotator, "origin": origin,
            "attributes": span.attributes}


def add_span(
    store: Store,
    article_id: int,
    start: int,
    end: int,
    label: str,
    *,
    annotator: str,
    origin: str = "manual",
    attributes: dict[str, Any] | None = None,
    span_id: int | None = None,
) -> Change:
    """Store a new span; ``span_id`` gives it that id (the window picks ids before storing, see ``edits``)."""
    now = db_timestamp()
    with store.begin() as conn:
        text_ = article_text(conn, article_id)
        after = new_span(text_, article_id, start, end, label, annotator=annotator, origin=origin,
                         attributes=attributes)
        id_column, id_value = ("id, ", ":id, ") if span_id is not None else ("", "")
        try:
            span_id = conn.execute(
                text(
                    f'INSERT INTO span ({id_column}article_id, start, "end", label_id, text, annotator, origin, '
                    f"attributes, created_at, updated_at) VALUES ({id_value}:a, :s, :e, :l, :t, :who, :o, :attr, "
                    ":now, :now) RETURNING id"
                ),
                {"id": span_id, "a": article_id, "s": after["start"], "e": after["end"], "l": _label_id(conn, label),
                 "t": after["text"], "who": annotator, "o": origin, "attr": _dump(after["attributes"]), "now": now},
            ).scalar_one()
        except IntegrityError:
            raise InvalidInput(already_labelled(after["text"], label)) from None
        _touch(conn, [article_id], now)
    return Change("span_added", (article_id,), span_id, after=after)


def already_labelled(surface: str, label: str) -> str:
    return f"“{surface}” is already labelled {label}."


def article_text(conn: Any, article_id: int) -> str:
    row = conn.execute(text("SELECT text FROM article WHERE id = :i"), {"i": article_id}).first()
    if row is None:
        raise InvalidInput(f"Article {article_id} no longer exists.")
    return str(row[0])


# -- reads for the window, which shows an edit before its write is stored ---------------------------

def read_article_text(store: Store, article_id: int) -> str:
    with store.begin() as conn:
        return article_text(conn, article_id)


def read_span(store: Store, span_id: int) -> dict[str, Any]:
    """A span's state as ``Change.before``/``after`` hold it; raises InvalidInput when it is gone."""
    with store.begin() as conn:
        return _span_state(conn, span_id)


def read_statuses(store: Store, article_ids: Sequence[int]) -> dict[int, str]:
    with store.begin() as conn:
        return dict(_in_chunks(conn, "SELECT id, status FROM article WHERE id IN ({})", [int(i) for i in article_ids]))


def find_span(store: Store, state: dict[str, Any]) -> int | None:
    """The id of the stored span with the identity of ``state`` (article, offsets, label, annotator)."""
    with store.begin() as conn:
        row = conn.execute(
            text('SELECT span.id FROM span JOIN label ON label.id = span.label_id WHERE span.article_id = :a '
                 'AND span.start = :s AND span."end" = :e AND label.name = :l AND span.annotator = :who'),
            {"a": state["article_id"], "s": state["start"], "e": state["end"], "l": state["label"],
             "who": state["annotator"]},
        ).first()
    return int(row[0]) if row else None


def lowest_span_id(store: Store) -> int:
    with store.begin() as conn:
        return int(conn.execute(text("SELECT coalesce(min(id), 0) FROM span")).scalar_one())


def check_status(status: str) -> None:
    if status not in ARTICLE_STATUSES:
        raise InvalidInput(f"Unknown status {status!r}; use one of {', '.join(ARTICLE_STATUSES)}.")


def remove_span(store: Store, span_id: int) -> Change:
    with store.begin() as conn:
        before = _span_state(conn, span_id)
        conn.execute(text("DELETE FROM span WHERE id = :i"), {"i": span_id})
        _touch(conn, [before["article_id"]], db_timestamp())
    return Change("span_removed", (before["article_id"],), span_id, before=before)


def update_span(
    store: Store, span_id: int, *, label: str | None = None, attributes: dict[str, Any] | None = None
) -> Change:
    """Change a span's label and/or replace its attributes (claimant, verdict, note, ...)."""
    now = db_timestamp()
    with store.begin() as conn:
        before = _span_state(conn, span_id)
        after = dict(before)
        if label is not None:
            after["label"] = label
            try:
                conn.execute(
                    text("UPDATE span SET label_id = :l, updated_at = :now WHERE id = :i"),
                    {"l": _label_id(conn, label), "now": now, "i": span_id},
                )
            except IntegrityError:
                raise InvalidInput(already_labelled(before["text"], label)) from None
        if attributes is not None:
            after["attributes"] = dict(attributes)
            conn.execute(
                text("UPDATE span SET attributes = :a, updated_at = :now WHERE id = :i"),
                {"a": _dump(attributes), "now": now, "i": span_id},
            )
        _touch(conn, [before["article_id"]], now)
    return Change("span_changed", (before["article_id"],), span_id, before=before, after=after)


def set_status(store: Store, article_ids: Sequence[int], status: str) -> Change:
    check_status(status)
    ids = [int(i) for i in article_ids]
    with store.begin() as conn:
        before = dict(_in_chunks(conn, "SELECT id, status FROM article WHERE id IN ({})", ids))
        for chunk in _chunked(ids):
            conn.execute(
                text(f"UPDATE article SET status = :s, updated_at = :now WHERE id IN ({_marks(chunk)})"),
                {"s": status, "now": db_timestamp()},
            )
    return Change("status_changed", tuple(ids), before={"status": before}, after={"status": status})


def restore_statuses(store: Store, statuses: dict[int, str]) -> Change:
    """Undo of ``set_status``: give each article back its own earlier status."""
    now = db_timestamp()
    with store.begin() as conn:
        for art_id, status in statuses.items():
            conn.execute(text("UPDATE article SET status = :s, updated_at = :now WHERE id = :i"),
                         {"s": status, "now": now, "i": art_id})
    return Change("status_changed", tuple(statuses), after={"status": statuses})


def count_spans(store: Store, article_ids: Sequence[int]) -> int:
    ids = [int(i) for i in article_ids]
    with store.begin() as conn:
        return sum(n for (n,) in _in_chunks(conn, "SELECT count(*) FROM span WHERE article_id IN ({})", ids))


def delete_articles(store: Store, article_ids: Sequence[int]) -> Change:
    """Delete articles with their spans and sources (not undoable: the GUI asks first)."""
    ids = [int(i) for i in article_ids]
    with store.begin() as conn:
        store.search.unindex(conn, ids)
        for chunk in _chunked(ids):
            conn.execute(text(f"DELETE FROM article WHERE id IN ({_marks(chunk)})"))
    return Change("articles_deleted", tuple(ids))


def _touch(conn: Any, article_ids: list[int], now: Any) -> None:
    # An article being labelled is "in progress" until marked done or skipped.
    conn.execute(
        text(
            f"UPDATE article SET updated_at = :now, status = CASE WHEN status = 'new' THEN 'in_progress' "
            f"ELSE status END WHERE id IN ({_marks(article_ids)})"
        ),
        {"now": now},
    )


def _marks(ids: Sequence[int]) -> str:
    return ",".join(str(int(i)) for i in ids) or "NULL"


def _chunked(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)] or [[]]


def _in_chunks(conn: Any, sql: str, ids: list[int]) -> list[Any]:
    rows: list[Any] = []
    for chunk in _chunked(ids):
        rows.extend(conn.execute(text(sql.format(_marks(chunk)))).all())
    return rows
