"""Indexes for the dataset overview: spans per annotator, articles per site.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

View ▸ Overview (app/core/ops/overview.py) counts spans per annotator and
articles per site with one GROUP BY each. Without an index each of them reads
its whole table; at 100,000 articles and a million spans that alone took more
than the overview's 500 ms budget. With these, both groupings read an index.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_span_annotator", "span", ["annotator"])
    op.create_index("ix_article_site", "article", ["site_name"])


def downgrade() -> None:
    op.drop_index("ix_article_site", "article")
    op.drop_index("ix_span_annotator", "span")
