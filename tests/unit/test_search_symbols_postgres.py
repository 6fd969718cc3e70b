"""Emoji and symbols are found on a PostgreSQL dataset too, as on SQLite (skipped without PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_search_symbols import STORIES


def test_symbols_are_found_the_same_on_postgresql_and_sqlite(pg_url: str, tmp_path: Path) -> None:
    from app.core.db.store import open_store
    from app.core.ingest.storing import store_articles
    from app.core.ops import library
    from app.core.validation import NewArticle

    found = {}
    for name, location in (("pg", pg_url), ("sqlite", str(tmp_path / "same.sqlite"))):
        store = open_store(location)
        try:
            store_articles(store, [NewArticle(title=title, text=body, source_kind="paste")
                                   for title, body in STORIES.values()])
            found[name] = {q: sorted(r.title for r in library.search(store, q))
                           for q in ("🎉", "❤️", "©", "library 🎉", "congrats", "🦙")}
            found[name]["count 🎉"] = library.count_articles(store, library.ArticleFilter(query="🎉"))
        finally:
            store.close()
    assert found["pg"] == found["sqlite"]
    assert found["pg"]["🎉"] == sorted([STORIES["party"][0], STORIES["glued"][0]])
    assert found["pg"]["count 🎉"] == 2 and found["pg"]["🦙"] == []
