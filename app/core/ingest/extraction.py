"""Article extraction with trafilatura: page bytes in, one clean text out.

Text convention (trafilatura's, made strict): one block (paragraph, heading, list
item, table row) per line, separated by a single "\\n"; line endings are "\\n";
no trailing whitespace on any line; at most one blank line in a row; no leading
or trailing blank lines. ``extractor_pool`` runs ``extract_document`` in worker
processes that can be killed.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

__all__ = ["ExtractOptions", "ExtractedDoc", "ExtractionError", "extract_document"]

_MB = 1024 * 1024


@dataclass(frozen=True)
class ExtractOptions:
    """All extraction settings in one place, so tuning them is a one-line change."""

    deadline: float = 30.0  # seconds per document, enforced by ExtractorPool
    # extract() grows superlinearly with input size (a 20 MB page took 44 s),
    # so huge pages are refused up front instead of burning a worker.
    max_input_bytes: int = 5 * _MB
    min_text_chars: int = 250  # below this it is not an article
    # Chosen by benchmarks/extraction_quality.py on real saved news pages
    # (tests/data/news): dropping comments removed boilerplate without losing
    # article text; favor_precision cut standfirsts (lead paragraphs) and
    # favor_recall let metadata boxes in.
    favor_precision: bool = False
    include_comments: bool = False
    include_tables: bool = True
    # fast=True skips trafilatura's readability/justext comparison. On the quality
    # set it returned a site's navigation instead of its article (rnz.de), so the
    # full cascade stays on; a short fast result is still retried with it.
    fast: bool = False
    # htmldate's extensive search scans every link and text node for dates; the
    # publication date is almost always in the page's metadata, found without it.
    extensive_date_search: bool = False


@dataclass(frozen=True)
class ExtractedDoc:
    text: str
    title: str | None
    author: str | None
    date: str | None  # ISO date, e.g. "2025-05-27"
    site_name: str | None
    language: str | None  # short code, e.g. "en"
    canonical_url: str | None
    extractor: str  # "trafilatura"
    extractor_version: str


class ExtractionError(Exception):
    """Extraction failed; ``reason`` is a sentence that can be shown to an annotator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- In-process extraction ---

# The <html> tag sits near the top; scanning a bounded prefix keeps this O(1).
def reason_for(exc: BaseException) -> str:
    if isinstance(exc, ExtractionError):
        return exc.reason
    if isinstance(exc, MemoryError):
        return "Extraction ran out of memory on this page."
    if isinstance(exc, RecursionError):
        return "The page is nested too deeply to extract."
    return f"The extractor failed on this page ({type(exc).__name__})."


_LANG_SCAN_BYTES = 16 * 1024
_HTML_LANG_RE = re.compile(rb"<html\b[^>]*?\s(?:xml:)?lang\s*=\s*[\"']?\s*([A-Za-z]{2,3})(?![A-Za-z])", re.IGNORECASE)
_MANY_NEWLINES_RE = re.compile(r"\n{3,}")
_TRAILING_SPACE_RE = re.compile(r"[ \t\f\v\u00a0]+$", re.MULTILINE)


def _format_size(n: int) -> str:
    if n >= _MB:
        return f"{n / _MB:.1f}".removesuffix(".0") + " MB"
    if n >= 1024:
        return f"{n / 1024:.1f}".removesuffix(".0") + " KB"
    return f"{n} bytes"


def _input_size(html: str | bytes) -> int:
    # An ASCII str is as long as its UTF-8 bytes: skip the copy that encoding makes.
    if isinstance(html, bytes) or html.isascii():
        return len(html)
    return len(html.encode("utf-8", "surrogatepass"))


def check_input_size(html: str | bytes, options: ExtractOptions) -> None:
    """Raise ExtractionError if the page is over ``options.max_input_bytes``."""
    size = _input_size(html)
    if size > options.max_input_bytes:
        shown, limit = _format_size(size), _format_size(options.max_input_bytes)
        if shown == limit:  # "5 MB, over the 5 MB limit" would read as a contradiction
            shown, limit = f"{size:,} bytes", f"{options.max_input_bytes:,} bytes"
        raise ExtractionError(f"The page is {shown}, over the {limit} limit for extraction.")


