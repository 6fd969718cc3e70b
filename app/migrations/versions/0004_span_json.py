"""Each article's spans kept as ready-made export JSON (see app/core/db/span_json.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

Measured on 100k articles with 20 spans each: reading two million span rows
into Python took more than half of a native export's time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLE = "article_span_json"
# The cache may only ever be missing, never stale: whatever changes what an
# article's cached list says deletes that row, in the same transaction.
TRIGGERS = {
    "span_json_span_insert": "AFTER INSERT ON span BEGIN "
    "DELETE FROM article_span_json WHERE article_id = NEW.article_id; END",
    "span_json_span_update": "AFTER UPDATE ON span BEGIN "
    "DELETE FROM article_span_json WHERE article_id IN (OLD.article_id, NEW.article_id); END",
    "span_json_span_delete": "AFTER DELETE ON span BEGIN "
    "DELETE FROM article_span_json WHERE article_id = OLD.article_id; END",
    "span_json_label_rename": "AFTER UPDATE OF name ON label BEGIN "
    "DELETE FROM article_span_json WHERE article_id IN (SELECT article_id FROM span WHERE label_id = NEW.id); END",
    "span_json_article_text": "AFTER UPDATE OF text ON article BEGIN "
    "DELETE FROM article_span_json WHERE article_id = NEW.id; END",
}


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("article_id", sa.Integer, sa.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("spans", sa.Text, nullable=False),
        sa.Column("label_counts", sa.Text, nullable=False),
        # span_json.FORMAT of the list: a later layout ignores (and rewrites) older rows.
        sa.Column("format", sa.Integer, nullable=False),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name, body in TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    # Not filled here: 100k articles with 20 spans each take about 20 s, and a
    # dataset opens before its window shows. The desktop app fills the table in
    # the background (span_json.fill_missing); until then the export reads span rows.


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table(TABLE)
