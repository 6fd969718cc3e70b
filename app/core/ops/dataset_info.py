"""Small facts about a dataset that dialogs offer as choices (Qt-free)."""

from __future__ import annotations

from sqlalchemy import text

from app.core.db.store import Store


def list_annotators(store: Store) -> list[str]:
    """Everyone who made at least one span, sorted by name (spans without a name are left out)."""
    with store.begin() as conn:
        rows = conn.execute(text("SELECT DISTINCT annotator FROM span WHERE annotator <> '' ORDER BY annotator"))
        return [r[0] for r in rows]
