"""Known entities: a registry of people, organisations (any entity label), their aliases, and spans linked to them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

``entity`` holds one person or organisation across articles: its kind (an entity
label, by id as spans hold it, so a renamed label carries it), a canonical name,
an external id the user types (a Wikidata QID or an address; nothing is looked
up) and a note. Aliases are rows of ``entity_alias``, not a JSON list, so that a
span's text is matched against every name with one indexed lookup: both tables
keep the normalised form of each name (``name_key``, see
app/core/entities/matching.py) under an index. ``span.entity_id`` links a mention
to its entity; deleting the entity leaves the span, unlinked. Added as a plain
column (no table rebuild), so a dataset of a million spans upgrades in moments.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entity",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label_id", sa.Integer, sa.ForeignKey("label.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("name_key", sa.String, nullable=False),
        sa.Column("external_id", sa.String, nullable=False, server_default=""),
        sa.Column("note", sa.String, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        # Ids are never reused: undo records and a user's notes keep entity ids.
        sqlite_autoincrement=True,
    )
    op.create_index("ix_entity_key", "entity", ["name_key", "label_id"])
    op.create_index("ix_entity_label", "entity", ["label_id", "name_key"])
    op.create_table(
        "entity_alias",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entity_id", sa.Integer, sa.ForeignKey("entity.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("name_key", sa.String, nullable=False),
        sa.UniqueConstraint("entity_id", "name_key", name="uq_entity_alias_key"),
    )
    op.create_index("ix_entity_alias_key", "entity_alias", ["name_key"])
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with a reference in place; Alembic would rebuild the table.
        op.execute("ALTER TABLE span ADD COLUMN entity_id INTEGER REFERENCES entity (id) ON DELETE SET NULL")
    else:
        op.add_column("span", sa.Column("entity_id", sa.Integer,
                                        sa.ForeignKey("entity.id", name="fk_span_entity", ondelete="SET NULL"),
                                        nullable=True))
    # With the article: an entity's article count is read from the index alone.
    op.create_index("ix_span_entity", "span", ["entity_id", "article_id"])


def downgrade() -> None:
    op.drop_index("ix_span_entity", "span")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE span DROP COLUMN entity_id")
    else:
        op.drop_column("span", "entity_id")
    op.drop_table("entity_alias")
    op.drop_table("entity")
