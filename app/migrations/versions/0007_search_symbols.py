"""Emoji and other symbols become searchable: the symbol index beside the word index.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

The word index (``article_fts``) is left as it is; only the new, small
``article_symbols`` index is built, from every article's title and text.
SQLite only: on PostgreSQL the search looks for symbols in the text itself.
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Per article, its distinct symbols, space-separated, under the ascii tokenizer (every
# non-ASCII character is a token character, so each symbol is one token). Articles
# without symbols have no row.
CREATE = "CREATE VIRTUAL TABLE IF NOT EXISTS article_symbols USING fts5(title, text, tokenize='ascii')"

# Which characters are symbols, as this revision indexed them (the search code,
# app/core/db/search_backend.symbols_of, indexes new articles by the same rule): non-ASCII
# characters of a Unicode symbol category (🎉, ©, €, →). The pattern skips ASCII and
# the Latin letters cheaply; × and ÷ are symbols.
_MAYBE_SYMBOL = re.compile(r"[^\x00-\x7f\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")


def _symbols_of(value: str | None) -> str:
    if not value or value.isascii():
        return ""
    found = {ch for ch in set(_MAYBE_SYMBOL.findall(value)) if unicodedata.category(ch)[0] == "S"}
    return " ".join(sorted(found))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    bind.exec_driver_sql(CREATE)
    bind.exec_driver_sql("DELETE FROM article_symbols")
    rows = []
    for art_id, title, body in bind.execute(sa.text("SELECT id, title, text FROM article")):
        title_symbols, text_symbols = _symbols_of(title), _symbols_of(body)
        if title_symbols or text_symbols:
            rows.append({"id": art_id, "title": title_symbols, "text": text_symbols})
    if rows:
        bind.execute(sa.text("INSERT INTO article_symbols(rowid, title, text) VALUES (:id, :title, :text)"), rows)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS article_symbols")
