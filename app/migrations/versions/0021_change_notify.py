"""Change notices on a database server: every write tells the windows open on the dataset.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03

On PostgreSQL each statement that changes spans, statuses, articles,
assignments, review decisions, labels or entities ends with a NOTIFY on the
channel ``curator_changes`` (app/core/db/live.py listens to it). The payload
names the table, the articles touched (none for labels and entities; none
either when a statement touches more than 500, which means "read everything
again") and the writer's ``application_name``, so a window skips its own
writes. Statement-level triggers with transition tables: an import of 10,000
articles sends one notice per batch, not one per row. Nothing on SQLite, where
every window of a dataset file is on one machine and the app's own change
channel carries its edits.
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

CHANNEL = "curator_changes"
# table -> the column naming the article a row belongs to (None: the table has no article)
TABLES = {"span": "article_id", "article": "id", "article_status": "article_id", "assignment": "article_id",
          "review_rejection": "article_id", "label": None, "entity": None, "entity_alias": None}
MAX_IDS = 500

FUNCTION = f"""
CREATE OR REPLACE FUNCTION curator_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids json;
    whole boolean := false;
BEGIN
    IF TG_NARGS > 0 THEN
        IF TG_OP = 'DELETE' THEN
            EXECUTE format('SELECT json_agg(DISTINCT %I) FROM old_rows', TG_ARGV[0]) INTO ids;
        ELSE
            EXECUTE format('SELECT json_agg(DISTINCT %I) FROM new_rows', TG_ARGV[0]) INTO ids;
        END IF;
        IF ids IS NULL THEN
            RETURN NULL;  -- the statement changed no row
        END IF;
        IF json_array_length(ids) > {MAX_IDS} THEN
            ids := NULL;
            whole := true;
        END IF;
    END IF;
    PERFORM pg_notify('{CHANNEL}', json_build_object(
        't', TG_TABLE_NAME, 'op', TG_OP, 'a', ids, 'all', whole,
        'app', current_setting('application_name', true))::text);
    RETURN NULL;
END
$$
"""


def _triggers(table: str, column: str | None) -> list[str]:
    if column is None:
        return [f"CREATE TRIGGER curator_notify_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION curator_notify()"]
    made = []
    for event, tables in (("INSERT", "NEW TABLE AS new_rows"), ("UPDATE", "NEW TABLE AS new_rows"),
                          ("DELETE", "OLD TABLE AS old_rows")):
        made.append(f"CREATE TRIGGER curator_notify_{table}_{event.lower()} AFTER {event} ON {table} "
                    f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION curator_notify('{column}')")
    return made


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    for table, column in TABLES.items():
        for statement in _triggers(table, column):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in TABLES.items():
        events = [""] if column is None else ["_insert", "_update", "_delete"]
        for suffix in events:
            op.execute(f"DROP TRIGGER IF EXISTS curator_notify_{table}{suffix} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS curator_notify()")
