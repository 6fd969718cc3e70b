"""Full-text search behind one small interface, one implementation per SQL dialect.

SQLite uses an external-content FTS5 table kept current by set-based inserts
after each batch of articles (a per-row trigger would double the cost of bulk
imports). PostgreSQL uses a generated ``tsvector`` column with a GIN index.
Everything dialect-specific about search lives in this module.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Protocol

from sqlalchemy import Connection, text

MAX_QUERY_TERMS = 16


def _words(query: str) -> Iterator[str]:
    """Words as a user means them: letters, digits and combining marks of any script.

    Everything else (quotes, operators, parentheses, emoji) is a separator, so no
    input can form FTS syntax and every input is a valid query. Combining marks
    belong to their word: they carry the accents of decomposed (NFD) text and the
    vowel signs of scripts such as Devanagari, which ``\\w`` would split apart.
    """
    word: list[str] = []
    for ch in query:
        if ch.isalnum() or ch == "_" or unicodedata.category(ch)[0] == "M":
            word.append(ch)
        elif word:
            yield "".join(word)
            word = []
    if word:
        yield "".join(word)


def query_terms(query: str) -> list[str]:
    """The searchable words of what a user typed, in order, without duplicates."""
    seen: dict[str, None] = {}
    # Composed form first, so "é" typed as e + U+0301 is the same word as "é".
    for word in _words(unicodedata.normalize("NFC", query)):
        word = word.replace("_", " ").strip()
        if word:
            seen.setdefault(word.lower(), None)
    return list(seen)[:MAX_QUERY_TERMS]


class SearchBackend(Protocol):
    def install(self, conn: Connection) -> None:
        """Create the index structures (called by a migration)."""

    def rebuild(self, conn: Connection) -> None:
        """Re-index every article from scratch."""

    def tune(self, conn: Connection) -> None:
        """Apply the index's performance settings (called by a migration)."""

    def index_range(self, conn: Connection, first_id: int, last_id: int) -> None:
        """Index the articles with ids in [first_id, last_id], just inserted."""

    def unindex(self, conn: Connection, article_ids: list[int]) -> None:
        """Drop articles from the index; call before deleting or retitling them."""

    def search_ids(self, conn: Connection, query: str, limit: int) -> list[int]:
        """Ids of the best ``limit`` matches, best first."""

    def match_clause(self, query: str) -> tuple[str, dict[str, object]] | None:
        """SQL condition on ``article.id`` restricting to matches, for filtered paging."""


# A word in the title says more about an article than the same word in its text.
TITLE_WEIGHT = 5.0
# How many matches (newest first) ranked search scores; see search_ids.
RANK_CANDIDATES = 2000
# FTS5 keeps this much of a transaction's new index in memory before writing a
# segment (default 1 MiB). A batch of 2,000 articles fits whole, which roughly
# halves the indexing cost of an import (fewer, larger segments to merge).
FTS_HASHSIZE = 32 * 1024 * 1024


