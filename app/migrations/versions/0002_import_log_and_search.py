"""Import log and full-text search index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The full-text search index as this revision made it, per database type (the search
# code, app/core/db/search_backend.py, reads it). SQLite: an external-content FTS5
# table over the articles' titles and texts, then filled from the articles stored at
# revision 0001. PostgreSQL: a generated tsvector column with a GIN index.
SEARCH_INDEX = {
    "sqlite": [
        "CREATE VIRTUAL TABLE IF NOT EXISTS article_fts USING fts5("
        "title, text, content='article', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')",
        "INSERT INTO article_fts(article_fts) VALUES('rebuild')",
    ],
    "postgresql": [
        "ALTER TABLE article ADD COLUMN IF NOT EXISTS search_vector tsvector "
        "GENERATED ALWAYS AS (setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
        "setweight(to_tsvector('simple', text), 'B')) STORED",
        "CREATE INDEX IF NOT EXISTS ix_article_search ON article USING GIN (search_vector)",
        "REINDEX INDEX ix_article_search",
    ],
}


def upgrade() -> None:
    op.create_table(
        "import_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("batch", sa.String(40), nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String, nullable=False, server_default=""),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("article.id", ondelete="SET NULL"), nullable=True),
        sa.Column("title", sa.String, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("outcome IN ('imported', 'duplicate', 'failed')", name="ck_import_outcome"),
    )
    op.create_index("ix_import_log_batch", "import_log", ["batch", "id"])

    bind = op.get_bind()
    if bind.dialect.name not in SEARCH_INDEX:
        raise ValueError(f"Full-text search is not available for the {bind.dialect.name} database type.")
    for statement in SEARCH_INDEX[bind.dialect.name]:
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    op.drop_table("import_log")
