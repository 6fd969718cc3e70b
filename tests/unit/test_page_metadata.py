"""page_metadata must give what trafilatura's own metadata extraction gives, for the fields we keep.

The reference is computed here with trafilatura itself (``extract_metadata``, and
``bare_extraction(with_metadata=True)`` for whole documents), so a change of rules
in a new trafilatura version, or a slip in app/core/ingest/page_metadata.py, fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.core.ingest.extraction import (
    ExtractedDoc,
    ExtractionError,
    ExtractOptions,
    _clean,
    _iso_date,
    extract_document,
    html_lang,
    mostly_link_text,
    normalize_text,
)
from app.core.ingest.page_metadata import page_metadata, parse_html
from app.core.ingest.text_cleanup import clean_text

NEWS = Path(__file__).resolve().parents[1] / "data" / "news"
PAGES = sorted(p.name for p in NEWS.glob("*.html"))
URLS = {name: entry.get("url") for name, entry in
        json.loads((NEWS / "groundtruth.json").read_text(encoding="utf-8")).items()}
KEPT = ("title", "author", "date", "sitename", "url", "hostname")


def _date_params(options: ExtractOptions) -> dict[str, object]:
    return {"extensive_search": options.extensive_date_search, "original_date": True}


def reference_document(html: bytes, url: str | None, options: ExtractOptions) -> ExtractedDoc:
    """extract_document as it was with trafilatura's full metadata (with_metadata=True)."""
    import trafilatura

    def run(fast: bool) -> tuple[object, str]:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, fast=fast, favor_precision=options.favor_precision,
            include_comments=options.include_comments, include_tables=options.include_tables,
            date_extraction_params=_date_params(options))
        return doc, normalize_text(getattr(doc, "text", None) or "")

    doc, text = run(options.fast)
    if options.fast and len(text) < options.min_text_chars:
        retry = run(False)
        if len(retry[1]) > len(text):
            doc, text = retry
    text = clean_text(text, doc.title)  # as extract_document does (see app/core/ingest/text_cleanup.py)
    # the same refusals as extract_document (see REFUSALS), so that a refused page compares too
    if not text:
        raise ExtractionError("no text")
    if len(text) < options.min_text_chars:
        raise ExtractionError(f"too short {len(text)}")
    if mostly_link_text(html, text):
        raise ExtractionError("list of links")
    # extract_document takes the language from <html lang> alone: trafilatura finds none
    # unless asked to filter by one. Should a new version find one, this says so.
    assert doc.language is None
    return ExtractedDoc(
        text=text, title=_clean(doc.title), author=_clean(doc.author), date=_iso_date(doc.date),
        site_name=_clean(doc.sitename), language=html_lang(html),
        canonical_url=_clean(doc.url) or url, extractor="trafilatura",
        extractor_version=trafilatura.__version__)


@pytest.mark.parametrize("with_url", [True, False], ids=["url", "no-url"])
@pytest.mark.parametrize("name", PAGES)
def test_page_metadata_matches_trafilatura_extract_metadata(name: str, with_url: bool) -> None:
    from trafilatura.metadata import extract_metadata

    html = (NEWS / name).read_bytes()
    url = URLS.get(name) if with_url else None
    params = _date_params(ExtractOptions())
    # separate parses: extract_metadata must not see what page_metadata did to its tree
    ours = page_metadata(parse_html(html), url, params)
    theirs = extract_metadata(parse_html(html), url, params)
    assert {f: getattr(ours, f) for f in KEPT} == {f: getattr(theirs, f) for f in KEPT}


# Slow: trafilatura twice on every real page.
@pytest.mark.slow
@pytest.mark.parametrize("fast", [False, True], ids=["full", "fast"])
@pytest.mark.parametrize("name", PAGES)
def test_extract_document_matches_with_metadata_path(name: str, fast: bool) -> None:
    html = (NEWS / name).read_bytes()
    url = URLS.get(name)
    options = ExtractOptions(fast=fast)
    # and without a URL: the canonical URL then comes from the page alone
    for page_url in (url, None):
        assert _outcome(extract_document, html, page_url, options) == \
            _outcome(reference_document, html, page_url, options)