class SqliteFts5Backend:
    table = "article_fts"

    def install(self, conn: Connection) -> None:
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.table} USING fts5("
            "title, text, content='article', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')"
        )

    def rebuild(self, conn: Connection) -> None:
        conn.exec_driver_sql(f"INSERT INTO {self.table}({self.table}) VALUES('rebuild')")

    def tune(self, conn: Connection) -> None:
        """Persistent index settings for fast bulk imports (stored in the index's config table)."""
        conn.exec_driver_sql(f"INSERT INTO {self.table}({self.table}, rank) VALUES('hashsize', {FTS_HASHSIZE})")

    def index_range(self, conn: Connection, first_id: int, last_id: int) -> None:
        conn.execute(
            text(
                f"INSERT INTO {self.table}(rowid, title, text) "
                "SELECT id, title, text FROM article WHERE id BETWEEN :a AND :b"
            ),
            {"a": first_id, "b": last_id},
        )

    def unindex(self, conn: Connection, article_ids: list[int]) -> None:
        # External-content FTS5 needs the old values to remove a row.
        for chunk in _chunks(article_ids, 500):
            marks = ",".join(str(int(i)) for i in chunk)
            conn.exec_driver_sql(
                f"INSERT INTO {self.table}({self.table}, rowid, title, text) "
                f"SELECT 'delete', id, title, text FROM article WHERE id IN ({marks})"
            )

    def _fts_query(self, query: str, *, prefix: bool = True) -> str | None:
        terms = query_terms(query)
        if not terms:
            return None
        # Each word becomes a quoted FTS5 string (internal quotes doubled); the
        # last one is a prefix so results appear while the user is still typing.
        quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
        if prefix:
            quoted[-1] += "*"
        return " ".join(quoted)

    def search_ids(self, conn: Connection, query: str, limit: int) -> list[int]:
        exact = self._fts_query(query, prefix=False)
        if exact is None:
            return []
        # Whole-word matches of the last word rank first. Only when they do not
        # fill the page is the last word also taken as a prefix: expanding a short
        # prefix ("the*": the, their, them, then, ...) merges the lists of every
        # such word, 20-30 ms on 100k articles before anything is ranked.
        ids = self._ranked(conn, exact, limit)
        if len(ids) < limit:
            seen = set(ids)
            more = self._ranked(conn, self._fts_query(query) or exact, limit + len(ids))
            ids += [i for i in more if i not in seen][: limit - len(ids)]
        return ids

    def _ranked(self, conn: Connection, fts: str, limit: int) -> list[int]:
        # bm25 is computed for every row that reaches the sort: for a word in most of
        # 100k articles that is ~0.5 s. Matches come cheaply in rowid order, so only
        # the newest RANK_CANDIDATES are ranked: exact for any query matching fewer
        # articles, and the newest articles for a word that is everywhere.
        rows = conn.execute(
            text(
                f"SELECT rowid FROM (SELECT rowid, bm25({self.table}, {TITLE_WEIGHT}, 1.0) AS score "
                f"FROM {self.table} WHERE {self.table} MATCH :q ORDER BY rowid DESC LIMIT :cap) "
                "ORDER BY score, rowid DESC LIMIT :n"
            ),
            {"q": fts, "n": limit, "cap": RANK_CANDIDATES},
        )
        return [r[0] for r in rows]

    def match_clause(self, query: str) -> tuple[str, dict[str, object]] | None:
        fts = self._fts_query(query)
        if fts is None:
            return None
        return (f"article.id IN (SELECT rowid FROM {self.table} WHERE {self.table} MATCH :fts_q)", {"fts_q": fts})


class PostgresTsvectorBackend:
    """``tsvector`` generated column + GIN index; maintained by PostgreSQL itself."""

    def install(self, conn: Connection) -> None:
        conn.exec_driver_sql(
            "ALTER TABLE article ADD COLUMN IF NOT EXISTS search_vector tsvector "
            "GENERATED ALWAYS AS (setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('simple', text), 'B')) STORED"
        )
        conn.exec_driver_sql(
            "CREATE INDEX IF NOT EXISTS ix_article_search ON article USING GIN (search_vector)"
        )

    def rebuild(self, conn: Connection) -> None:
        conn.exec_driver_sql("REINDEX INDEX ix_article_search")

    def tune(self, conn: Connection) -> None:
        return None  # GIN needs no settings here

    def index_range(self, conn: Connection, first_id: int, last_id: int) -> None:
        return None  # the generated column is computed on insert

    def unindex(self, conn: Connection, article_ids: list[int]) -> None:
        return None

    def _tsquery(self, query: str) -> str | None:
        terms = query_terms(query)
        if not terms:
            return None
        # Terms are bound as parameters; only word characters (letters, digits,
        # combining marks) and spaces reach to_tsquery.
        parts = [" & ".join(t.split()) for t in terms]
        parts = [p for p in parts if p]
        if not parts:
            return None
        parts[-1] += ":*"
        return " & ".join(parts)

    def search_ids(self, conn: Connection, query: str, limit: int) -> list[int]:
        tsq = self._tsquery(query)
        if tsq is None:
            return []
        rows = conn.execute(
            text(
                "SELECT id FROM article WHERE search_vector @@ to_tsquery('simple', :q) "
                "ORDER BY ts_rank(search_vector, to_tsquery('simple', :q)) DESC, id LIMIT :n"
            ),
            {"q": tsq, "n": limit},
        )
        return [r[0] for r in rows]

    def match_clause(self, query: str) -> tuple[str, dict[str, object]] | None:
        tsq = self._tsquery(query)
        if tsq is None:
            return None
        return ("article.search_vector @@ to_tsquery('simple', :fts_q)", {"fts_q": tsq})


def backend_for(dialect_name: str) -> SearchBackend:
    if dialect_name == "sqlite":
        return SqliteFts5Backend()
    if dialect_name == "postgresql":
        return PostgresTsvectorBackend()
    raise ValueError(f"Full-text search is not available for the {dialect_name} database type.")


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
