"""fetch() against a real local HTTP server (tests/http_server.py)."""

from __future__ import annotations

import socket
import threading
import time
import tracemalloc
import zlib

import httpx
import pytest

from app.core.cancel import Cancelled, CancelToken
from app.core.ingest.fetch_options import FetchOptions
from app.core.ingest.fetcher import FetchError, fetch, make_client
from app.core.ingest.sniff import decode_text
from tests.http_server import CP1252_TEXT, JS_MESSAGE, LATIN1_TEXT, NEWS, LocalServer, build_gzip_bomb


def failure(url: str, options: FetchOptions = FetchOptions(), **kw: object) -> FetchError:
    """Run fetch, expect FetchError, and check the reason reads like a sentence for people."""
    with pytest.raises(FetchError) as info:
        fetch(url, options, **kw)  # type: ignore[arg-type]
    reason = info.value.reason
    assert reason and reason[0].isupper() and reason.endswith(".")
    for leak in ("Errno", "httpx", "httpcore", "Traceback", "Error(", "errno"):
        assert leak not in reason
    return info.value


def timed_failure(url: str, options: FetchOptions, **kw: object) -> tuple[FetchError, float]:
    start = time.monotonic()
    err = failure(url, options, **kw)
    return err, time.monotonic() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- success --------------------------------------------------------------------------


def test_article_is_downloaded(http_server: LocalServer) -> None:
    url = http_server.url("/article.html")
    result = fetch(url)
    assert result.url == url and result.final_url == url
    assert result.status == 200
    assert result.content_type == "text/html" and result.charset == "utf-8"
    assert result.elapsed > 0
    text = decode_text(result.body, result.charset).text
    assert "Hugo Touvron" in text and "Timothée Lacroix" in text


def test_user_agent_and_encodings_are_sent(http_server: LocalServer) -> None:
    seen: dict[str, str] = {}

    def echo(h) -> None:  # type: ignore[no-untyped-def]
        seen.update(h.headers.items())
        http_server._send(h, 200, {"Content-Type": "text/plain"}, b"ok, headers recorded")

    http_server.add_handler("/echo-headers", echo)
    fetch(http_server.url("/echo-headers"), FetchOptions(user_agent="Curator-Test/1.0"))
    assert seen["User-Agent"] == "Curator-Test/1.0"
    assert seen["Accept-Encoding"] == "gzip, deflate"
    assert fetch(http_server.url("/echo-headers")).body == b"ok, headers recorded"
    assert seen["User-Agent"].startswith("ArticleCurator/")


@pytest.mark.parametrize("path, ctype", [("/feed.xml", "application/rss+xml"), ("/sitemap.xml", "application/xml")])
def test_feeds_and_sitemaps_are_accepted(http_server: LocalServer, path: str, ctype: str) -> None:
    result = fetch(http_server.url(path))
    assert result.content_type == ctype
    for i in range(len(NEWS)):
        assert http_server.url(f"/news/{i + 1}.html").encode() in result.body


def test_js_only_page_is_still_a_page(http_server: LocalServer) -> None:
    # Deciding that it has no article text is the extractor's job, not the fetcher's.
    assert JS_MESSAGE.encode() in fetch(http_server.url("/js-only")).body


def test_redirect_is_followed(http_server: LocalServer) -> None:
    result = fetch(http_server.url("/redirect"))
    assert result.url == http_server.url("/redirect")
    assert result.final_url == http_server.url("/article.html")
    assert b"Hugo Touvron" in result.body


def test_up_to_max_redirects_are_followed(http_server: LocalServer) -> None:
    # /redirect-chain/4 -> 3 -> 2 -> 1 -> 0 -> /article.html: five redirects.
    result = fetch(http_server.url("/redirect-chain/4"), FetchOptions(max_redirects=5))
    assert result.final_url.endswith("/article.html")


def test_gzip_and_deflate_bodies_are_decoded(http_server: LocalServer) -> None:
    page = b"<html><body><p>" + b"Compressed news text. " * 200 + b"</p></body></html>"
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    variants = {
        "gzip": zlib.compress(page, wbits=31),
        "deflate": zlib.compress(page),
        "deflate-raw": raw_deflate.compress(page) + raw_deflate.flush(),
    }
    for name, data in variants.items():
        encoding = "deflate" if name.startswith("deflate") else name
        http_server.add_route(f"/compressed-{name}", body=data,
                              headers={"Content-Type": "text/html", "Content-Encoding": encoding})
        assert fetch(http_server.url(f"/compressed-{name}")).body == page


