"""Feeds and sitemaps expand into article links; a malformed link is skipped, not fatal."""

from __future__ import annotations

from app.core.ingest.feeds import expand


def test_malformed_links_in_a_feed_and_a_sitemap_are_skipped():
    rss = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>a</title><link>http://[::1/broken</link></item>"
        b"<item><title>b</title><link>/news/2.html</link></item>"
        b"</channel></rss>"
    )
    feed = expand(rss, "https://example.org/feed.xml")
    assert feed is not None and feed.article_urls == ["https://example.org/news/2.html"]

    sitemap = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://[2001:db8::1/x</loc></url><url><loc>https://example.org/a</loc></url></urlset>"
    )
    site = expand(sitemap, "https://example.org/sitemap.xml")
    assert site is not None and site.article_urls == ["https://example.org/a"]
