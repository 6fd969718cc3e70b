"""The normalised forms that recognise the same article twice."""

from __future__ import annotations

import pytest

from app.core.text_norm import canonical_url, text_hash


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.org:443/a/b/?utm_source=feed&id=7#top", "https://news.example.org/a/b?id=7"),
        ("http://example.org", "http://example.org/"),
        ("http://example.org:8080/x/", "http://example.org:8080/x"),
        ("https://example.org/x?fbclid=abc", "https://example.org/x"),
        ("https://example.org/x?q=a+b&ref=home", "https://example.org/x?q=a+b"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),  # IPv6 keeps its brackets
        ("https://[2001:DB8::1]/x", "https://[2001:db8::1]/x"),
        ("http://example.org:443/x", "http://example.org:443/x"),  # not http's default port
        ("https://example.org:80/x", "https://example.org:80/x"),
        ("https://example.org:99999/x", None),  # port out of range
        ("https://example.org:port/x", None),  # port not a number
        ("https://[::1/x", None),  # broken IPv6 host
        ("ftp://example.org/x", None),
        ("/local/path.html", None),
        ("", None),
        (None, None),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_text_hash_ignores_case_spacing_and_compatibility_forms():
    a = "Meta  hired\tHugo\u00a0Touvron.\n\nThe ﬁrst model shipped."
    b = "meta hired hugo touvron. the first model shipped.  "
    assert text_hash(a) == text_hash(b)
    assert text_hash(a) != text_hash(b.replace("first", "second"))
