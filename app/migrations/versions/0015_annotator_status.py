"""Per-annotator statuses and assignments: the tables of team annotation.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

``article_status`` holds each annotator's own status of an article (done for
Ana, new for Ben): agreement is computed on the articles both finished. An
article without a row is new for that annotator. ``article.status`` stays the
dataset's working status: on a dataset file it is its one annotator's, on a
team server the reviewer's (the gold layer's).

``assignment`` says which annotator an article is queued for; an article may be
assigned to several, for agreement.

Existing datasets: every article that is not new gets a row for each annotator
who labelled spans in it (they finished it), or, without spans, for the
annotator who made most spans in the dataset (its owner).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_status",
        sa.Column("article_id", sa.Integer, sa.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("annotator", sa.String(128), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_article_status_annotator", "article_status", ["annotator", "status", "article_id"])
    op.create_table(
        "assignment",
        sa.Column("article_id", sa.Integer, sa.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("annotator", sa.String(128), primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_assignment_annotator", "assignment", ["annotator", "article_id"])
    _backfill_statuses()
    # Spans of one annotator by article: the library's "spans by ana" filter, agreement and review read
    # a layer article by article (the index of 0014 held the annotator alone).
    op.drop_index("ix_span_annotator", "span")
    op.create_index("ix_span_annotator", "span", ["annotator", "article_id"])


def _backfill_statuses() -> None:
    op.execute(
        "INSERT INTO article_status (article_id, annotator, status, updated_at) "
        "SELECT DISTINCT article.id, span.annotator, article.status, article.updated_at "
        "FROM article JOIN span ON span.article_id = article.id WHERE article.status <> 'new'")
    owner = ("(SELECT annotator FROM span GROUP BY annotator ORDER BY count(*) DESC, annotator LIMIT 1)")
    op.execute(
        "INSERT INTO article_status (article_id, annotator, status, updated_at) "
        f"SELECT article.id, COALESCE({owner}, ''), article.status, article.updated_at FROM article "
        "WHERE article.status <> 'new' AND NOT EXISTS (SELECT 1 FROM span WHERE span.article_id = article.id)")


def downgrade() -> None:
    op.drop_index("ix_span_annotator", "span")
    op.create_index("ix_span_annotator", "span", ["annotator"])
    op.drop_index("ix_assignment_annotator", "assignment")
    op.drop_table("assignment")
    op.drop_index("ix_article_status_annotator", "article_status")
    op.drop_table("article_status")
