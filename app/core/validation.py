"""Validation at the core's boundary: what may enter the store.

SQLModel table classes accept anything; these models refuse what would break
the dataset's guarantees (offsets into the text, known statuses, ...), with
messages a user can act on.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.core.errors import InvalidInput
from app.models import ARTICLE_STATUSES, SOURCE_KINDS, SPAN_ORIGINS

MAX_TEXT_CHARS = 5_000_000
# Keys an article's metadata never holds: the native export writes its columns under these names in "meta".
RESERVED_META_KEYS = frozenset({"id", "uid", "url", "title", "text", "author", "date", "published", "site_name",
                                "language", "source_kind", "source", "status", "spans"})


class NewSpan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: int = Field(ge=0)
    end: int
    label: str = Field(min_length=1, max_length=64)
    text: str | None = None
    annotator: str = ""
    origin: str = "manual"
    attributes: dict[str, Any] = Field(default_factory=dict)
    # The entity the span mentions and a claim's claimant, as ids of the dataset it is stored in
    # (an import turns the ids of its entities file into those: ``ingest.entity_links``).
    entity_id: int | None = None
    claimant_id: int | None = None

    @field_validator("origin")
    @classmethod
    def _origin(cls, v: str) -> str:
        if v not in SPAN_ORIGINS:
            raise ValueError(f"origin must be one of {', '.join(SPAN_ORIGINS)}")
        return v

    @model_validator(mode="after")
    def _range(self) -> NewSpan:
        if self.end <= self.start:
            raise ValueError(f"span {self.start}-{self.end} is empty or reversed")
        return self

    def check_against(self, text: str) -> None:
        """The span must lie inside ``text`` and, when it carries its text, match it."""
        if self.end > len(text):
            raise InvalidInput(
                f"Span {self.start}-{self.end} ({self.label}) ends past the end of the text ({len(text)} characters)."
            )
        if self.text is not None and text[self.start : self.end] != self.text:
            found = text[self.start : self.end]
            raise InvalidInput(
                f"Span {self.start}-{self.end} ({self.label}) says {self.text!r} but the text there is {found!r}."
            )


class NewArticle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    title: str = ""
    uid: str | None = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9_.:-]+$")
    url: str | None = None
    canonical_url: str | None = None
    canonical_page_url: str | None = None  # the page's own address, already checked (text_norm.page_canonical_url)
    author: str | None = None
    published: str | None = None
    site_name: str | None = None
    language: str | None = None
    source_kind: str = "file"
    source: str | None = None
    status: str = "new"
    extractor: str | None = None
    extractor_version: str | None = None
    source_bytes: bytes | None = None
    content_type: str | None = None
    spans: list[NewSpan] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)  # the record's fields without a column of their own

    @field_validator("meta")
    @classmethod
    def _meta(cls, v: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in v.items() if key not in RESERVED_META_KEYS}

    @field_validator("status")
    @classmethod
    def _status(cls, v: str) -> str:
        if v not in ARTICLE_STATUSES:
            raise ValueError(f"status must be one of {', '.join(ARTICLE_STATUSES)}")
        return v

    @field_validator("source_kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in SOURCE_KINDS:
            raise ValueError(f"source kind must be one of {', '.join(SOURCE_KINDS)}")
        return v

    @model_validator(mode="after")
    def _text(self) -> NewArticle:
        if not self.text.strip():
            raise ValueError("the text is empty")
        for span in self.spans:
            span.check_against(self.text)
        return self


def describe_validation_error(exc: ValidationError) -> str:
    """One readable sentence from pydantic's error list."""
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"] if p != "__root__")
        msg = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    more = len(exc.errors()) - 3
    return "; ".join(parts) + (f" (and {more} more problems)" if more > 0 else "")


def validate(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(exc)) from None