def test_fast_retry_matches_with_metadata_path() -> None:
    # Every page is "too short" for this limit, so fast mode always retries with the
    # full cascade, and the refusal names the length of the longer text of the two.
    options = ExtractOptions(fast=True, min_text_chars=10**6)
    for name in PAGES:
        html = (NEWS / name).read_bytes()
        ours = _outcome(extract_document, html, URLS.get(name), options)
        assert ours.startswith("too short ") and ours == _outcome(reference_document, html, URLS.get(name), options)


def test_content_extraction_leaves_the_parsed_page_as_it_was() -> None:
    # extract_document reads metadata from the same tree, and the fast retry extracts from it again.
    import trafilatura
    from lxml import etree

    for name in PAGES:
        tree = parse_html((NEWS / name).read_bytes())
        before = etree.tostring(tree)
        trafilatura.bare_extraction(tree, with_metadata=False)
        assert etree.tostring(tree) == before, name


# extract_document's reasons (start) -> the reference's
REFUSALS = {"No article text": "no text", "This page is a list of links": "list of links"}


def _outcome(fn, *args: object) -> object:
    """The document, or which refusal it was (a text too short with its length)."""
    try:
        return fn(*args)
    except ExtractionError as exc:
        if exc.reason.startswith("Too little text"):
            return "too short " + re.search(r"\((\d+) characters\)", exc.reason).group(1)
        return next((short for start, short in REFUSALS.items() if exc.reason.startswith(start)), exc.reason)


def test_real_pages_have_the_metadata_being_compared() -> None:
    """Guard against a vacuous comparison (every field None on both sides)."""
    docs = [reference_document((NEWS / n).read_bytes(), None, ExtractOptions()) for n in PAGES]
    assert len(docs) >= 8
    for field in ("title", "date", "site_name", "canonical_url", "language"):
        assert sum(getattr(d, field) is not None for d in docs) >= len(docs) - 2, field
    assert sum(d.author is not None for d in docs) >= len(docs) // 2


EDGE_PAGES = {
    # one-word author in meta: dropped, then found in the byline
    "handle-author": '<meta name="author" content="newsdesk"><meta name="twitter:site" content="@dailyledger">',
    # Twitter handle as the only site name: "@" stripped, title-cased
    "twitter-site": '<meta name="twitter:site" content="@harbourtimes">',
    # no site name anywhere: taken from the canonical URL
    "url-sitename": '<link rel="canonical" href="https://www.valley-post.example/2025/story">',
    # broken JSON-LD: logged and skipped by both
    "bad-json-ld": '<script type="application/ld+json">{"@type": "NewsArticle", "author": [}</script>',
    # escaped entities and control characters: unescaped and trimmed at the end
    "entities": '<meta property="og:title" content="Q&amp;amp;A:\tthe  &amp;quot;story&amp;quot; ">',
    # JSON-LD overriding meta tags
    "json-ld": ('<meta name="author" content="Meta Author">'
                '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",'
                ' "headline": "JSON headline", "author": {"@type": "Person", "name": "Json Person"},'
                ' "publisher": {"@type": "Organization", "name": "JSON Publisher"},'
                ' "datePublished": "2024-03-05"}</script>'),
}


@pytest.mark.parametrize("url", [None, "https://news.example.org/a/b"], ids=["no-url", "url"])
@pytest.mark.parametrize("head", EDGE_PAGES.values(), ids=EDGE_PAGES.keys())
def test_page_metadata_rules_on_edge_pages(head: str, url: str | None) -> None:
    from trafilatura.metadata import extract_metadata

    html = (f"<!DOCTYPE html><html lang='en'><head><title>A story | Site</title>{head}</head>"
            "<body><article><h1>A story</h1><p class='byline'>By Anna Keller</p>"
            "<p>Some text of the story, long enough to be a paragraph of an article.</p>"
            "</article></body></html>")
    params = _date_params(ExtractOptions())
    ours = page_metadata(parse_html(html), url, params)
    theirs = extract_metadata(parse_html(html), url, params)
    assert {f: getattr(ours, f) for f in KEPT} == {f: getattr(theirs, f) for f in KEPT}
