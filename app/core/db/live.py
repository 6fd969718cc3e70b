"""Change notices from a database server: what other people and processes wrote, as it happens.

On PostgreSQL every write ends with a NOTIFY on ``curator_changes`` (migration
0021). ``ChangeListener`` holds one connection of its own, LISTENs, and calls
``on_notice`` with each ``Notice`` from a thread of its own; the window turns
them into its change channel's records (app/widgets/live_updates.py). Notices
of the listener's own store (same ``application_name``, set per engine in
``store.create_store_engine``) are dropped: the window has drawn those already.

When the server goes away the listener says so (``on_state("lost")``), tries
again every ``RETRY_SECONDS`` and says when it is back (``"reconnected"``);
notices sent meanwhile are gone, so the window reads everything again then.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import URL, make_url

from app.core.changes import ChangeKind, Changes

CHANNEL = "curator_changes"
RETRY_SECONDS = 1.0
_POLL_SECONDS = 0.25  # how soon ``stop`` is noticed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    table: str
    operation: str  # INSERT, UPDATE or DELETE
    article_ids: tuple[int, ...]  # empty: the table has no article, or too many to name
    everything: bool  # too many articles to name: read them all again
    writer: str  # the application_name of the connection that wrote


def parse(payload: str) -> Notice | None:
    try:
        data = json.loads(payload)
        return Notice(str(data["t"]), str(data.get("op") or "UPDATE"), tuple(int(a) for a in data.get("a") or ()),
                      bool(data.get("all")), str(data.get("app") or ""))
    except (ValueError, KeyError, TypeError):
        log.warning("A change notice that is not one of ours was ignored: %.200s", payload)
        return None


def conninfo(url: str | URL) -> str:
    """The libpq address of a SQLAlchemy PostgreSQL URL (password and ``sslmode`` included)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


class ChangeListener:
    """LISTENs on a connection of its own, in a daemon thread, until ``stop``."""

    def __init__(self, url: str | URL, own_writer: str, on_notice: Callable[[Notice], None],
                 on_state: Callable[[str], None] = lambda _state: None) -> None:
        self._conninfo = conninfo(url)
        self.own_writer = own_writer
        self._on_notice, self._on_state = on_notice, on_state
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="change-listener", daemon=True)
        self.connected = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        import psycopg

        lost = False
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=3,
                                     application_name="article-curator listener") as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    if lost:
                        self._on_state("reconnected")
                        lost = False
                    self._listen(conn)
            except psycopg.Error as exc:
                self.connected.clear()
                if not lost and not self._stopping.is_set():
                    log.info("The change listener lost its connection: %s", type(exc).__name__)
                    self._on_state("lost")
                    lost = True
                self._stopping.wait(RETRY_SECONDS)

    def _listen(self, conn: object) -> None:
        while not self._stopping.is_set():
            for raw in conn.notifies(timeout=_POLL_SECONDS):  # type: ignore[attr-defined]
                notice = parse(raw.payload)
                if notice is not None and notice.writer != self.own_writer:
                    self._on_notice(notice)


EVERYTHING = Notice("", "UPDATE", (), True, "")  # what a reconnection announces: notices may have been missed
_ARTICLE_TABLES = ("span", "article", "article_status", "assignment", "review_rejection")


def changes_of(notices: list[Notice], open_article: int | None = None) -> list[Changes]:
    """The change channel's records of a run of notices: what the views read again.

    Articles added or deleted elsewhere are announced as such (the library lists
    or drops them); every other change of an article as ``CHANGED_ELSEWHERE``;
    labels and entities as changed. A notice naming no articles (too many)
    stands for every article: that reads as a change of the labels too, which
    every view answers by reading all it shows again, and of ``open_article``.
    """
    added: dict[int, None] = {}
    deleted: dict[int, None] = {}
    changed: dict[int, None] = {}
    kinds: set[ChangeKind] = set()
    for notice in notices:
        if notice.everything:
            kinds |= {ChangeKind.CHANGED_ELSEWHERE, ChangeKind.LABELS_CHANGED, ChangeKind.ENTITIES_CHANGED}
            if open_article is not None:
                changed[open_article] = None
        elif notice.table == "article" and notice.operation == "INSERT":
            added.update(dict.fromkeys(notice.article_ids))
        elif notice.table == "article" and notice.operation == "DELETE":
            deleted.update(dict.fromkeys(notice.article_ids))
        elif notice.table in _ARTICLE_TABLES:
            changed.update(dict.fromkeys(notice.article_ids))
        elif notice.table == "label":
            kinds.add(ChangeKind.LABELS_CHANGED)
        elif notice.table in ("entity", "entity_alias"):
            kinds.add(ChangeKind.ENTITIES_CHANGED)
    found = []
    if added:
        found.append(Changes(frozenset({ChangeKind.ARTICLES_ADDED}), tuple(added)))
    if deleted:
        found.append(Changes(frozenset({ChangeKind.ARTICLES_DELETED}), tuple(deleted)))
    changed_ids = tuple(a for a in changed if a not in deleted)
    if changed_ids or kinds:
        found.append(Changes(frozenset(kinds | {ChangeKind.CHANGED_ELSEWHERE}), changed_ids))
    return found
