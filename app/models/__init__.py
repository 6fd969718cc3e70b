"""SQLModel tables of a dataset. Plain data: no Qt, no I/O beyond what SQLModel does."""

from app.models.tables import (
    ARTICLE_STATUSES,
    IMPORT_OUTCOMES,
    LABEL_KINDS,
    SOURCE_KINDS,
    SPAN_ORIGINS,
    STATUS_TEXT,
    Article,
    ArticleSource,
    ArticleSpanJson,
    ImportLog,
    Label,
    Span,
    StoredSuggestion,
    SuggestionRejection,
    db_timestamp,
    utcnow,
)

__all__ = [
    "ARTICLE_STATUSES",
    "IMPORT_OUTCOMES",
    "LABEL_KINDS",
    "SOURCE_KINDS",
    "SPAN_ORIGINS",
    "STATUS_TEXT",
    "Article",
    "ArticleSource",
    "ArticleSpanJson",
    "ImportLog",
    "Label",
    "Span",
    "StoredSuggestion",
    "SuggestionRejection",
    "db_timestamp",
    "utcnow",
]
