"""Alembic environment: always driven from app.core.db.migrations with an open connection."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=None,
    # SQLite cannot ALTER most things in place; batch mode copies the table.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
