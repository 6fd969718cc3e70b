"""Articles, their sources, labels and spans; the default label set.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DEFAULT_LABELS = [
    # Colours stay legible as a light background tint and as a dark-theme tint.
    {"name": "PERSON", "kind": "entity", "color": "#3b82f6", "shortcut": "1", "position": 0,
     "description": "A named person."},
    {"name": "ORG", "kind": "entity", "color": "#f59e0b", "shortcut": "2", "position": 1,
     "description": "A named organisation: company, institution, agency, team."},
    {"name": "CLAIM", "kind": "claim", "color": "#10b981", "shortcut": "3", "position": 2,
     "description": "A checkable statement someone makes; may contain PERSON and ORG mentions."},
]


def upgrade() -> None:
    op.create_table(
        "article",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(40), nullable=False, unique=True),
        sa.Column("url", sa.String, nullable=True),
        sa.Column("canonical_url", sa.String, nullable=True, unique=True),
        sa.Column("title", sa.String, nullable=False, server_default=""),
        sa.Column("author", sa.String, nullable=True),
        sa.Column("published", sa.String, nullable=True),
        sa.Column("site_name", sa.String, nullable=True),
        sa.Column("language", sa.String, nullable=True),
        sa.Column("text", sa.String, nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("extractor", sa.String, nullable=True),
        sa.Column("extractor_version", sa.String, nullable=True),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String, nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="new"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("status IN ('new', 'in_progress', 'done', 'skipped')", name="ck_article_status"),
    )
    op.create_index("ix_article_status_id", "article", ["status", "id"])
    op.create_index("ix_article_updated_at", "article", ["updated_at", "id"])

    op.create_table(
        "article_source",
        sa.Column("article_id", sa.Integer, sa.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("compression", sa.String(16), nullable=False, server_default="zlib"),
        sa.Column("content_type", sa.String, nullable=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )

    label = op.create_table(
        "label",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False, server_default="entity"),
        sa.Column("color", sa.String(16), nullable=False, server_default="#888888"),
        sa.Column("shortcut", sa.String(32), nullable=True, unique=True),
        sa.Column("description", sa.String, nullable=False, server_default=""),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint("kind IN ('entity', 'claim')", name="ck_label_kind"),
    )

    op.create_table(
        "span",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("article.id", ondelete="CASCADE"), nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("label_id", sa.Integer, sa.ForeignKey("label.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("text", sa.String, nullable=False),
        sa.Column("annotator", sa.String(128), nullable=False, server_default=""),
        sa.Column("origin", sa.String(16), nullable=False, server_default="manual"),
        sa.Column("attributes", sa.String, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("article_id", "start", "end", "label_id", "annotator", name="uq_span_identity"),
        sa.CheckConstraint('start >= 0 AND start < "end"', name="ck_span_range"),
        sa.CheckConstraint("origin IN ('manual', 'imported', 'suggested')", name="ck_span_origin"),
    )
    op.create_index("ix_span_article", "span", ["article_id", "start"])
    op.create_index("ix_span_label", "span", ["label_id"])

    if op.get_bind().dialect.name == "sqlite":
        # The database itself refuses a span that ends past its article's text
        # (length() counts characters, like Python's str offsets).
        op.execute(
            'CREATE TRIGGER span_end_in_text BEFORE INSERT ON span '
            'WHEN NEW."end" > (SELECT length(text) FROM article WHERE id = NEW.article_id) '
            "BEGIN SELECT RAISE(ABORT, 'span end is past the end of the article text'); END"
        )

    op.bulk_insert(label, DEFAULT_LABELS)


def downgrade() -> None:
    op.drop_table("span")
    op.drop_table("label")
    op.drop_table("article_source")
    op.drop_table("article")
