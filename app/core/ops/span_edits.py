"""The edit gateway: every change an annotator makes goes through these functions.

Each one validates, commits immediately (an edit is saved when it is made) and
returns a ``Changes`` record (app.core.changes) that says what changed, so the GUI can
refresh its views from one signal and its undo stack can reverse it. The
window shows each edit before it is stored (its writes queue behind another
process's, see ``edit_writer``): ``new_span`` and the ``read_*`` functions give
it what it needs to build the same ``Changes`` first.

A span edit drops the article's ready-made export list (a trigger does, see
``span_json``) and leaves rebuilding it to ``span_json.refresh_articles``: it
costs a few milliseconds on a long article, which a key press should not wait
for. The desktop app rebuilds once the annotator pauses; until then the export
reads that article's span rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any, Final

import orjson
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.core.changes import ChangeKind, Changes
from app.core.db.in_lists import execute_in, select_in
from app.core.db.store import Store
from app.core.entities import claim_columns
from app.core.errors import InvalidInput
from app.core.team import identity
from app.core.team import status as team_status
from app.models import ARTICLE_STATUSES, db_timestamp
from app.models import STATUS_TEXT as STATUS_TEXT  # the names statuses are shown by, for the widgets


def _dump(attributes: dict[str, Any]) -> str:
    return orjson.dumps(attributes, option=orjson.OPT_SORT_KEYS).decode()


def _label_id(conn: Any, name: str) -> int:
    row = conn.execute(text("SELECT id FROM label WHERE name = :n"), {"n": name}).first()
    if row is None:
        raise InvalidInput(f"There is no label called {name}.")
    return int(row[0])


# A stored span's state holds its entity link and a claim's claimant link too, so that undoing
# its removal links it again.
_STATE_KEYS = ("article_id", "start", "end", "label", "text", "annotator", "origin", "attributes", "entity_id",
               "claimant_id")
_STATE_SQL = (
    'SELECT span.id, span.article_id, span.start, span."end", label.name, span.text, span.annotator, '
    "span.origin, span.attributes, span.entity_id, span.claimant_id FROM span "
    "JOIN label ON label.id = span.label_id WHERE span.id IN :values"
)


class _Keep(Enum):
    KEEP = "keep"


KEEP: Final = _Keep.KEEP  # update_span leaves the claimant link as it is


def _span_states(conn: Any, span_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The stored state of each of these spans that still exists, by id."""
    states: dict[int, dict[str, Any]] = {}
    for row in select_in(conn, _STATE_SQL, [int(i) for i in span_ids]):
        state = dict(zip(_STATE_KEYS, row[1:], strict=True))
        state["attributes"] = orjson.loads(state["attributes"])
        states[row[0]] = state
    return states


_STATUSES_SQL = "SELECT id, status FROM article WHERE id IN :values"


def _span_state(conn: Any, span_id: int) -> dict[str, Any]:
    state = _span_states(conn, [span_id]).get(span_id)
    if state is None:
        raise InvalidInput(f"Span {span_id} no longer exists.")
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
    [state] = new_spans(text, article_id, [(start, end)], label, annotator=annotator, origin=origin,
                        attributes=attributes)
    return state


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
    entity_id: int | None = None,
    claimant_id: int | None = None,
) -> Changes:
    """Store a new span; ``span_id`` gives it that id (the window picks ids before storing, see ``edits``);
    ``entity_id`` links it and ``claimant_id`` gives a claim its claimant (an undone removal), unless that
    entity is gone meanwhile."""
    now, shared = db_timestamp(), not own_status_only(store)
    with store.begin() as conn:
        text_ = article_text(conn, article_id)
        after = new_span(text_, article_id, start, end, label, annotator=annotator, origin=origin,
                         attributes=attributes)
        id_column, id_value = ("id, ", ":id, ") if span_id is not None else ("", "")
        try:
            span_id, after["entity_id"], after["claimant_id"] = conn.execute(
                text(
                    f'INSERT INTO span ({id_column}article_id, start, "end", label_id, text, annotator, origin, '
                    f"attributes, created_at, updated_at, entity_id, claimant_id) VALUES ({id_value}:a, :s, :e, :l, "
                    ":t, :who, :o, :attr, :now, :now, (SELECT id FROM entity WHERE id = :ent), "
                    "(SELECT id FROM entity WHERE id = :cl)) RETURNING id, entity_id, claimant_id"
                ),
                {"id": span_id, "a": article_id, "s": after["start"], "e": after["end"], "l": _label_id(conn, label),
                 "t": after["text"], "who": annotator, "o": origin, "attr": _dump(after["attributes"]), "now": now,
                 "ent": entity_id, "cl": claimant_id},
            ).one()
        except IntegrityError:
            raise InvalidInput(already_labelled(after["text"], label)) from None
        claim_columns.refresh_spans(conn, [span_id])
        _touch(conn, [(article_id, annotator)], now, shared)
    return Changes.edit(ChangeKind.SPAN_ADDED, (article_id,), span_id, after=after)


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
    """A span's state as ``Changes.before``/``after`` hold it; raises InvalidInput when it is gone."""
    with store.begin() as conn:
        return _span_state(conn, span_id)


