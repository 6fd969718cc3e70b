"""Emoji and other symbols are searchable in titles and texts (article-curator search '🎉')."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from app.core.db import migrations
from app.core.db.store import Store, create_store_engine, open_store
from app.core.ops import library, span_edits
from app.core.ops.library import ArticleFilter
from app.core.paths import resolve_dataset
from tests.unit.test_cli import run_cli

STORIES = {
    "party": ("Launch party 🎉 for the riverside library",
              "Harbor City Council celebrated the vote on Tuesday night with residents of the riverside district."),
    "glued": ("Congrats🎉 Solvane Robotics names Priya Raman chief executive",
              "Solvane Robotics appointed Priya Raman as chief executive, the company announced on Monday."),
    "heart": ("Reef divers record fastest coral recovery",
              "Volunteers wrote “We ❤️ the reef” on their boats. "
              "Photos © Calder Institute; 👍🏽 from the ministry."),
    "plain": ("Mill Street branch gets new opening hours",
              "The party of volunteers at the Mill Street branch will open the library on Sundays from May."),
}


def _import_folder(tmp_path: Path, home: Path) -> Path:
    folder = tmp_path / "stories"
    folder.mkdir()
    for name, (title, body) in STORIES.items():
        (folder / f"{name}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    db = tmp_path / "symbols.sqlite"
    result = run_cli("import", str(folder), "--db", str(db), "--workers", "1", home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    return db


def _found_titles(db: Path, query: str, home: Path) -> list[str]:
    result = run_cli("search", query, "--db", str(db), home=home)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    titles = [title for title, _ in STORIES.values()]
    return [t for line in result.stdout.splitlines() for t in titles if t in line]


@pytest.mark.slow
def test_cli_search_finds_an_emoji_in_a_title_and_symbols_in_a_text(tmp_path: Path, isolated_home: Path) -> None:
    db = _import_folder(tmp_path, isolated_home)
    party, glued, heart, plain = (title for title, _ in STORIES.values())
    # The emoji alone, standing free or glued to a word.
    assert sorted(_found_titles(db, "🎉", isolated_home)) == sorted([party, glued])
    # Emoji and symbols in the text; the emoji variation selector and skin tone do not matter.
    assert _found_titles(db, "❤️", isolated_home) == [heart]
    assert _found_titles(db, "❤", isolated_home) == [heart]
    assert _found_titles(db, "©", isolated_home) == [heart]
    assert _found_titles(db, "👍🏽", isolated_home) == [heart]
    # With words: both must match.
    assert _found_titles(db, "library 🎉", isolated_home) == [party]
    assert _found_titles(db, "party 🎉", isolated_home) == [party]
    # The word next to a glued emoji is still a word of its own.
    assert _found_titles(db, "congrats", isolated_home) == [glued]
    assert sorted(_found_titles(db, "party", isolated_home)) == sorted([party, plain])
    no_match = run_cli("search", "🦙", "--db", str(db), home=isolated_home)
    assert no_match.stdout.strip() == "No articles match '🦙'."


def test_symbol_filter_counts_pages_and_follows_deletes(store: Store) -> None:
    from app.core.ingest.storing import store_articles
    from app.core.validation import NewArticle

    outcomes = store_articles(store, [NewArticle(title=title, text=body, source_kind="paste")
                                      for title, body in STORIES.values()])
    ids = dict(zip(STORIES, (o.article_id for o in outcomes), strict=True))
    flt = ArticleFilter(query="🎉")
    assert library.count_articles(store, flt) == 2
    assert {r.id for r in library.list_articles(store, flt, limit=100)} == {ids["party"], ids["glued"]}
    assert library.count_articles(store, ArticleFilter(query="riverside 🎉")) == 1
    span_edits.delete_articles(store, [ids["party"]])
    assert [r.id for r in library.search(store, "🎉")] == [ids["glued"]]
    assert library.count_articles(store, flt) == 1


def test_articles_stored_before_the_upgrade_become_searchable_by_symbol(db_path: Path) -> None:
    engine = create_store_engine(resolve_dataset(db_path))
    migrations.upgrade(engine, "0004")
    with engine.begin() as conn:
        for art_id, (title, body) in enumerate(STORIES.values(), start=1):
            conn.execute(
                text("INSERT INTO article (id, uid, title, text, text_hash, source_kind, status, created_at, "
                     "updated_at) VALUES (:id, :uid, :title, :text, :hash, 'file', 'new', :ts, :ts)"),
                {"id": art_id, "uid": f"old-{art_id}", "title": title, "text": body, "hash": f"{art_id:064x}",
                 "ts": "2025-05-01 09:30:00.000000"},
            )
        conn.exec_driver_sql("INSERT INTO article_fts(article_fts) VALUES('rebuild')")
    engine.dispose()
    with open_store(db_path) as store:
        assert sorted(r.title for r in library.search(store, "🎉")) == sorted(
            [STORIES["party"][0], STORIES["glued"][0]])
        assert [r.title for r in library.search(store, "riverside")] == [STORIES["party"][0]]
