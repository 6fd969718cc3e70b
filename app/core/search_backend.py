"""Full-text search behind one small interface, one implementation per SQL dialect.

SQLite uses an external-content FTS5 table kept current by set-based inserts
after each batch of articles (a per-row trigger would double the cost of bulk
imports). PostgreSQL uses a generated ``tsvector`` column with a GIN index.
Everything dialect-specific about search lives in this module.
"""

from __future__ import annotations

import re
from typing import Protocol

from sqlalchemy import Connection, text

# Words as a user means them: letters and digits of any script. Everything else
# (quotes, operators, parentheses, emoji) is a separator, so no input can form
# FTS syntax and every input is a valid query.
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_TERMS = 16


def query_terms(query: str) -> list[str]:
    """The searchable words of what a user typed, in order, without duplicates."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query):
        word = word.replace("_", " ").strip()
        if word:
            seen.setdefault(word.lower(), None)
    return list(seen)[:MAX_QUERY_TERMS]


class SearchBackend(Protocol):
    def install(self, conn: Connection) -> None:
        """Create the index structures (called by a migration)."""

    def rebuild(self, conn: Connection) -> None:
        """Re-index every article from scratch."""

    def index_range(self, conn: Connection, first_id: int, last_id: int) -> None:
        """Index the articles with ids in [first_id, last_id], just inserted."""

    def unindex(self, conn: Connection, article_ids: list[int]) -> None:
        """Drop articles from the index; call before deleting or retitling them."""

    def search_ids(self, conn: Connection, query: str, limit: int) -> list[int]:
        """Ids of the best ``limit`` matches, best first."""

    def match_clause(self, query: str) -> tuple[str, dict[str, object]] | None:
        """SQL condition on ``article.id`` restricting to matches, for filtered paging."""


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

    def _fts_query(self, query: str) -> str | None:
        terms = query_terms(query)
        if not terms:
            return None
        # Each word becomes a quoted FTS5 string (internal quotes doubled); the
        # last one is a prefix so results appear while the user is still typing.
        quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
        quoted[-1] += "*"
        return " ".join(quoted)

    def search_ids(self, conn: Connection, query: str, limit: int) -> list[int]:
        fts = self._fts_query(query)
        if fts is None:
            return []
        rows = conn.execute(
            text(f"SELECT rowid FROM {self.table} WHERE {self.table} MATCH :q ORDER BY rank LIMIT :n"),
            {"q": fts, "n": limit},
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

    def index_range(self, conn: Connection, first_id: int, last_id: int) -> None:
        return None  # the generated column is computed on insert

    def unindex(self, conn: Connection, article_ids: list[int]) -> None:
        return None

    def _tsquery(self, query: str) -> str | None:
        terms = query_terms(query)
        if not terms:
            return None
        # Terms are bound as parameters; only word characters reach to_tsquery.
        parts = [re.sub(r"\W+", " & ", t).strip(" &") for t in terms]
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
