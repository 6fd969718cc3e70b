"""Adjudication: the spans a reviewer turned down for the gold layer.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03

In review mode (app/core/team/review.py) every span of the annotators' layers
that the gold layer lacks is a candidate: accepting copies it into the gold
layer, rejecting records it here, so it is not offered again for that article
(after a restart too); on a team server only reviewers and admins may.
Kept apart from ``suggestion_rejection``: a reviewer's
"not gold" is not an annotator's "not a suggestion I want", and the two must
not hide each other.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_rejection",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("article.id", ondelete="CASCADE"), nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("label_id", sa.Integer, sa.ForeignKey("label.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reviewer", sa.String(128), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("article_id", "start", "end", "label_id", name="uq_review_rejection_identity"),
        sa.CheckConstraint('start >= 0 AND start < "end"', name="ck_review_rejection_range"),
    )
    op.create_index("ix_review_rejection_label", "review_rejection", ["label_id"])
    if op.get_bind().dialect.name == "postgresql":
        # Reviewers decide what goes into the gold layer (see 0019_team_access); annotators never see it.
        op.execute("GRANT SELECT, INSERT, DELETE ON review_rejection TO curator_reviewer")
        op.execute("GRANT ALL ON review_rejection TO curator_admin")
        for group in ("curator_reviewer", "curator_admin"):
            op.execute(f"DO $$ BEGIN EXECUTE format('GRANT USAGE ON SEQUENCE %s TO {group}', "
                       f"pg_get_serial_sequence('review_rejection', 'id')); END $$")


def downgrade() -> None:
    op.drop_index("ix_review_rejection_label", "review_rejection")
    op.drop_table("review_rejection")
