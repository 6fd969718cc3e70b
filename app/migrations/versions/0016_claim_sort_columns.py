"""A claim's date, verdict, claimant and site as columns, indexed: the Claims view sorts and filters by them.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

A claim's date is its ``date`` attribute or, while that is empty, its article's
publication date; its verdict is its ``verdict`` attribute; its claimant the
name of its linked entity or else its ``claimant`` attribute; its site its
article's. Computed when the Claims view asked (JSON read for every claim, the
article and entity joined), sorting 200,000 claims by date took several times
the library's own date order. Now ``span.claim_date``, ``claim_verdict``,
``claim_claimant`` and ``claim_site`` (the last two lower-cased, as they sort)
hold them ("" when there is none) for every span of a claim label and are NULL
for every other span; the core keeps them current whenever a claim, its label,
its claimant entity or its article changes (app/core/entities/claim_columns.py).
The indexes cover only claims (``column IS NOT NULL``), so they stay small
beside the entity mentions.

Filled here for the claims already stored, with the same rules as the core.
On SQLite the trigger that drops an article's ready-made export list when one
of its spans changes (0004) now watches only the columns that list is made of:
the export writes none of the new columns, and filling them would otherwise drop every
list of a dataset with claims, to be built again for minutes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

SPAN_JSON_TRIGGER = "span_json_span_update"
SPAN_JSON_DROP = "BEGIN DELETE FROM article_span_json WHERE article_id IN (OLD.article_id, NEW.article_id); END"
# Every column of a span but those added here: what the export's list of an article is made of.
SPAN_COLUMNS = ('article_id, start, "end", label_id, text, annotator, origin, attributes, created_at, updated_at, '
                "entity_id, claimant_id")


# Each index covers the claims alone (its column is NULL on any other span), and the queries of its order
# or filter, which pick claims by saying "column IS NOT NULL": SQLite reads a partial index alone only when the
# query names no column beyond the index's own. An order by claimant, verdict or site goes on by date. Each
# holds the label too, and the default order's the verdict, so that a filter by them reads no table row.
INDEXES = (
    ("ix_span_claim_date", ("claim_date", "id", "label_id"), "claim_date"),
    ("ix_span_claim_verdict", ("claim_verdict", "claim_date", "id", "label_id"), "claim_verdict"),
    ("ix_span_claim_claimant", ("claim_claimant", "claim_date", "id", "label_id"), "claim_claimant"),
    ("ix_span_claim_site", ("claim_site", "claim_date", "id", "label_id"), "claim_site"),
    # The claims in article order (the view's default), with what its filters read: no table row is read.
    ("ix_span_claim_article", ("article_id", "start", "end", "label_id", "annotator", "claim_date", "claim_verdict"),
     "claim_date"),
)


def _span_json_trigger(columns: str | None) -> None:
    op.execute(f"DROP TRIGGER IF EXISTS {SPAN_JSON_TRIGGER}")
    event = f"AFTER UPDATE OF {columns} ON span" if columns else "AFTER UPDATE ON span"
    op.execute(f"CREATE TRIGGER {SPAN_JSON_TRIGGER} {event} {SPAN_JSON_DROP}")


def _attribute(dialect: str, key: str) -> str:
    if dialect == "sqlite":
        return f"CAST(json_extract(span.attributes, '$.{key}') AS TEXT)"
    return f"(CAST(span.attributes AS jsonb) ->> '{key}')"


def _values(dialect: str) -> dict[str, str]:
    """Each column's value for a claim, as app/core/entities/claim_columns.py computes it."""
    article = "(SELECT article.{} FROM article WHERE article.id = span.article_id)"
    return {
        "claim_date": f"coalesce(nullif(trim({_attribute(dialect, 'date')}), ''), "
                      f"substr(trim({article.format('published')}), 1, 10), '')",
        "claim_verdict": f"coalesce({_attribute(dialect, 'verdict')}, '')",
        "claim_claimant": "lower(coalesce((SELECT entity.name FROM entity WHERE entity.id = span.claimant_id), "
                          f"{_attribute(dialect, 'claimant')}, ''))",
        "claim_site": f"lower(coalesce({article.format('site_name')}, ''))",
    }


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    values = _values(dialect)
    for column in values:
        if dialect == "sqlite":
            # SQLite adds a column in place; Alembic would rebuild the table.
            op.execute(f"ALTER TABLE span ADD COLUMN {column} TEXT")
        else:
            op.add_column("span", sa.Column(column, sa.Text, nullable=True))
    if dialect == "sqlite":
        _span_json_trigger(SPAN_COLUMNS)
    sets = ", ".join(f"{column} = {value}" for column, value in values.items())
    op.execute(f"UPDATE span SET {sets} WHERE span.label_id IN (SELECT id FROM label WHERE kind = 'claim')")
    for name, columns, where in INDEXES:
        clause = sa.text(f"{where} IS NOT NULL")
        op.create_index(name, "span", list(columns), sqlite_where=clause, postgresql_where=clause)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _span_json_trigger(None)
    for name, _columns, _where in reversed(INDEXES):
        op.drop_index(name, "span")
    for column in reversed(_values(dialect)):
        if dialect == "sqlite":
            op.execute(f"ALTER TABLE span DROP COLUMN {column}")
        else:
            op.drop_column("span", column)
