"""An article's metadata: the fields its source had that the article table has no column for.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

``article.meta`` holds a JSON object of the fields an imported record brought
besides its text, title, address and date (a Label Studio task's other data
fields, a Prodigy example's input hash, ...), so that exporting and importing
again gives them back. Nothing queries inside it, so it needs no index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with a default in place; Alembic would rebuild the table.
        op.execute("ALTER TABLE article ADD COLUMN meta TEXT NOT NULL DEFAULT '{}'")
    else:
        op.add_column("article", sa.Column("meta", sa.Text, nullable=False, server_default="{}"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE article DROP COLUMN meta")
    else:
        op.drop_column("article", "meta")
