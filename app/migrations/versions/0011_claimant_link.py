"""A claim's claimant as a link to an entity of the registry.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

``span.claimant_id`` points a CLAIM span at the person or organisation who makes
the claim; the free-text ``claimant`` attribute stays as the name shown (and the
only claimant of claims made before). A column rather than a key in the span's
JSON attributes, so that the Claims view filters by claimant with an index on
either database, and merging two entities moves their claims in one statement.
Deleting the entity leaves the claim with its claimant's name, unlinked.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with a reference in place; Alembic would rebuild the table.
        op.execute("ALTER TABLE span ADD COLUMN claimant_id INTEGER REFERENCES entity (id) ON DELETE SET NULL")
    else:
        op.add_column("span", sa.Column("claimant_id", sa.Integer,
                                        sa.ForeignKey("entity.id", name="fk_span_claimant", ondelete="SET NULL"),
                                        nullable=True))
    op.create_index("ix_span_claimant", "span", ["claimant_id", "article_id"])


def downgrade() -> None:
    op.drop_index("ix_span_claimant", "span")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE span DROP COLUMN claimant_id")
    else:
        op.drop_column("span", "claimant_id")
