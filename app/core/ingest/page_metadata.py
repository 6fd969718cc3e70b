"""Page metadata (title, author, date, site name, canonical URL), as trafilatura finds it.

``page_metadata`` is trafilatura's ``extract_metadata`` (trafilatura 2.3.1,
trafilatura/metadata.py) cut down to the fields ``ExtractedDoc`` keeps, with the
same steps in the same order, so those fields come out identical. Left out:
categories, tags and license, because we never store them and they cost CPU
time on every page: 0.9-5 ms, 2.2 ms on average, on the real pages in
tests/data/news (measured with benchmarks/extract_overhead.py --news-only; the
whole extract_document got 1.6-2.2 ms, 5-7 %, faster). Also left out: the
author blacklist (we pass none).
tests/unit/test_page_metadata.py compares the result with trafilatura's own on
real pages, so an upgrade of trafilatura that changes its rules shows up there.

Imported lazily by ``extract_document``: it pulls in trafilatura.
"""

from __future__ import annotations

import logging
from typing import Any

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import (
    META_URL,
    Document,
    examine_meta,
    extract_author,
    extract_domain,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import DEFAULT_CONFIG
from trafilatura.utils import load_html

__all__ = ["page_metadata", "parse_html"]

LOGGER = logging.getLogger(__name__)


def parse_html(html: str | bytes) -> HtmlElement | None:
    """Parse a page as bare_extraction does (same parser, same limit for compressed input)."""
    return load_html(html, DEFAULT_CONFIG.getint("DEFAULT", "MAX_FILE_SIZE"))


def page_metadata(tree: HtmlElement, url: str | None, date_params: dict[str, Any]) -> Document:
    """Title, author, date, sitename, url and hostname of a parsed page.

    Reads ``tree`` the way ``extract_metadata`` does (htmldate may look at all of
    it); ``date_params`` are htmldate ``find_date`` keywords, as trafilatura's
    ``date_extraction_params``. Fields left out stay at their Document defaults.
    """
    date_config = {**date_params}
    metadata = examine_meta(tree)
    # trafilatura's rule: a one-word author from the meta tags is a handle, not a name
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:  # JSON-LD overrides the meta tags
        metadata = extract_meta_json(tree, metadata)
    except Exception as err:  # noqa: BLE001 -- as trafilatura: bugs in its json_metadata.py
        LOGGER.warning("error in JSON metadata extraction: %s", err)
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.author:
        metadata.author = extract_author(tree)
    if not metadata.url:
        metadata.url = extract_url(tree, url)
    if metadata.url:
        metadata.hostname = extract_domain(metadata.url, fast=True)
    date_config["url"] = metadata.url
    metadata.date = find_date(tree, **date_config)
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")  # a Twitter handle
        if metadata.sitename and "." not in metadata.sitename and not metadata.sitename[0].isupper():
            metadata.sitename = metadata.sitename.title()
    elif metadata.url:
        match = META_URL.match(metadata.url)
        if match:
            metadata.sitename = match[1]
    # categories, tags, license: skipped, see the module docstring
    metadata.filedate = date_config.get("max_date")
    metadata.clean_and_trim()
    return metadata
