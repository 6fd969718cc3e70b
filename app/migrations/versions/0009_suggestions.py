"""Suggested spans: a precomputed layer to review, and the suggestions an annotator rejected.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

``suggestion`` holds spans a suggester proposed for an article (``article-curator
suggest``), kept apart from ``span`` so that they are never exported as labels.
``suggestion_rejection`` holds the suggestions an annotator turned down: one is
not offered again for that article, and its text counts as "seen and left
unlabelled" when the suggester is trained. Both refer to labels by id, as spans
do, so a renamed label carries them along; deleting a label or an article
deletes its rows.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _common(prefix: str) -> list[Any]:
    """The columns and checks both tables share: which article, where, which label."""
    return [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("article.id", ondelete="CASCADE"), nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("label_id", sa.Integer, sa.ForeignKey("label.id", ondelete="CASCADE"), nullable=False),
        sa.CheckConstraint('start >= 0 AND start < "end"', name=f"ck_{prefix}_range"),
    ]


def upgrade() -> None:
    op.create_table(
        "suggestion",
        *_common("suggestion"),
        sa.Column("score", sa.Float, nullable=False),
        # What proposed it: "dataset", "starter", "spacy:<pipeline name or folder>", ...
        sa.Column("source", sa.String, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("article_id", "start", "end", "label_id", name="uq_suggestion_identity"),
    )
    op.create_index("ix_suggestion_label", "suggestion", ["label_id"])
    op.create_table(
        "suggestion_rejection",
        *_common("suggestion_rejection"),
        sa.Column("text", sa.String, nullable=False),
        sa.Column("annotator", sa.String(128), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("article_id", "start", "end", "label_id", name="uq_suggestion_rejection_identity"),
    )
    op.create_index("ix_suggestion_rejection_label", "suggestion_rejection", ["label_id"])
    # Accepted suggestions are spans with origin "suggested": counted per label after every
    # accept (the status bar's rates), so they get an index of their own, which holds only them.
    suggested = sa.text("origin = 'suggested'")
    op.create_index("ix_span_suggested", "span", ["label_id"], sqlite_where=suggested, postgresql_where=suggested)


def downgrade() -> None:
    op.drop_index("ix_span_suggested", "span")
    op.drop_table("suggestion_rejection")
    op.drop_table("suggestion")
