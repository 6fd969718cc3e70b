"""Emoji and other symbols become searchable: the symbol index beside the word index.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

The word index (``article_fts``) is left as it is; only the new, small
``article_symbols`` index is built, from every article's title and text.
"""

from __future__ import annotations

from alembic import op

from app.core.db.search_backend import backend_for

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    backend = backend_for(bind.dialect.name)
    backend.install(bind)  # creates what is missing; the word index exists already
    backend.rebuild_symbols(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS article_symbols")