def test_missing_content_type_is_accepted_for_text(http_server: LocalServer) -> None:
    http_server.add_route("/no-type-text", body=b"<p>Plain words about the city council.</p>")
    result = fetch(http_server.url("/no-type-text"))
    assert result.content_type == "" and result.charset is None


def test_shared_client_works_across_threads(http_server: LocalServer) -> None:
    options = FetchOptions()
    results: dict[int, bytes] = {}
    with make_client(options) as client:
        def work(i: int) -> None:
            results[i] = fetch(http_server.url(f"/news/{i % 3 + 1}.html"), options, client=client).body

        threads = [threading.Thread(target=work, args=(i,)) for i in range(9)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert len(results) == 9
    assert all(NEWS[i % 3][1].encode() in body for i, body in results.items())


# -- HTTP errors ------------------------------------------------------------------------


def test_404_reason(http_server: LocalServer) -> None:
    err = failure(http_server.url("/404"))
    assert err.reason == "The server answered 404 Not Found."
    assert err.status == 404


def test_500_reason(http_server: LocalServer) -> None:
    err = failure(http_server.url("/500"))
    assert err.reason == "The server answered 500 Internal Server Error; try again later."


def test_403_reason_explains(http_server: LocalServer) -> None:
    http_server.add_route("/forbidden", 403, "<h1>Forbidden</h1>")
    assert "login" in failure(http_server.url("/forbidden")).reason


def test_redirect_loop_is_refused(http_server: LocalServer) -> None:
    http_server.reset_counts()
    err = failure(http_server.url("/redirect-loop"))
    assert "loop" in err.reason
    assert http_server.hits("/redirect-loop") + http_server.hits("/redirect-loop-b") <= 6


def test_too_many_redirects(http_server: LocalServer) -> None:
    err = failure(http_server.url("/redirect-chain/10"))
    assert err.reason == "Too many redirects (more than 5)."


def test_redirect_to_other_scheme_is_refused(http_server: LocalServer) -> None:
    http_server.add_route("/redirect-ftp", 302, b"", {"Location": "ftp://files.example.org/a.txt"})
    assert "ftp" in failure(http_server.url("/redirect-ftp")).reason


# -- slow servers and deadlines -----------------------------------------------------


@pytest.mark.slow
def test_trickle_is_cut_at_the_deadline(http_server: LocalServer) -> None:
    err, took = timed_failure(http_server.url("/trickle"), FetchOptions(timeout=2))
    assert err.reason == "Gave up after 2 s: the server did not send the whole page in time."
    assert 1.8 <= took < 4


@pytest.mark.slow
def test_hang_is_cut_at_the_deadline(http_server: LocalServer) -> None:
    err, took = timed_failure(http_server.url("/hang"), FetchOptions(timeout=2))
    assert err.reason == "Gave up after 2 s: the server did not answer in time."
    assert 1.8 <= took < 4


def test_deadline_holds_on_a_reused_connection(http_server: LocalServer) -> None:
    options = FetchOptions(timeout=1.5)
    with make_client(options) as client:
        fetch(http_server.url("/news/1.html"), options, client=client)  # leaves a keep-alive connection
        err, took = timed_failure(http_server.url("/trickle"), options, client=client)
    assert "in time" in err.reason and took < 3


# -- size limits ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/huge", "/huge-chunked"])
def test_huge_page_is_refused(http_server: LocalServer, path: str) -> None:
    err, took = timed_failure(http_server.url(path), FetchOptions())
    assert err.reason == "The page is larger than the 10 MB limit."
    assert took < 10


def test_gzip_bomb_is_stopped_with_bounded_memory(http_server: LocalServer) -> None:
    tracemalloc.start()
    try:
        err = failure(http_server.url("/gzip-bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.reason == "The page is larger than the 10 MB limit."
    # 10 MB of body plus small decompression pieces; decoding a whole 64 KB
    # network read of this bomb at once would allocate about 64 MB.
    assert peak < 24 * 1024 * 1024


def test_gzip_bomb_of_zero_bytes_is_refused_early(http_server: LocalServer) -> None:
    http_server.add_route("/gzip-bomb-zeros", body=build_gzip_bomb(fill=b"\0"),
                          headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})
    err, took = timed_failure(http_server.url("/gzip-bomb-zeros"), FetchOptions())
    assert err.reason == "Not a web page: the server sent binary data (labelled text/html)."
    assert took < 2


# -- not a web page ----------------------------------------------------------------------


def test_pdf_is_refused(http_server: LocalServer) -> None:
    err = failure(http_server.url("/doc.pdf"))
    assert err.reason == "Not a web page: the server sent a PDF document (application/pdf)."


def test_png_is_refused(http_server: LocalServer) -> None:
    assert "a PNG image" in failure(http_server.url("/image.png")).reason


def test_pdf_labelled_html_is_refused(http_server: LocalServer) -> None:
    err = failure(http_server.url("/fake.html"))
    assert err.reason == "Not a web page: the server sent a PDF document (labelled text/html)."


def test_binary_without_content_type_is_refused(http_server: LocalServer) -> None:
    http_server.add_route("/no-type-binary", body=bytes(range(256)) * 64)
    assert "binary data" in failure(http_server.url("/no-type-binary")).reason


def test_empty_page_is_refused(http_server: LocalServer) -> None:
    assert failure(http_server.url("/empty")).reason == "The server sent an empty page."


def test_unknown_compression_is_refused(http_server: LocalServer) -> None:
    http_server.add_route("/brotli", body=b"\x0b\x02\x80hello\x03", headers={"Content-Type": "text/html",
                                                                           "Content-Encoding": "br"})
    assert "(br)" in failure(http_server.url("/brotli")).reason


# -- charsets ----------------------------------------------------------------------------


def test_wrong_declared_charset_is_decoded_correctly(http_server: LocalServer) -> None:
    result = fetch(http_server.url("/cp1252"))
    assert result.charset == "utf-8"  # what the server claimed
    decoded = decode_text(result.body, result.charset)
    assert CP1252_TEXT in decoded.text
    assert decoded.guessed and decoded.encoding == "cp1252"


def test_correct_latin1_declaration_is_used(http_server: LocalServer) -> None:
    result = fetch(http_server.url("/latin1-declared"))
    decoded = decode_text(result.body, result.charset)
    assert LATIN1_TEXT in decoded.text and not decoded.guessed


# -- addresses and connections --------------------------------------------------------


def test_closed_port_reason() -> None:
    port = free_port()
    err = failure(f"http://127.0.0.1:{port}/article.html")
    assert err.reason == f"Could not connect to 127.0.0.1:{port}: connection refused."


def test_unknown_host_reason() -> None:
    # .invalid is reserved and never resolves.
    assert failure("http://foo.invalid/news").reason == "Host name not found: foo.invalid."


@pytest.mark.parametrize("url", ["ftp://example.org/a.html", "file:///etc/passwd", "javascript:alert(1)",
                                 "mailto:news@example.org"])
def test_non_http_schemes_are_refused(url: str) -> None:
    assert failure(url).reason == "Only http and https addresses can be imported."


def test_address_without_scheme_is_explained() -> None:
    assert "http://" in failure("example.org/news").reason


# -- cancellation --------------------------------------------------------------------------


def _cancel_after(url: str, delay: float, client: httpx.Client | None = None,
                  options: FetchOptions = FetchOptions(timeout=20)) -> tuple[BaseException | None, float]:
    token = CancelToken()
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            fetch(url, options, token, client)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(delay)
    start = time.monotonic()
    token.cancel()
    thread.join(5)
    return (outcome[0] if outcome else None), time.monotonic() - start


@pytest.mark.parametrize("path", ["/trickle", "/hang"])
def test_cancel_stops_the_download_promptly(http_server: LocalServer, path: str) -> None:
    exc, took = _cancel_after(http_server.url(path), 0.6)
    assert isinstance(exc, Cancelled)
    assert took < 1.0


def test_cancel_stops_a_download_on_a_reused_connection(http_server: LocalServer) -> None:
    # The page is asked for on a keep-alive connection, whose socket no new-connection
    # event announces; the cancel must still cut it instead of waiting for the answer.
    options = FetchOptions(timeout=30)
    with make_client(options) as client:
        fetch(http_server.url("/news/1.html"), options, client=client)  # leaves a keep-alive connection
        exc, took = _cancel_after(http_server.url("/hang"), 0.3, client, options)
        assert isinstance(exc, Cancelled)
        assert took < 2
        # The cut connections are replaced: the same client still downloads.
        assert fetch(http_server.url("/news/2.html"), options, client=client).status == 200


def test_cancelled_token_stops_before_connecting(http_server: LocalServer) -> None:
    token = CancelToken()
    token.cancel()
    http_server.reset_counts()
    with pytest.raises(Cancelled):
        fetch(http_server.url("/article.html"), cancel=token)
    assert http_server.hits("/article.html") == 0
