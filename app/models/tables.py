"""The tables of one dataset.

SQLModel ``table=True`` classes do not validate their input, so every write goes
through the core (``app.core``), which validates first. The schema itself is
owned by the Alembic migrations in ``app/migrations``; these classes must match
them (a test compares the two).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary, Table, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlmodel import Field, SQLModel

from app.models.values import (  # noqa: F401 - also read from here
    ARTICLE_STATUSES,
    IMPORT_OUTCOMES,
    LABEL_KINDS,
    SOURCE_KINDS,
    SPAN_ORIGINS,
    STATUS_TEXT,
    db_timestamp,
    utcnow,
)


class _Table(SQLModel):
    """The base of the table classes: SQLModel sets ``__table__`` without declaring it to type checkers."""

    __table__: ClassVar[Table]


class Article(_Table, table=True):
    __tablename__ = "article"
    __table_args__ = (
        Index("ix_article_status_id", "status", "id"),
        Index("ix_article_updated_at", "updated_at", "id"),
        Index("ix_article_title", "title", "id"),
        Index("ix_article_status_updated", "status", "updated_at", "id"),
        Index("ix_article_status_title", "status", "title", "id"),
        Index("ix_article_site", "site_name"),  # the overview's articles per site (migration 0014)
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True, max_length=40, description="Stable public id used in exports.")
    url: str | None = None
    canonical_url: str | None = Field(default=None, unique=True)
    title: str = ""
    author: str | None = None
    published: str | None = Field(default=None, description="Publication date, ISO 8601.")
    site_name: str | None = None
    language: str | None = None
    # Spans point into this text by character offset: it is never re-extracted silently.
    text: str
    text_hash: str = Field(unique=True, max_length=64)
    extractor: str | None = None
    extractor_version: str | None = None
    source_kind: str = Field(max_length=16)
    source: str | None = None
    status: str = Field(default="new", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # The address the page declares as its own, when believed (app/core/text_norm.page_canonical_url).
    # Last, as migration 0005 added it.
    canonical_page_url: str | None = Field(default=None, index=True)
    # Fields of the imported record the table has no column for, as a JSON object (migration 0013).
    meta: str = Field(default="{}", sa_column_kwargs={"server_default": "{}"})


class ArticleSource(_Table, table=True):
    """Downloaded source bytes, compressed, so the text can be re-extracted on purpose.

    Kept out of ``article`` so that listing, searching and exporting never page
    through megabytes of HTML.
    """

    __tablename__ = "article_source"

    article_id: int = Field(primary_key=True, foreign_key="article.id", ondelete="CASCADE")
    compression: str = Field(default="zlib", max_length=16)
    content_type: str | None = None
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Label(_Table, table=True):
    __tablename__ = "label"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=64)
    kind: str = Field(default="entity", max_length=16)
    color: str = Field(default="#888888", max_length=16)
    shortcut: str | None = Field(default=None, unique=True, max_length=32)
    description: str = ""
    position: int = 0


class Span(_Table, table=True):
    __tablename__ = "span"
    __table_args__ = (
        UniqueConstraint("article_id", "start", "end", "label_id", "annotator", name="uq_span_identity"),
        CheckConstraint('start >= 0 AND start < "end"', name="ck_span_range"),
        Index("ix_span_article", "article_id", "start"),
        Index("ix_span_label", "label_id"),
        # Accepted suggestions only (migration 0009): what the acceptance rates count.
        Index("ix_span_suggested", "label_id", sqlite_where=sql_text("origin = 'suggested'"),
              postgresql_where=sql_text("origin = 'suggested'")),
        Index("ix_span_entity", "entity_id", "article_id"),
        Index("ix_span_claimant", "claimant_id", "article_id"),
        Index("ix_span_annotator", "annotator", "article_id"),  # one annotator's layer (migrations 0014, 0015)
        # The Claims view's orders and filters, over claims only (migration 0015).
        *(Index(name, *columns, sqlite_where=sql_text(f"{where} IS NOT NULL"),
                postgresql_where=sql_text(f"{where} IS NOT NULL"))
          for name, columns, where in (
              ("ix_span_claim_date", ("claim_date", "id", "label_id"), "claim_date"),
              ("ix_span_claim_verdict", ("claim_verdict", "claim_date", "id", "label_id"), "claim_verdict"),
              ("ix_span_claim_claimant", ("claim_claimant", "claim_date", "id", "label_id"), "claim_claimant"),
              ("ix_span_claim_site", ("claim_site", "claim_date", "id", "label_id"), "claim_site"),
              ("ix_span_claim_article", ("article_id", "start", "end", "label_id", "annotator", "claim_date",
                                         "claim_verdict"), "claim_date"))),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE")
    start: int
    end: int
    label_id: int = Field(foreign_key="label.id", ondelete="RESTRICT")
    text: str
    annotator: str = Field(default="", max_length=128)
    origin: str = Field(default="manual", max_length=16)
    # JSON object; for CLAIM spans at least claimant, verdict and note.
    attributes: str = "{}"
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # The entity this span mentions (migration 0010); last, as that migration added it.
    entity_id: int | None = Field(default=None, foreign_key="entity.id", ondelete="SET NULL")
    # Who makes a CLAIM span's claim (migration 0011); the claimant attribute keeps the name shown.
    claimant_id: int | None = Field(default=None, foreign_key="entity.id", ondelete="SET NULL")
    # What the Claims view sorts and filters by, "" when a claim has none; NULL on a span of any other
    # label. Kept by app/core/entities/claim_columns.py (migration 0015). The date is the claim's date
    # attribute, else its article's publication day.
    claim_date: str | None = None
    claim_verdict: str | None = None
    claim_claimant: str | None = None  # lower-cased: the linked entity's name, else the claimant attribute
    claim_site: str | None = None  # lower-cased: the article's site name


class Entity(_Table, table=True):
    """A person or organisation (any entity label) across articles; spans link to it."""

    __tablename__ = "entity"
    __table_args__ = (
        Index("ix_entity_key", "name_key", "label_id"),
        Index("ix_entity_label", "label_id", "name_key"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    label_id: int = Field(foreign_key="label.id", ondelete="CASCADE")
    name: str
    # The name as app/core/entities/matching.normalise gives it: what a span's text is matched on.
    name_key: str
    external_id: str = ""  # a Wikidata QID or an address, as the user typed it
    note: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class EntityAlias(_Table, table=True):
    """Another name of an entity ("Facebook" for Meta), matched like its canonical name."""

    __tablename__ = "entity_alias"
    __table_args__ = (
        UniqueConstraint("entity_id", "name_key", name="uq_entity_alias_key"),
        Index("ix_entity_alias_key", "name_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", ondelete="CASCADE")
    name: str
    name_key: str


class StoredSuggestion(_Table, table=True):
    """A span a suggester proposed for an article: a layer to review, never exported as a label."""

    __tablename__ = "suggestion"
    __table_args__ = (
        UniqueConstraint("article_id", "start", "end", "label_id", name="uq_suggestion_identity"),
        CheckConstraint('start >= 0 AND start < "end"', name="ck_suggestion_range"),
        Index("ix_suggestion_label", "label_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE")
    start: int
    end: int
    label_id: int = Field(foreign_key="label.id", ondelete="CASCADE")
    score: float
    source: str = ""  # "dataset", "starter", "spacy:<pipeline name or folder>", ...
    created_at: datetime = Field(default_factory=utcnow)


class SuggestionRejection(_Table, table=True):
    """A suggestion an annotator turned down: not offered again for that article."""

    __tablename__ = "suggestion_rejection"
    __table_args__ = (
        UniqueConstraint("article_id", "start", "end", "label_id", name="uq_suggestion_rejection_identity"),
        CheckConstraint('start >= 0 AND start < "end"', name="ck_suggestion_rejection_range"),
        Index("ix_suggestion_rejection_label", "label_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE")
    start: int
    end: int
    label_id: int = Field(foreign_key="label.id", ondelete="CASCADE")
    text: str
    annotator: str = Field(default="", max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


class ReviewRejection(_Table, table=True):
    """A span of an annotator's layer a reviewer turned down for the gold layer (migration 0020)."""

    __tablename__ = "review_rejection"
    __table_args__ = (
        UniqueConstraint("article_id", "start", "end", "label_id", name="uq_review_rejection_identity"),
        CheckConstraint('start >= 0 AND start < "end"', name="ck_review_rejection_range"),
        Index("ix_review_rejection_label", "label_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", ondelete="CASCADE")
    start: int
    end: int
    label_id: int = Field(foreign_key="label.id", ondelete="CASCADE")
    reviewer: str = Field(default="", max_length=128, sa_column_kwargs={"server_default": ""})
    created_at: datetime = Field(default_factory=utcnow)


class ArticleSpanJson(_Table, table=True):
    """An article's spans as the native export writes them; a cache (see app/core/db/span_json.py)."""

    __tablename__ = "article_span_json"

    article_id: int = Field(primary_key=True, foreign_key="article.id", ondelete="CASCADE")
    spans: str = Field(sa_column=Column(Text, nullable=False))
    label_counts: str = Field(sa_column=Column(Text, nullable=False))
    format: int  # span_json.FORMAT of the list


class ArticleSignature(_Table, table=True):
    """An article's MinHash signature and its near-copy cluster (see app/core/quality/near_copies.py)."""

    __tablename__ = "article_signature"
    __table_args__ = (Index("ix_article_signature_cluster", "cluster_id"),)

    article_id: int = Field(primary_key=True, foreign_key="article.id", ondelete="CASCADE")
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    cluster_id: int | None = None  # the smallest article id of its cluster; NULL without near copies


class ArticleStatus(_Table, table=True):
    """One annotator's own status of an article (migration 0015); no row: new for that annotator."""

    __tablename__ = "article_status"
    __table_args__ = (Index("ix_article_status_annotator", "annotator", "status", "article_id"),)

    article_id: int = Field(primary_key=True, foreign_key="article.id", ondelete="CASCADE")
    annotator: str = Field(primary_key=True, max_length=128)
    status: str = Field(max_length=16)
    updated_at: datetime = Field(default_factory=utcnow)


class Assignment(_Table, table=True):
    """An article queued for an annotator (migration 0015); several annotators for agreement."""

    __tablename__ = "assignment"
    __table_args__ = (Index("ix_assignment_annotator", "annotator", "article_id"),)

    article_id: int = Field(primary_key=True, foreign_key="article.id", ondelete="CASCADE")
    annotator: str = Field(primary_key=True, max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


class ImportLog(_Table, table=True):
    __tablename__ = "import_log"
    __table_args__ = (Index("ix_import_log_batch", "batch", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    batch: str = Field(max_length=40, description="Groups the items of one import run.")
    source: str
    outcome: str = Field(max_length=16)
    reason: str = ""
    article_id: int | None = Field(default=None, foreign_key="article.id", ondelete="SET NULL")
    title: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
