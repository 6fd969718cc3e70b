"""SQLModel tables of a dataset. Plain data: no Qt, no I/O beyond what SQLModel does.

The values (statuses, kinds, timestamps) come from ``values`` at once; a table
class imports SQLModel and the ORM the first time it is asked for (PEP 562), so
code that needs only the values, as the command line's reading commands, never
pays for them. ``import app.models.tables`` registers every table in
``SQLModel.metadata``.
"""

from typing import TYPE_CHECKING, Any

from app.models.values import (
    ARTICLE_STATUSES,
    IMPORT_OUTCOMES,
    LABEL_KINDS,
    SOURCE_KINDS,
    SPAN_ORIGINS,
    STATUS_TEXT,
    db_timestamp,
    utcnow,
)

if TYPE_CHECKING:
    from app.models.tables import (
        Article,
        ArticleSignature,
        ArticleSource,
        ArticleSpanJson,
        ArticleStatus,
        Assignment,
        Entity,
        EntityAlias,
        ImportLog,
        Label,
        ReviewRejection,
        Span,
        StoredSuggestion,
        SuggestionRejection,
    )

_TABLES = frozenset({
    "Article", "ArticleSignature", "ArticleSource", "ArticleSpanJson", "ArticleStatus", "Assignment", "Entity",
    "EntityAlias", "ImportLog", "Label", "ReviewRejection", "Span", "StoredSuggestion", "SuggestionRejection",
})


def __getattr__(name: str) -> Any:
    if name in _TABLES:
        from app.models import tables

        return getattr(tables, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ARTICLE_STATUSES",
    "IMPORT_OUTCOMES",
    "LABEL_KINDS",
    "SOURCE_KINDS",
    "SPAN_ORIGINS",
    "STATUS_TEXT",
    "Article",
    "ArticleSignature",
    "ArticleStatus",
    "Assignment",
    "ArticleSource",
    "ArticleSpanJson",
    "Entity",
    "EntityAlias",
    "ImportLog",
    "Label",
    "ReviewRejection",
    "Span",
    "StoredSuggestion",
    "SuggestionRejection",
    "db_timestamp",
    "utcnow",
]