def html_lang(html: str | bytes) -> str | None:
    """Language code from ``<html lang="..">``, looking only at the start of the page."""
    head = html[:_LANG_SCAN_BYTES]
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    m = _HTML_LANG_RE.search(head)
    return m.group(1).decode("ascii").lower() if m else None


def normalize_text(text: str) -> str:
    """Apply the text convention described in the module docstring."""
    text = _TRAILING_SPACE_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _MANY_NEWLINES_RE.sub("\n\n", text).strip("\n")


def _clean(value: str | None) -> str | None:
    return " ".join(value.split()) or None if value else None


def _iso_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return _dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


_ANCHOR_RE = re.compile(r"<a\b[^>]*>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"<[^>]+>")


def mostly_link_text(html: str | bytes, text: str) -> bool:
    """True when most of the extracted text is the text of links: a section front, not an article.

    Without favor_precision trafilatura keeps such lists, and an annotator should
    not have to skip them one by one.
    """
    markup = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    anchors = {" ".join(_TAG_RE.sub(" ", a).split()) for a in _ANCHOR_RE.findall(markup)}
    anchors.discard("")
    if not anchors:
        return False
    linked = sum(len(line) for line in text.split("\n") if " ".join(line.split()) in anchors)
    return linked > 0.6 * len(text.replace("\n", ""))


_NO_TEXT_REASON = "No article text found on the page (it may need JavaScript, or be a list of links)."


def extract_document(html: str | bytes, url: str | None, options: ExtractOptions) -> ExtractedDoc:
    """Extract the main text and metadata of one page in this process (no deadline here).

    Raises ExtractionError with a readable ``reason`` for oversize or empty input,
    pages without an article, or text shorter than ``options.min_text_chars``.
    """
    check_input_size(html, options)
    if not html or html.isspace():
        raise ExtractionError("The page is empty.")

    # Imported here so that importing this module (e.g. by the GUI) stays cheap.
    import trafilatura

    from app.core.ingest.page_metadata import page_metadata, parse_html
    from app.core.ingest.text_cleanup import clean_text

    date_params = {"extensive_search": options.extensive_date_search, "original_date": True}
    # page_metadata replaces with_metadata=True (see its module). One parse serves both:
    # bare_extraction copies a tree it is given before pruning, so the fast retry reuses it.
    try:
        tree = parse_html(html)
        meta = page_metadata(tree, url, date_params) if tree is not None else None
    except ValueError:  # what trafilatura raises for a page it cannot read
        meta = None
    except Exception as exc:  # lxml and friends raise many kinds
        raise ExtractionError(reason_for(exc)) from exc
    if meta is None:
        raise ExtractionError(_NO_TEXT_REASON)
    # with_metadata=True made the page's own URL trafilatura's base URL when none was
    # given; it only resolves links and images, both off, so the text is the same.
    base_url = url or meta.url

    def run(fast: bool) -> str:
        try:  # default output_format "python": .text is plain text, one block per line
            doc = trafilatura.bare_extraction(
                tree, url=base_url, with_metadata=False, fast=fast,
                favor_precision=options.favor_precision, include_comments=options.include_comments,
                include_tables=options.include_tables, date_extraction_params=date_params)
        except Exception as exc:
            raise ExtractionError(reason_for(exc)) from exc
        return normalize_text(getattr(doc, "text", None) or "")

    text = run(options.fast)
    if options.fast and len(text) < options.min_text_chars:
        text = max(text, run(False), key=len)  # the first one on a tie
    text = clean_text(text, meta.title)  # the headline is stored apart; promo lines are not the article
    if not text:
        raise ExtractionError(_NO_TEXT_REASON)
    if len(text) < options.min_text_chars:
        raise ExtractionError(f"Too little text to be an article ({len(text)} characters); "
                              "the page may need JavaScript or be behind a login.")
    if mostly_link_text(html, text):
        raise ExtractionError("This page is a list of links (a section or home page), not an article.")
    # trafilatura finds a language only when asked to filter by one, which we do not.
    return ExtractedDoc(
        text=text, title=_clean(meta.title), author=_clean(meta.author), date=_iso_date(meta.date),
        site_name=_clean(meta.sitename), language=html_lang(html), canonical_url=_clean(meta.url) or url,
        extractor="trafilatura", extractor_version=trafilatura.__version__)
