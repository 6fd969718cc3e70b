"""The address a page declares as its own (<link rel=canonical>, og:url) makes one story one article.

The pages come from the real local HTTP server, reached under news-site host
names: the server also acts as the HTTP proxy every request goes through (a
proxy sees the whole address), so ``m.news.example.com`` and
``news.example.com`` are two hosts to the importer and one server to the test.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from sqlalchemy import text

from app.core.db.store import Store
from app.core.ingest.importer import ImportOptions, import_sources
from app.core.text_norm import page_canonical_url
from tests.http_server import LocalServer, _page, _RequestHandler

OPTIONS = ImportOptions(workers=1)
PARAGRAPHS = [
    "Harbor City Council voted seven to two on Tuesday night to build a new public library on the former ferry "
    "terminal site, ending a campaign that residents of the riverside district began more than ten years ago.",
    "Mayor Elena Vasquez called the vote a promise finally kept and said construction could start next spring. "
    "The project will be built by Northgate Builders, the firm that renovated the central station in 2019.",
    "Head librarian Tomasz Nowak said the new building would triple the space for children's programmes and add a "
    "workshop where people can learn to repair electronics.",
]
CANONICAL = "https://news.example.com/2025/library-vote"


def story(canonical: str | None, *, extra: str = "", og: bool = False) -> bytes:
    """The library story as a site serves it; ``extra`` is what one edition adds to the text."""
    head = ""
    if canonical is not None:
        head = (f'<meta property="og:url" content="{html.escape(canonical)}">' if og
                else f'<link rel="canonical" href="{html.escape(canonical)}">')
    paras = [*PARAGRAPHS, extra] if extra else PARAGRAPHS
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
    return _page("Harbor City approves library", f"<article><h1>Harbor City approves library</h1>{body}</article>",
                 extra_head=head).encode()


@pytest.fixture
def site(http_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Pages by host and path, served through the local server acting as the proxy."""
    pages: dict[str, bytes] = {}

    def serve(h: _RequestHandler) -> None:
        body = pages.get(h.headers["Host"] + h.path.split("?")[0].removeprefix("http://" + h.headers["Host"]))
        h.send_response(200 if body else 404)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(body or b"")))
        h.end_headers()
        h.wfile.write(body or b"")

    for path in ("/2025/library-vote", "/copies/library", "/a", "/b"):
        http_server.add_handler(path, serve)
    for var in ("http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HTTP_PROXY", http_server.url("").rstrip("/"))
    return pages


def stored(store: Store) -> list[tuple[str, str | None]]:
    with store.begin() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT url, canonical_page_url FROM article ORDER BY id"))]


def test_tracking_link_and_mobile_address_of_one_story_are_one_article(store: Store, site: dict[str, bytes]) -> None:
    site["news.example.com/2025/library-vote"] = story(CANONICAL, extra="Updated at 9:40 with the vote count.")
    site["m.news.example.com/2025/library-vote"] = story(CANONICAL, og=True)  # the mobile edition: shorter
    tracked = "http://news.example.com/2025/library-vote?utm_source=newsletter&utm_medium=email"
    mobile = "http://m.news.example.com/2025/library-vote"

    first = import_sources(store, [tracked], OPTIONS)
    assert [o.outcome for o in first.outcomes] == ["imported"], first.outcomes
    second = import_sources(store, [mobile], OPTIONS)

    (outcome,) = second.outcomes
    assert outcome.outcome == "duplicate"
    assert outcome.uid == first.outcomes[0].uid
    assert outcome.reason == (f"Already in the dataset as “Harbor City approves library” (id {outcome.uid}): "
                              f"the page gives the same address, {CANONICAL}.")
    assert stored(store) == [(tracked, CANONICAL)]

    # The story's own address is known now: no download (this proxy could not even reach https).
    again = import_sources(store, [CANONICAL], OPTIONS)
    assert [(o.outcome, o.uid) for o in again.outcomes] == [("duplicate", outcome.uid)]


# Slow: one import of a served page for each address.
@pytest.mark.slow
@pytest.mark.parametrize("canonical", [
    "https://news.example.org/2025/library-vote",  # another site's story
    "https://news.example.com.evil.example.org/2025/library-vote",  # looks alike, is not
    "http://[::1/2025/library-vote",  # malformed
    "javascript:alert(1)",
    "https://news.example.com/",  # a home page: sites that name it on every page
])
def test_a_page_cannot_pass_for_a_story_it_does_not_own(store: Store, site: dict[str, bytes], canonical: str) -> None:
    site["copies.example.net/copies/library"] = story(canonical, extra="Copied without permission.")
    site["news.example.com/2025/library-vote"] = story(CANONICAL)

    copy = import_sources(store, ["http://copies.example.net/copies/library"], OPTIONS)
    assert [o.outcome for o in copy.outcomes] == ["imported"]
    real = import_sources(store, ["http://news.example.com/2025/library-vote"], OPTIONS)
    assert [o.outcome for o in real.outcomes] == ["imported"], real.outcomes
    (_, copy_page), (_, real_page) = stored(store)
    assert copy_page != CANONICAL and real_page == CANONICAL


def test_unrelated_stories_naming_their_home_page_are_kept_apart(store: Store, site: dict[str, bytes]) -> None:
    site["news.example.com/a"] = story("https://news.example.com/", extra="First edition.")
    site["news.example.com/b"] = story("https://news.example.com/", extra="Second story, other words entirely.")
    report = import_sources(store, ["http://news.example.com/a"], OPTIONS)
    report2 = import_sources(store, ["http://news.example.com/b"], OPTIONS)
    assert [o.outcome for o in report.outcomes + report2.outcomes] == ["imported", "imported"]


@pytest.mark.parametrize(("declared", "page", "believed"), [
    ("https://www.example.co.uk/story", "http://m.example.co.uk/story?utm_source=x", True),
    ("https://foo.github.io/story", "https://bar.github.io/story", False),  # a shared host: different sites
    ("https://example.com/story", "https://example.org/story", False),
    ("http://127.0.0.1:8000/a", "http://127.0.0.1:8000/b", True),  # no registered domain: the same host only
    ("http://127.0.0.2:8000/a", "http://127.0.0.1:8000/b", False),
    ("https://example.com:99999/story", "https://example.com/story", False),
    ("", "https://example.com/story", False),
    ("https://example.com/story", None, False),  # a file has no address to vouch for its page
])
def test_which_declared_addresses_are_believed(declared: str, page: str | None, believed: bool) -> None:
    assert (page_canonical_url(declared, page) is not None) is believed


def test_a_saved_page_file_keeps_no_declared_address(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "saved.html"
    path.write_bytes(story(CANONICAL))
    report = import_sources(store, [path], OPTIONS)
    assert [o.outcome for o in report.outcomes] == ["imported"]
    assert stored(store) == [(None, None)]
