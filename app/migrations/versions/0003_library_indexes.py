"""Indexes for the library's sort orders, span end checked on update, search index tuning.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Measured on 100k articles: a page sorted by title read and sorted the whole table
(~100 ms); a page of one status sorted by date or title sorted every article of
that status (70 ms to 1 s). With these indexes each page is an index range scan.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_article_title": ["title", "id"],
    # Status first: "status IN (a, b) ORDER BY key" walks each status's range in
    # key order and stops after a page, instead of sorting all its articles.
    "ix_article_status_updated": ["status", "updated_at", "id"],
    "ix_article_status_title": ["status", "title", "id"],
}
# SQLite's FTS5 keeps this much of a transaction's new index in memory before writing
# a segment (default 1 MiB). A batch of 2,000 articles fits whole, which roughly halves
# the indexing cost of an import (fewer, larger segments to merge). Stored in the
# index's config table; PostgreSQL's GIN index needs no such setting.
FTS_HASHSIZE = 32 * 1024 * 1024


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "article", columns)

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # 0001 checks a span's end on INSERT only; an UPDATE could still move it past the text.
        op.execute(
            'CREATE TRIGGER span_end_in_text_update BEFORE UPDATE OF "end", article_id ON span '
            'WHEN NEW."end" > (SELECT length(text) FROM article WHERE id = NEW.article_id) '
            "BEGIN SELECT RAISE(ABORT, 'span end is past the end of the article text'); END"
        )
        bind.exec_driver_sql(f"INSERT INTO article_fts(article_fts, rank) VALUES('hashsize', {FTS_HASHSIZE})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS span_end_in_text_update")
    for name in INDEXES:
        op.drop_index(name, "article")
