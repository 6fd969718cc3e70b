"""The address a page names as its own (``<link rel=canonical>``, og:url), kept for duplicate detection.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

``canonical_url`` is the normalised address an article was fetched from; this is
the one the page itself declares, when it may be believed (see
app/core/text_norm.page_canonical_url). A story reached through a tracking link
and again through the site's mobile address declares the same one, and is then
recognised as one article. Not unique: which of two stored articles a page's
address belongs to is for the import to report, not for a constraint to refuse.
Existing articles keep it empty: their pages were not kept apart from the text.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEX = "ix_article_canonical_page_url"


def upgrade() -> None:
    op.add_column("article", sa.Column("canonical_page_url", sa.String, nullable=True))
    op.create_index(INDEX, "article", ["canonical_page_url"])


def downgrade() -> None:
    op.drop_index(INDEX, "article")
    with op.batch_alter_table("article") as batch:
        batch.drop_column("canonical_page_url")
