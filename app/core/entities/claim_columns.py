"""The columns the Claims view sorts and filters by, kept current on every write.

A claim's date is its ``date`` attribute or, while that is empty, the day its
article was published (``claims.effective_date``); its verdict is its
``verdict`` attribute; its claimant the name of the entity it is linked to, or
else its ``claimant`` attribute; its site its article's. Read from the JSON
attributes, the article and the entity at query time, no index could serve an
order or a filter by them. So ``span.claim_date``, ``claim_verdict``,
``claim_claimant`` and ``claim_site`` (the last two lower-cased, as they sort)
hold them ("" when there is none) for each span of a claim label, and are NULL
for every other span; a partial index on each (``column IS NOT NULL``) covers
the claims alone (migration 0015).

Whatever writes what they are computed from calls a ``refresh_*`` function here
in the same transaction: a span added, relabelled, given other attributes or
another claimant (``span_edits``), articles imported with their spans
(``storing``), a label turned into a claim label or back (``labels``), an
entity renamed, merged or deleted (``registry``, ``linking``), an article's
publication date changed (``set_published``), a dataset repaired (``repair``).
The values are computed in SQL, by the same rules as the migration that filled
them, so that the claims of an import batch cost one statement; an import
computes the claims it stores in Python instead (``values_of``), where it can
be sure of SQL's answer, and leaves the rest to SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text

from app.core.db.in_lists import execute_in
from app.core.db.store import Store
from app.core.errors import InvalidInput
from app.models import db_timestamp

_CLAIM = "span.label_id IN (SELECT id FROM label WHERE kind = 'claim')"
_ARTICLE = "(SELECT article.{} FROM article WHERE article.id = span.article_id)"
COLUMNS = ("claim_date", "claim_verdict", "claim_claimant", "claim_site")


def _attribute(conn: Any, key: str) -> str:
    if conn.dialect.name == "sqlite":
        return f"CAST(json_extract(span.attributes, '$.{key}') AS TEXT)"
    return f"(CAST(span.attributes AS jsonb) ->> '{key}')"


def _values(conn: Any) -> dict[str, str]:
    """Each column's value for a claim, in SQL (the rules of migration 0015, which filled them)."""
    return {
        # What claims.effective_date says, and claim_rows shows.
        "claim_date": f"coalesce(nullif(trim({_attribute(conn, 'date')}), ''), "
                      f"substr(trim({_ARTICLE.format('published')}), 1, 10), '')",
        "claim_verdict": f"coalesce({_attribute(conn, 'verdict')}, '')",
        # Lower-cased, as the view sorts and searches it: the linked entity's name, else the name typed.
        "claim_claimant": "lower(coalesce((SELECT entity.name FROM entity WHERE entity.id = span.claimant_id), "
                          f"{_attribute(conn, 'claimant')}, ''))",
        "claim_site": f"lower(coalesce({_ARTICLE.format('site_name')}, ''))",
    }


def _update_sql(conn: Any, where: str) -> str:
    """Set the columns of the spans ``where`` selects: their values for a claim, NULL for a span that was one.

    Spans that neither are nor were claims are left unwritten: an import's
    entity mentions outnumber its claims.
    """
    sets = ", ".join(f"{column} = CASE WHEN {_CLAIM} THEN {value} END" for column, value in _values(conn).items())
    return f"UPDATE span SET {sets} WHERE ({where}) AND ({_CLAIM} OR span.claim_date IS NOT NULL)"


def values_of(attributes: dict[str, Any], claimant_id: int | None, published: str | None,
              site_name: str | None) -> tuple[str, str, str, str] | None:
    """A new claim's columns, computed in Python as ``_values`` computes them in SQL; None where Python
    cannot be sure of SQL's answer, and SQL must compute them (``refresh_articles``).

    An import stores its claims with their columns rather than writing every claim row twice. Sure are
    text values, or none: SQL's ``trim`` takes spaces only, its ``lower`` ASCII letters only (unless
    built with ICU), and a claimant entity's name is in the dataset.
    """
    date, verdict, claimant = attributes.get("date"), attributes.get("verdict"), attributes.get("claimant")
    if claimant_id is not None or not all(v is None or (type(v) is str and "\x00" not in v)
                                          for v in (date, verdict, claimant, published, site_name)):
        return None
    if (claimant and not claimant.isascii()) or (site_name and not site_name.isascii()):
        return None
    own_date = date.strip(" ") if date is not None else ""
    return (own_date or (published.strip(" ")[:10] if published is not None else ""), verdict or "",
            (claimant or "").lower(), (site_name or "").lower())


def refresh_spans(conn: Any, span_ids: Sequence[int]) -> None:
    """Compute the columns again for these spans (added, relabelled, or given other attributes)."""
    execute_in(conn, _update_sql(conn, "span.id IN :values"), [int(i) for i in span_ids])


def refresh_articles(conn: Any, article_ids: Sequence[int]) -> None:
    """Compute the columns again for every span of these articles (imported, or given another date)."""
    execute_in(conn, _update_sql(conn, "span.article_id IN :values"), [int(i) for i in article_ids])


def refresh_claimants(conn: Any, entity_ids: Sequence[int]) -> None:
    """Compute the columns again for the claims whose claimant is one of these entities (renamed)."""
    execute_in(conn, _update_sql(conn, "span.claimant_id IN :values"), [int(i) for i in entity_ids])


def refresh_labels(conn: Any, label_ids: Sequence[int]) -> None:
    """Compute the columns again for every span of these labels (a label made a claim label, or no longer)."""
    execute_in(conn, _update_sql(conn, "span.label_id IN :values"), [int(i) for i in label_ids])


def refresh_all(conn: Any) -> None:
    """Compute the columns again for every span (a dataset copied from rows of unknown age)."""
    conn.execute(text(_update_sql(conn, "1 = 1")))


def set_published(store: Store, article_id: int, published: str | None) -> dict[str, str | None]:
    """Give an article another publication date (ISO 8601, or None for none); returns the dates
    ``{"before": ..., "after": ...}``: setting ``before`` again undoes it.

    The date of each of its claims without a date of its own follows.
    """
    value = (published or "").strip() or None
    with store.begin() as conn:
        row = conn.execute(text("SELECT published FROM article WHERE id = :i"), {"i": int(article_id)}).first()
        if row is None:
            raise InvalidInput(f"Article {article_id} no longer exists.")
        conn.execute(text("UPDATE article SET published = :p, updated_at = :now WHERE id = :i"),
                     {"p": value, "now": db_timestamp(), "i": int(article_id)})
        refresh_articles(conn, [article_id])
    return {"before": row[0], "after": value}
