"""Span end checks read each article's length from an index, not from its text.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

The triggers of 0001 and 0003 refuse a span that ends past its article's text by
computing ``length(text)`` for every span row written. For a 1 MB article that
reads the whole text each time: about 1.5 ms per span, so labelling 10,000
occurrences of a name spent over 15 s in the check alone (longer once the text
no longer fits SQLite's page cache). An index on ``(id, length(text))`` holds
every article's length in characters; the triggers read it from there (a few
microseconds). The index is named in the triggers because SQLite before 3.41
does not use an index on an expression to answer a query's result columns.
SQLite only, like the triggers.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEX = "ix_article_text_chars"
# (name, event) of each check; the body is the same for both, the length read from INDEX.
CHECKS = {
    "span_end_in_text": "BEFORE INSERT ON span",
    "span_end_in_text_update": 'BEFORE UPDATE OF "end", article_id ON span',
}
OLD_LENGTH = "(SELECT length(text) FROM article WHERE id = NEW.article_id)"
NEW_LENGTH = f"(SELECT length(text) FROM article INDEXED BY {INDEX} WHERE id = NEW.article_id)"


def _check(name: str, event: str, length: str) -> str:
    return (f'CREATE TRIGGER {name} {event} WHEN NEW."end" > {length} '
            "BEGIN SELECT RAISE(ABORT, 'span end is past the end of the article text'); END")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"CREATE INDEX {INDEX} ON article (id, length(text))")
    for name, event in CHECKS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(_check(name, event, NEW_LENGTH))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, event in CHECKS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(_check(name, event, OLD_LENGTH))
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
