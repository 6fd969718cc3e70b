"""The import log: writing an import run's items, and the queries over earlier runs.

Every item an import handles leaves one ``import_log`` row (``ImportLogWriter``,
used by ``importer``); rows of one run share a ``batch`` id. The read-only
helpers feed the import pane's history and its "Retry failed" button, and work
for the CLI too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Integer, String, case, column, func, insert, select, table
from sqlalchemy.exc import SQLAlchemyError

from app.core.db.store import Store, describe_db_error
from app.models import utcnow

log = logging.getLogger(__name__)

# The table as plain SQL names (the columns of app.models.ImportLog): the window lists earlier imports
# as it opens, without loading the table classes (SQLModel, pydantic) first.
_TABLE = table("import_log", column("id", Integer), column("batch", String), column("source", String),
               column("outcome", String), column("reason", String), column("article_id", Integer),
               column("title", String), column("created_at", DateTime))
_LOG = _TABLE.c
# A failed JSONL record is logged as "<file>:<line>"; retrying means re-reading the file.
_RECORD_SOURCE = re.compile(r"^(?P<path>.+):(?P<line>\d+)$")


@dataclass(frozen=True)
class BatchSummary:
    """One import run, as the history list shows it."""

    batch: str
    started: datetime  # UTC, aware
    finished: datetime  # UTC, aware
    total: int
    imported: int
    duplicates: int
    failed: int
    cancelled: int = 0  # not imported because the user cancelled the run


@dataclass(frozen=True)
class LogItem:
    """One item of an import run, with the same fields as the importer's ``ItemOutcome``."""

    source: str
    outcome: str  # imported, duplicate, failed, cancelled
    reason: str
    article_id: int | None
    title: str | None
    created_at: datetime  # UTC, aware


class ImportLogWriter:
    """Writes the items of one import run to the log; says once, in words, when it cannot.

    The log is a convenience (the run's report carries every outcome), so a
    write that fails does not stop the import. When one fails, the next ones
    usually fail for the same reason (a full disk, a read-only file): one
    sentence per run says so, instead of a warning with a traceback per item.
    """

    def __init__(self, store: Store, batch: str) -> None:
        self.store = store
        self.batch = batch
        self.unsaved = 0  # items of this run missing from the log

    def write(self, outcomes: Sequence[Any]) -> None:
        """Log ``outcomes`` (the importer's ``ItemOutcome``s) in one transaction."""
        now = utcnow()
        rows = [{"batch": self.batch, "source": o.source, "outcome": o.outcome, "reason": o.reason,
                 "article_id": o.article_id, "title": o.title, "created_at": now} for o in outcomes]
        try:
            with self.store.begin() as conn:
                conn.execute(insert(_TABLE), rows)
        except SQLAlchemyError as exc:
            if not self.unsaved:
                log.warning("Could not write the import log of %s: %s. This import's articles are kept, but its "
                            "history in the import pane will miss some items.", self.store.where,
                            describe_db_error(exc))
            self.unsaved += len(rows)


def _utc(value: datetime) -> datetime:
    # The table stores naive UTC; callers convert to local time for display.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _count(outcome: str) -> ColumnElement[Any]:
    return func.sum(case((_LOG.outcome == outcome, 1), else_=0))


def recent_batches(store: Store, limit: int = 50) -> list[BatchSummary]:
    """The latest ``limit`` import runs, newest first, with counts per outcome."""
    last_row = func.max(_LOG.id)
    query = (
        select(
            _LOG.batch,
            func.min(_LOG.created_at),
            func.max(_LOG.created_at),
            func.count(),
            _count("imported"),
            _count("duplicate"),
            _count("failed"),
            _count("cancelled"),
        )
        .group_by(_LOG.batch)
        # Row ids grow with time, and unlike timestamps they never tie.
        .order_by(last_row.desc())
        .limit(max(0, int(limit)))
    )
    with store.begin() as conn:
        rows = conn.execute(query).all()
    return [
        BatchSummary(batch, _utc(started), _utc(finished), int(total), int(imported or 0), int(dups or 0),
                     int(failed or 0), int(cancelled or 0))
        for batch, started, finished, total, imported, dups, failed, cancelled in rows
    ]


def batch_items(store: Store, batch: str) -> list[LogItem]:
    """Every item of one run, in the order the import finished them."""
    query = (
        select(_LOG.source, _LOG.outcome, _LOG.reason, _LOG.article_id, _LOG.title, _LOG.created_at)
        .where(_LOG.batch == batch)
        .order_by(_LOG.id)
    )
    with store.begin() as conn:
        rows = conn.execute(query).all()
    return [LogItem(src, outcome, reason or "", aid, title, _utc(at)) for src, outcome, reason, aid, title, at in rows]


def _retry_source(source: str) -> str | None:
    """What to import again for a failed item, or None when it cannot be retried."""
    from app.core.ingest.importer import is_url  # here: the importer uses this module to write the log

    if is_url(source):
        return source
    if Path(source).expanduser().exists():
        return source
    match = _RECORD_SOURCE.match(source)
    if match and Path(match["path"]).expanduser().is_file():
        # Records that did import meanwhile come back as duplicates, which is harmless.
        return match["path"]
    return None  # a file that is gone, an unsupported scheme


def failed_sources(store: Store, batch: str | None = None,
                   outcomes: tuple[str, ...] = ("failed", "cancelled")) -> list[str]:
    """Sources to import again: the failed (or cancelled) items of ``batch``, or, without a
    batch, every source whose latest attempt in any run failed (or was cancelled).

    Each source is listed once, in log order; items that can no longer be
    retried (deleted files, unsupported addresses) are left out.
    """
    if batch is not None:
        query = select(_LOG.source).where(_LOG.batch == batch, _LOG.outcome.in_(outcomes)).order_by(_LOG.id)
    else:
        latest = select(func.max(_LOG.id)).group_by(_LOG.source).scalar_subquery()
        query = select(_LOG.source).where(_LOG.id.in_(latest), _LOG.outcome.in_(outcomes)).order_by(_LOG.id)
    with store.begin() as conn:
        sources = conn.execute(query).scalars().all()
    out: list[str] = []
    seen: set[str] = set()
    for source in sources:
        retry = _retry_source(source)
        if retry is not None and retry not in seen:
            seen.add(retry)
            out.append(retry)
    return out
