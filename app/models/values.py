"""The values the tables hold (statuses, kinds, origins) and their timestamps, without the tables.

Apart from ``tables`` so that reading them costs no import of SQLModel, pydantic
and the ORM: the command line's reading commands never map a row to a class.
"""

from __future__ import annotations

from datetime import UTC, datetime

ARTICLE_STATUSES = ("new", "in_progress", "done", "skipped")
# Each status as the app names it to a person.
STATUS_TEXT = {"new": "New", "in_progress": "In progress", "done": "Done", "skipped": "Skipped"}
SOURCE_KINDS = ("url", "file", "jsonl", "paste")
LABEL_KINDS = ("entity", "claim")
SPAN_ORIGINS = ("manual", "imported", "suggested")
IMPORT_OUTCOMES = ("imported", "duplicate", "failed")


def utcnow() -> datetime:
    return datetime.now(UTC)


def db_timestamp() -> datetime:
    """Now, in UTC, as the tables store it (naive), for statements written in plain SQL."""
    return datetime.now(UTC).replace(tzinfo=None)