def read_spans(store: Store, span_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The states of those of these spans that still exist, by id, as ``read_span`` gives them."""
    with store.begin() as conn:
        return _span_states(conn, span_ids)


def read_statuses(store: Store, article_ids: Sequence[int]) -> dict[int, str]:
    """The statuses an edit changes: the articles', or an annotator's own on a team server."""
    ids = [int(i) for i in article_ids]
    with store.begin() as conn:
        if own_status_only(store):
            return team_status.own_statuses(conn, ids, identity.current_annotator(store, ""))
        return dict(select_in(conn, _STATUSES_SQL, ids))


def read_own_statuses(store: Store, article_ids: Sequence[int], annotator: str) -> dict[int, str]:
    """``annotator``'s own status of each article ("new" where they have none)."""
    with store.begin() as conn:
        return team_status.own_statuses(conn, [int(i) for i in article_ids], annotator)


def own_status_only(store: Store) -> bool:
    """Whether edits set only the annotator's own status: an annotator on a team server, where
    ``article.status`` is the reviewers' (the server lets an annotator change no article)."""
    return not store.is_sqlite and identity.team_role(store) == "annotator"


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


def reserve_span_ids(store: Store, count: int) -> list[int]:
    """``count`` span ids that no other writer will take, from the table's own sequence (PostgreSQL).

    On a server several windows share one dataset, so ids the window counts down
    itself could meet; ``nextval`` hands each id out once and never waits for a lock.
    """
    with store.begin() as conn:
        return [int(r[0]) for r in conn.execute(
            text("SELECT nextval(pg_get_serial_sequence('span', 'id')) FROM generate_series(1, :n)"), {"n": count})]


def check_status(status: str) -> None:
    if status not in ARTICLE_STATUSES:
        raise InvalidInput(f"Unknown status {status!r}; use one of {', '.join(ARTICLE_STATUSES)}.")


def remove_span(store: Store, span_id: int) -> Changes:
    shared = not own_status_only(store)
    with store.begin() as conn:
        before = _span_state(conn, span_id)
        conn.execute(text("DELETE FROM span WHERE id = :i"), {"i": span_id})
        _touch(conn, [(before["article_id"], before["annotator"])], db_timestamp(), shared)
    return Changes.edit(ChangeKind.SPAN_REMOVED, (before["article_id"],), span_id, before=before)


def new_spans(
    text_: str,
    article_id: int,
    ranges: Sequence[tuple[int, int]],
    label: str,
    *,
    annotator: str,
    origin: str = "manual",
    attributes: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The states of many spans about to be added (``new_span`` for each range, in text order; no repeats).

    What the spans share is validated once, and each range only against the text:
    pydantic for each of 10,000 ranges would take a third of a second.
    """
    wanted = sorted({(int(s), int(e)) for s, e in ranges})
    if not wanted:
        return []
    # Loaded with the first edit (pydantic is a tenth of a second): the window warms it after its first paint.
    from app.core.validation import NewSpan, validate

    first = validate(NewSpan, {"start": wanted[0][0], "end": wanted[0][1], "label": label, "annotator": annotator,
                               "origin": origin, "attributes": attributes or {}})
    for s, e in wanted:
        if not 0 <= s < e <= len(text_):
            validate(NewSpan, {"start": s, "end": e, "label": label}).check_against(text_)  # says why
    shared = {"article_id": article_id, "label": label, "annotator": annotator, "origin": origin, "entity_id": None,
              "claimant_id": None}
    return [{**shared, "start": s, "end": e, "text": text_[s:e], "attributes": dict(first.attributes)}
            for s, e in wanted]


def add_spans(
    store: Store,
    article_id: int,
    ranges: Sequence[tuple[int, int]],
    label: str,
    *,
    annotator: str,
    origin: str = "manual",
    attributes: dict[str, Any] | None = None,
    span_ids: Sequence[int] | None = None,
    entity_ids: Sequence[int | None] | None = None,
    claimant_ids: Sequence[int | None] | None = None,
    each_attributes: Sequence[dict[str, Any]] | None = None,
) -> Changes:
    """Label many ranges of one article at once (every occurrence of a name): one transaction.

    Without ``span_ids``, ranges this annotator has already labelled ``label`` are
    left as they are and the new rows' ids are read back in one query. With them
    (the window picks ids before storing, one per range in text order, see
    ``edits``) every range is stored under its id, and one already labelled
    refuses the whole edit. ``entity_ids`` (one per range in text order, with
    ``span_ids``: an undone removal) links each span again, and ``claimant_ids``
    gives each claim its claimant again, unless that entity is gone meanwhile;
    ``each_attributes`` gives each span its own attributes again (a claim's claimant's name).
    The rows go in with one ``executemany``: ten thousand spans take a fraction
    of a second, where one ``add_span`` each took a commit (and a disk sync) apiece.
    """
    now, shared = db_timestamp(), not own_status_only(store)
    with store.begin() as conn:
        states = new_spans(article_text(conn, article_id), article_id, ranges, label, annotator=annotator,
                           origin=origin, attributes=attributes)
        if not states:
            return Changes.edit(ChangeKind.SPANS_ADDED, (article_id,), after={"spans": []})
        if span_ids is not None and len(span_ids) != len(states):
            raise InvalidInput(f"{len(span_ids)} span ids were given for {len(states)} spans.")
        if each_attributes is not None:
            if span_ids is None or len(each_attributes) != len(states):
                raise InvalidInput(f"{len(each_attributes)} sets of attributes were given for {len(states)} spans.")
            for state, own in zip(states, each_attributes, strict=True):
                state["attributes"] = dict(own)
        for column, links in (("entity_id", entity_ids), ("claimant_id", claimant_ids)):
            if links is not None:
                _relink_states(conn, states, column, links, span_ids is not None)
        label_id = _label_id(conn, label)
        mine = text('SELECT id, start, "end" FROM span WHERE article_id = :a AND label_id = :l AND annotator = :who')
        key = {"a": article_id, "l": label_id, "who": annotator}
        if span_ids is None:
            taken = {(s, e) for _i, s, e in conn.execute(mine, key).all()}
            states = [st for st in states if (st["start"], st["end"]) not in taken]
        if states:
            attrs = _dump(states[0]["attributes"])
            # Plain tuples straight to the driver: SQLAlchemy's per-row parameter handling
            # doubled the time of 10,000 rows.
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            rows: list[tuple[Any, ...]] = [
                (article_id, st["start"], st["end"], label_id, st["text"], annotator, origin,
                 attrs if each_attributes is None else _dump(st["attributes"]), now, now,
                 st["entity_id"], st["claimant_id"]) for st in states]
            columns = ('article_id, start, "end", label_id, text, annotator, origin, attributes, created_at, '
                       "updated_at, entity_id, claimant_id")
            if span_ids is not None:
                columns, rows = "id, " + columns, [(int(i), *row) for i, row in zip(span_ids, rows, strict=True)]
            try:
                conn.exec_driver_sql(f"INSERT INTO span ({columns}) VALUES ({', '.join([mark] * len(rows[0]))})",
                                     rows)
            except IntegrityError:
                raise InvalidInput(f"Some of these spans are already labelled {label}.") from None
            _touch(conn, [(article_id, annotator)], now, shared)
        if span_ids is None:
            ids = {(s, e): i for i, s, e in conn.execute(mine, key).all()}
            span_ids = [ids[(st["start"], st["end"])] for st in states]
        if states and _is_claim_label(conn, label_id):  # ten thousand mentions of a name need no claim date
            claim_columns.refresh_spans(conn, span_ids)
    return Changes.edit(ChangeKind.SPANS_ADDED, (article_id,), span_ids=(int(i) for i in span_ids),
                        after={"spans": states})


def _is_claim_label(conn: Any, label_id: int) -> bool:
    return conn.execute(text("SELECT kind FROM label WHERE id = :l"), {"l": label_id}).scalar() == "claim"


def _relink_states(conn: Any, states: list[dict[str, Any]], key: str, links: Sequence[int | None],
                   with_ids: bool) -> None:
    """Set ``state[key]`` of each span about to be added back to its entity in ``links``, or None for
    an entity deleted since (the link goes with it, as deleting an entity unlinks its mentions)."""
    if not with_ids or len(links) != len(states):
        raise InvalidInput(f"{len(links)} entity links were given for {len(states)} spans.")
    live = {int(r[0]) for r in select_in(conn, "SELECT id FROM entity WHERE id IN :values",
                                         sorted({int(e) for e in links if e is not None}))}
    for state, entity_id in zip(states, links, strict=True):
        state[key] = entity_id if entity_id in live else None


def remove_spans(store: Store, span_ids: Sequence[int]) -> Changes:
    """Delete many spans at once (the undo of ``add_spans``): one transaction, a statement per 500 ids."""
    ids, shared = [int(i) for i in span_ids], not own_status_only(store)
    with store.begin() as conn:
        states = _span_states(conn, ids)
        gone = [i for i in ids if i not in states]
        if gone:
            raise InvalidInput(f"{len(gone)} of the {len(ids)} spans no longer exist.")
        execute_in(conn, "DELETE FROM span WHERE id IN :values", ids)
        articles = sorted({state["article_id"] for state in states.values()})
        if articles:
            _touch(conn, [(s["article_id"], s["annotator"]) for s in states.values()], db_timestamp(), shared)
    order = sorted(ids, key=lambda i: (states[i]["article_id"], states[i]["start"], -states[i]["end"]))
    return Changes.edit(ChangeKind.SPANS_REMOVED, tuple(articles), span_ids=tuple(order),
                  before={"spans": [states[i] for i in order]})


def update_span(
    store: Store, span_id: int, *, label: str | None = None, attributes: dict[str, Any] | None = None,
    entity_id: int | None = None,
    claimant_id: int | None | _Keep = KEEP,
) -> Changes:
    """Change a span's label, replace its attributes (claimant, verdict, note, ...) and/or link a claim to its
    claimant (``claimant_id``: an entity, or None to unlink; ``KEEP`` leaves it).

    A span links only to an entity of its own label, so a new label unlinks it;
    ``entity_id`` links it under its new label instead (an undone relabel), when
    that entity is of the new label and still exists.
    """
    now, shared = db_timestamp(), not own_status_only(store)
    with store.begin() as conn:
        before = _span_state(conn, span_id)
        after = dict(before)
        if label is not None:
            try:
                after["label"], after["entity_id"] = label, conn.execute(
                    text("UPDATE span SET label_id = :l, updated_at = :now, entity_id = CASE WHEN label_id = :l "
                         "THEN entity_id ELSE (SELECT id FROM entity WHERE id = :e AND label_id = :l) END "
                         "WHERE id = :i RETURNING entity_id"),
                    {"l": _label_id(conn, label), "now": now, "i": span_id, "e": entity_id},
                ).scalar_one()
            except IntegrityError:
                raise InvalidInput(already_labelled(before["text"], label)) from None
        if attributes is not None:
            after["attributes"] = dict(attributes)
            conn.execute(
                text("UPDATE span SET attributes = :a, updated_at = :now WHERE id = :i"),
                {"a": _dump(attributes), "now": now, "i": span_id},
            )
        if claimant_id is not KEEP:
            if claimant_id is not None and conn.execute(
                    text("SELECT 1 FROM entity WHERE id = :e"), {"e": claimant_id}).first() is None:
                raise InvalidInput(f"Entity {claimant_id} no longer exists.")
            after["claimant_id"] = claimant_id
            conn.execute(text("UPDATE span SET claimant_id = :c, updated_at = :now WHERE id = :i"),
                         {"c": claimant_id, "now": now, "i": span_id})
        if label is not None or attributes is not None or claimant_id is not KEEP:
            claim_columns.refresh_spans(conn, [span_id])  # a claim's date, verdict and claimant follow
        _touch(conn, [(before["article_id"], before["annotator"])], now, shared)
    return Changes.edit(ChangeKind.SPAN_CHANGED, (before["article_id"],), span_id, before=before, after=after)


def set_status(store: Store, article_ids: Sequence[int], status: str, annotator: str | None = None) -> Changes:
    """Mark articles; with ``annotator``, also as that annotator's own status (see app.core.team.status).

    An annotator on a team server marks only their own status (``own_status_only``).
    """
    check_status(status)
    ids = [int(i) for i in article_ids]
    now = db_timestamp()
    if own_status_only(store):
        who = identity.current_annotator(store, "")
        with store.begin() as conn:
            before = team_status.own_statuses(conn, ids, who)
            team_status.set_own(conn, ids, who, status, now)
        return Changes.edit(ChangeKind.STATUS_CHANGED, tuple(ids), before={"status": before},
                            after={"status": status})
    with store.begin() as conn:
        before = dict(select_in(conn, _STATUSES_SQL, ids))
        execute_in(conn, "UPDATE article SET status = :s, updated_at = :now WHERE id IN :values", ids,
                   {"s": status, "now": now})
        if annotator is not None:
            team_status.set_own(conn, ids, annotator, status, now)
    return Changes.edit(ChangeKind.STATUS_CHANGED, tuple(ids), before={"status": before}, after={"status": status})


def restore_statuses(store: Store, statuses: dict[int, str], annotator: str | None = None,
                     own: dict[int, str] | None = None) -> Changes:
    """Undo of ``set_status``: give each article back its earlier status, and ``annotator`` their own earlier
    status (``own``; without it, the article's)."""
    now = db_timestamp()
    own_only = own_status_only(store)
    if own_only:
        annotator = identity.current_annotator(store, "")
    with store.begin() as conn:
        for art_id, status in statuses.items() if not own_only else ():
            conn.execute(text("UPDATE article SET status = :s, updated_at = :now WHERE id = :i"),
                         {"s": status, "now": now, "i": art_id})
        if annotator is not None:
            team_status.restore_own(conn, own if own is not None else statuses, annotator, now)
    return Changes.edit(ChangeKind.STATUS_CHANGED, tuple(statuses), after={"status": statuses})


def count_spans(store: Store, article_ids: Sequence[int]) -> int:
    ids = [int(i) for i in article_ids]
    with store.begin() as conn:
        return sum(n for (n,) in select_in(conn, "SELECT count(*) FROM span WHERE article_id IN :values", ids))


def delete_articles(store: Store, article_ids: Sequence[int]) -> Changes:
    """Delete articles with their spans and sources (not undoable: the GUI asks first)."""
    ids = [int(i) for i in article_ids]
    with store.begin() as conn:
        store.search.unindex(conn, ids)
        execute_in(conn, "DELETE FROM article WHERE id IN :values", ids)
    return Changes.edit(ChangeKind.ARTICLES_DELETED, tuple(ids))


def _touch(conn: Any, labelled: list[tuple[int, str]], now: Any, shared: bool = True) -> None:
    """Labelling by an annotator in an article: the article (unless not ``shared``, see ``own_status_only``)
    and that annotator's own status are in progress until marked done or skipped."""
    if shared:
        execute_in(
            conn,
            "UPDATE article SET updated_at = :now, status = CASE WHEN status = 'new' THEN 'in_progress' "
            "ELSE status END WHERE id IN :values",
            sorted({int(article_id) for article_id, _ in labelled}),
            {"now": now},
        )
    team_status.mark_started(conn, labelled, now)
