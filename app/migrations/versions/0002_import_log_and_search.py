"""Import log and full-text search index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.core.db.search_backend import backend_for

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


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
    backend = backend_for(bind.dialect.name)
    backend.install(bind)
    # Articles stored at revision 0001 become searchable too.
    backend.rebuild(bind)


def downgrade() -> None:
    op.drop_table("import_log")
