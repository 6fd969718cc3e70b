"""Near copies: a MinHash signature per article, and the near-copy cluster it belongs to.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

``article_signature`` holds each article's MinHash signature over its 5-word
shingles (datasketch's "affine32" hash values, 128 little-endian uint32) and
``cluster_id``, the smallest article id of its cluster of near copies (NULL
when it has none). A table of its own rather than columns of ``article``: 512
bytes an article that no listing of articles should read past, and rows an
import adds without touching the article's own.

The upgrade only creates the table: signing and clustering the articles already
stored takes minutes on a large dataset, and a dataset opens at once. The app does
it in the background after opening (app/core/quality/clustering.py,
``sign_and_cluster_missing``), and so does each command that needs clusters
before it uses them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_signature",
        sa.Column("article_id", sa.Integer, sa.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True,
                  autoincrement=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        sa.Column("cluster_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_article_signature_cluster", "article_signature", ["cluster_id"])


def downgrade() -> None:
    op.drop_index("ix_article_signature_cluster", "article_signature")
    op.drop_table("article_signature")
