"""Feeds (RSS, Atom) and sitemaps: recognise them and list the article URLs they name.

trafilatura's feed and sitemap helpers drop links to IP addresses and local
hosts, which an intranet or a test server uses, so the XML is read here with
lxml directly: only item/entry links and sitemap locations are taken, never a
channel's home-page link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import etree

MAX_LINKS = 10_000
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)


@dataclass
class Expansion:
    kind: str  # "feed" or "sitemap"
    article_urls: list[str] = field(default_factory=list)
    sitemap_urls: list[str] = field(default_factory=list)  # nested sitemaps of a sitemap index


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def looks_like_feed_or_sitemap(body: bytes, content_type: str = "") -> bool:
    head = body[:2048].lstrip().lower()
    if b"<html" in head[:512]:
        return False
    return any(marker in head for marker in (b"<rss", b"<feed", b"<rdf:rdf", b"<urlset", b"<sitemapindex"))


def expand(body: bytes, base_url: str) -> Expansion | None:
    """The links of a feed or sitemap, or None when ``body`` is neither."""
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    kind = _local(root.tag)
    if kind in ("urlset", "sitemapindex"):
        exp = Expansion("sitemap")
        target = exp.article_urls if kind == "urlset" else exp.sitemap_urls
        for el in root.iter():
            if _local(el.tag) == "loc" and el.text:
                _add(target, base_url, el.text)
        return exp
    if kind in ("rss", "rdf"):
        exp = Expansion("feed")
        for item in root.iter():
            if _local(item.tag) != "item":
                continue
            link = next((c for c in item if _local(c.tag) == "link" and (c.text or "").strip()), None)
            guid = next((c for c in item if _local(c.tag) == "guid" and c.get("isPermaLink", "true") == "true"), None)
            chosen = link if link is not None else guid
            if chosen is not None and chosen.text:
                _add(exp.article_urls, base_url, chosen.text)
        return exp
    if kind == "feed":
        exp = Expansion("feed")
        for entry in root:
            if _local(entry.tag) != "entry":
                continue
            links = [c for c in entry if _local(c.tag) == "link" and c.get("href")]
            best = next((c for c in links if c.get("rel", "alternate") == "alternate"), None)
            if best is not None:
                _add(exp.article_urls, base_url, best.get("href", ""))
        return exp
    return None


def _add(target: list[str], base_url: str, link: str) -> None:
    if len(target) >= MAX_LINKS:
        return
    try:
        url = urljoin(base_url, link.strip())
        scheme = urlsplit(url).scheme
    except ValueError:  # a malformed link (e.g. an unclosed IPv6 bracket) is skipped, not fatal
        return
    if scheme in ("http", "https") and url not in target:
        target.append(url)
