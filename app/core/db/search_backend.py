"""Full-text search behind one small interface, one implementation per SQL dialect.

SQLite uses an external-content FTS5 table kept current by set-based inserts
after each batch of articles (a per-row trigger would double the cost of bulk
imports). PostgreSQL uses a generated ``tsvector`` column with a GIN index.
Everything dialect-specific about search lives in this module, except the
index structures themselves: the migrations create them (0002, 0003, 0007).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # writing to the index needs SQLAlchemy; searching does not (app/core/db/reader.py)
    from sqlalchemy import Connection

    from app.core.db.reader import Reader

MAX_QUERY_TERMS = 16


def is_symbol(ch: str) -> bool:
    """Emoji and other non-ASCII symbols (🎉, ©, €, →): searchable, each one a term of its own.

    ASCII symbols (+, $, <, ...) stay separators, as in the word index, so "C++"
    still means the word "c".
    """
    return not ch.isascii() and unicodedata.category(ch)[0] == "S"


# Characters that may be symbols: neither ASCII nor Latin letters (× and ÷ are symbols).
# Skipping the accented letters of European names in C halves the cost of indexing such texts.
_MAYBE_SYMBOL = re.compile(r"[^\x00-\x7f\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")


def symbols_of(*texts: str | None) -> str:
    """The distinct symbols of ``texts``, space-separated: what the symbol index holds for an article."""
    found: set[str] = set()
    for value in texts:
        if value and not value.isascii():  # O(1) in CPython: English articles stop here
            found.update(ch for ch in set(_MAYBE_SYMBOL.findall(value)) if is_symbol(ch))
    return " ".join(sorted(found))


def _words(query: str) -> Iterator[str]:
    """Words as a user means them: letters, digits and combining marks of any script; and symbols.

    Everything else (quotes, operators, parentheses) is a separator, so no input
    can form FTS syntax and every input is a valid query. Combining marks belong
    to their word: they carry the accents of decomposed (NFD) text and the vowel
    signs of scripts such as Devanagari, which ``\\w`` would split apart. A symbol
    is a term by itself, wherever it stands ("party🎉" is "party" and "🎉"); the
    marks after it (the emoji variation selector, a keycap) only dress it.
    """
    word: list[str] = []
    after_symbol = False
    for ch in query:
        mark = unicodedata.category(ch)[0] == "M"
        if is_symbol(ch):
            if word:
                yield "".join(word)
                word = []
            yield ch
            after_symbol = True
            continue
        if mark and after_symbol:
            continue
        after_symbol = False
        if ch.isalnum() or ch == "_" or mark:
            word.append(ch)
        elif word:
            yield "".join(word)
            word = []
    if word:
        yield "".join(word)


def query_terms(query: str) -> list[str]:
    """The searchable words and symbols of what a user typed, in order, without duplicates."""
    seen: dict[str, None] = {}
    # Composed form first, so "é" typed as e + U+0301 is the same word as "é".
    for word in _words(unicodedata.normalize("NFC", query)):
        word = word.replace("_", " ").strip()
        if word:
            seen.setdefault(word.lower(), None)
    return list(seen)[:MAX_QUERY_TERMS]


def _split_terms(query: str) -> tuple[list[str], list[str]]:
    """(words, symbols) of a query: words go to the word index, symbols to the symbol index."""
    terms = query_terms(query)
    return [t for t in terms if not is_symbol(t[0])], [t for t in terms if is_symbol(t[0])]


class SearchBackend(Protocol):
    def rebuild(self, conn: Connection) -> None:
        """Re-index every article from scratch."""

    def index_range(self, conn: Connection, first_id: int, last_id: int) -> None:
        """Index the articles with ids in [first_id, last_id], just inserted."""

    def unindex(self, conn: Connection, article_ids: list[int]) -> None:
        """Drop articles from the index; call before deleting or retitling them."""

    def search_ids(self, reader: Reader, query: str, limit: int) -> list[int]:
        """Ids of the best ``limit`` matches, best first."""

    def match_clause(self, query: str) -> tuple[str, dict[str, object]] | None:
        """SQL condition on ``article.id`` restricting to matches, for filtered paging."""


# A word in the title says more about an article than the same word in its text.
TITLE_WEIGHT = 5.0
# How many matches (newest first) ranked search scores; see search_ids.
RANK_CANDIDATES = 2000


class SqliteFts5Backend:
    """Words in ``article_fts`` (unicode61); symbols in ``article_symbols``.

    unicode61 can only make a character part of a word or a separator, so an emoji
    either vanishes or glues to its neighbour ("party🎉" one token, not found by
    "party"). Symbols therefore have an index of their own: per article, its
    distinct symbols, space-separated, under the ascii tokenizer (every non-ASCII
    character is a token character, so each symbol is one token). It is tiny, and
    most articles have no row at all. (Migration 0003 sets the word index's
    ``hashsize`` for fast bulk imports.)
    """

    table = "article_fts"
    symbols = "article_symbols"

    def rebuild(self, conn: Connection) -> None:
        conn.exec_driver_sql(f"INSERT INTO {self.table}({self.table}) VALUES('rebuild')")
        conn.exec_driver_sql(f"DELETE FROM {self.symbols}")
        self._index_symbols(conn, "SELECT id, title, text FROM article", {})

    def index_range(self, conn: Connection, first_id: int, last_id: int) -> None:
        from sqlalchemy import text

        conn.execute(
            text(
                f"INSERT INTO {self.table}(rowid, title, text) "
                "SELECT id, title, text FROM article WHERE id BETWEEN :a AND :b"
            ),
            {"a": first_id, "b": last_id},
        )
        self._index_symbols(conn, "SELECT id, title, text FROM article WHERE id BETWEEN :a AND :b",
                            {"a": first_id, "b": last_id})

    def _index_symbols(self, conn: Connection, select: str, params: dict[str, object]) -> None:
        from sqlalchemy import text

        rows = []
        for art_id, title, body in conn.execute(text(select), params):
            title_symbols, text_symbols = symbols_of(title), symbols_of(body)
            if title_symbols or text_symbols:
                rows.append({"id": art_id, "title": title_symbols, "text": text_symbols})
        if rows:
            conn.execute(text(f"INSERT INTO {self.symbols}(rowid, title, text) VALUES (:id, :title, :text)"), rows)

    def unindex(self, conn: Connection, article_ids: list[int]) -> None:
        from app.core.db.in_lists import execute_in

        # External-content FTS5 needs the old values to remove a row.
        ids = [int(i) for i in article_ids]
        execute_in(conn, f"INSERT INTO {self.table}({self.table}, rowid, title, text) "
                   "SELECT 'delete', id, title, text FROM article WHERE id IN :values", ids)
        execute_in(conn, f"DELETE FROM {self.symbols} WHERE rowid IN :values", ids)

    def _fts_query(self, terms: list[str], *, prefix: bool = True) -> str | None:
        if not terms:
            return None
        # Each word becomes a quoted FTS5 string (internal quotes doubled); the
        # last one is a prefix so results appear while the user is still typing.
        quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
        if prefix:
            quoted[-1] += "*"
        return " ".join(quoted)

    def _symbols_clause(self, symbols: list[str]) -> tuple[str, dict[str, object]]:
        # Symbols are whole tokens: no prefix. Quoting makes each a plain string.
        fts = " ".join('"' + s + '"' for s in symbols)
        return f"rowid IN (SELECT rowid FROM {self.symbols} WHERE {self.symbols} MATCH :sym_q)", {"sym_q": fts}

    def search_ids(self, reader: Reader, query: str, limit: int) -> list[int]:
        words, symbols = _split_terms(query)
        where = self._symbols_clause(symbols) if symbols else None
        exact = self._fts_query(words, prefix=False)
        if exact is None:
            if where is None:
                return []
            # Only symbols: the symbol index ranks, a symbol in the title first.
            rows = reader.rows(
                f"SELECT rowid FROM {self.symbols} WHERE {self.symbols} MATCH :sym_q "
                f"ORDER BY bm25({self.symbols}, {TITLE_WEIGHT}, 1.0), rowid DESC LIMIT :n",
                {**where[1], "n": limit},
            )
            return [r[0] for r in rows]
        # Whole-word matches of the last word rank first. Only when they do not
        # fill the page is the last word also taken as a prefix: expanding a short
        # prefix ("the*": the, their, them, then, ...) merges the lists of every
        # such word, 20-30 ms on 100k articles before anything is ranked.
        ids = self._ranked(reader, exact, limit, where)
        if len(ids) < limit:
            seen = set(ids)
            more = self._ranked(reader, self._fts_query(words) or exact, limit + len(ids), where)
            ids += [i for i in more if i not in seen][: limit - len(ids)]
        return ids

    def _ranked(self, reader: Reader, fts: str, limit: int,
                where: tuple[str, dict[str, object]] | None = None) -> list[int]:
        # bm25 is computed for every row that reaches the sort: for a word in most of
        # 100k articles that is ~0.5 s. Matches come cheaply in rowid order, so only
        # the newest RANK_CANDIDATES are ranked: exact for any query matching fewer
        # articles, and the newest articles for a word that is everywhere.
        rows = reader.rows(
            f"SELECT rowid FROM (SELECT rowid, bm25({self.table}, {TITLE_WEIGHT}, 1.0) AS score "
            f"FROM {self.table} WHERE {self.table} MATCH :q {'AND ' + where[0] if where else ''} "
            "ORDER BY rowid DESC LIMIT :cap) ORDER BY score, rowid DESC LIMIT :n",
            {"q": fts, "n": limit, "cap": RANK_CANDIDATES, **(where[1] if where else {})},
        )
        return [r[0] for r in rows]

    def match_clause(self, query: str) -> tuple[str, dict[str, object]] | None:
        words, symbols = _split_terms(query)
        clauses: list[str] = []
        params: dict[str, object] = {}
        fts = self._fts_query(words)
        if fts is not None:
            clauses.append(f"article.id IN (SELECT rowid FROM {self.table} WHERE {self.table} MATCH :fts_q)")
            params["fts_q"] = fts
        if symbols:
            clause, sym_params = self._symbols_clause(symbols)
            clauses.append("article." + clause.replace("rowid IN", "id IN", 1))
            params.update(sym_params)
        return (" AND ".join(clauses), params) if clauses else None


class PostgresTsvectorBackend:
    """``tsvector`` generated column + GIN index; maintained by PostgreSQL itself.

    Symbols are looked up in the text itself; see ``_symbols_clause``.
    """

    def rebuild(self, conn: Connection) -> None:
        conn.exec_driver_sql("REINDEX INDEX ix_article_search")

    def index_range(self, conn: Connection, first_id: int, last_id: int) -> None:
        return None  # the generated column is computed on insert

    def unindex(self, conn: Connection, article_ids: list[int]) -> None:
        return None

    def _tsquery(self, terms: list[str]) -> str | None:
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

    @staticmethod
    def _symbols_clause(symbols: list[str]) -> tuple[str, dict[str, object]]:
        # The 'simple' parser drops symbols, so they are looked for in the text itself:
        # a scan, but only of the articles the words left (or all, for symbols alone).
        params: dict[str, object] = {f"sym_{i}": s for i, s in enumerate(symbols)}
        return " AND ".join(f"(strpos(coalesce(article.title, ''), :{k}) > 0 OR strpos(article.text, :{k}) > 0)"
                            for k in params), params

    def search_ids(self, reader: Reader, query: str, limit: int) -> list[int]:
        clause = self.match_clause(query)
        if clause is None:
            return []
        words, _symbols = _split_terms(query)
        tsq = self._tsquery(words)
        rank = "ts_rank(search_vector, to_tsquery('simple', :fts_q)) DESC, " if tsq else ""
        rows = reader.rows(f"SELECT id FROM article WHERE {clause[0]} ORDER BY {rank}id LIMIT :n",
                           {**clause[1], "n": limit})
        return [r[0] for r in rows]

    def match_clause(self, query: str) -> tuple[str, dict[str, object]] | None:
        words, symbols = _split_terms(query)
        clauses: list[str] = []
        params: dict[str, object] = {}
        tsq = self._tsquery(words)
        if tsq is not None:
            clauses.append("article.search_vector @@ to_tsquery('simple', :fts_q)")
            params["fts_q"] = tsq
        if symbols:
            clause, sym_params = self._symbols_clause(symbols)
            clauses.append(clause)
            params.update(sym_params)
        return (" AND ".join(clauses), params) if clauses else None


def backend_for(dialect_name: str) -> SearchBackend:
    if dialect_name == "sqlite":
        return SqliteFts5Backend()
    if dialect_name == "postgresql":
        return PostgresTsvectorBackend()
    raise ValueError(f"Full-text search is not available for the {dialect_name} database type.")
