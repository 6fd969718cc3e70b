"""Tests for app.core.ingest.extraction and extractor_pool: in-process extraction and the killable worker pool."""

from __future__ import annotations

import html as html_lib
import os
import sys
import threading
import time
from concurrent.futures import CancelledError
from pathlib import Path

import pytest

# Worker processes are started with "spawn" and re-import this module to find the
# hook below, so the project root must be importable without an installed package.
_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from app.core.ingest.extraction import (  # noqa: E402
    ExtractedDoc,
    ExtractionError,
    ExtractOptions,
    extract_document,
    html_lang,
    normalize_text,
)
from app.core.ingest.extractor_pool import ExtractorPool  # noqa: E402

SAMPLE = _ROOT / "tests" / "data" / "meta-llama-turnover.txt"
TITLE = "High turnover hits Meta’s Llama as 78% of the original research team exits"
DEADLINE = 2.0


def hooked_extract(html: str | bytes, url: str | None, options: ExtractOptions) -> ExtractedDoc:
    """Worker function for tests: the URL picks a misbehaviour, otherwise extract normally."""
    if url == "test://hang":
        time.sleep(600)
    if url == "test://crash":
        os._exit(3)
    if url == "test://raise":
        raise KeyError("internal detail that must not reach the user")
    return extract_document(html, url, options)


def _sample_parts() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Split the sample into article blocks (tag, text) and related teasers (title, blurb)."""
    lines = [ln.strip() for ln in SAMPLE.read_text(encoding="utf-8").splitlines() if ln.strip()]
    start = lines.index("Source Cryptopolitan") + 1
    end = next(i for i, ln in enumerate(lines) if ln.startswith("Cryptopolitan Academy"))
    blocks = [("p" if ln[-1] in ".!?”\"" else "h2", ln) for ln in lines[start:end]]
    teasers = []
    for i, ln in enumerate(lines):
        if ln == "placeholder" and i + 1 < len(lines):
            teasers.append((lines[i + 1][:60], lines[i + 1][60:200]))
    return blocks, teasers


def news_page(*, lang: str = "en-US", blocks: list[tuple[str, str]] | None = None,
              title: str = TITLE) -> str:
    """A realistic news page: cookie banner, nav, article, teasers, comments, footer."""
    sample_blocks, teasers = _sample_parts()
    blocks = sample_blocks if blocks is None else blocks
    esc = html_lib.escape
    body = "\n".join(f"<{tag}>{esc(text)}</{tag}>" for tag, text in blocks)
    related = "".join(
        f'<li><a href="/news/{i}"><h3>{esc(t)}</h3></a><p>{esc(b)}</p></li>'
        for i, (t, b) in enumerate(teasers))
    nav = "".join(f'<li><a href="/{s.lower()}">{s}</a></li>'
                  for s in ["Markets", "Crypto", "AI", "Policy", "Opinion", "Newsletter"])
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{esc(title)} | Cryptopolitan</title>
<meta property="og:title" content="{esc(title)}">
<meta property="og:site_name" content="Cryptopolitan">
<meta name="author" content="Jai Hamid">
<meta property="article:published_time" content="2025-05-27T10:15:00+00:00">
<link rel="canonical" href="https://www.cryptopolitan.com/meta-llama-turnover/">
<script>window.ads = window.ads || []; ads.push({{slot: "top"}});</script>
</head>
<body>
<div id="cookie-banner" class="cookie-consent">
  <p>We use cookies to personalise content and ads. Manage your cookie preferences.</p>
  <button>Accept all cookies</button>
</div>
<header class="site-header"><a class="logo" href="/">Cryptopolitan</a><nav><ul>{nav}</ul></nav></header>
<main>
<article class="post">
  <h1 class="entry-title">{esc(title)}</h1>
  <div class="byline">By <a rel="author" href="/author/jai">Jai Hamid</a>
    <time datetime="2025-05-27">May 27, 2025</time></div>
  <div class="entry-content">
{body}
  </div>
</article>
<aside class="related-posts"><h2>Related news</h2><ul>{related}</ul></aside>
<section id="comments" class="comments">
  <h2>3 comments</h2>
  <div class="comment"><b>crypto_fan88</b><p>Zuck should pay them more, simple as that. Nobody stays for the free lunch anymore.</p></div>
  <div class="comment"><b>llm_watcher</b><p>Mistral really is the Llama alumni club at this point, great reporting.</p></div>
</section>
</main>
<footer><p>Copyright 2025 Cryptopolitan Media. All rights reserved.</p>
<a href="/privacy">Privacy policy</a> <a href="/terms">Terms of use</a></footer>
</body></html>"""


@pytest.fixture(scope="module")
def pool1():
    """One worker, short deadline: makes "the next job ran on the restarted worker" certain."""
    with ExtractorPool(1, ExtractOptions(deadline=DEADLINE), worker_fn=hooked_extract) as pool:
        yield pool


@pytest.fixture(scope="module")
def pool2():
    with ExtractorPool(2, worker_fn=hooked_extract) as pool:
        yield pool


def _reason(future) -> str:
    with pytest.raises(ExtractionError) as info:
        future.result(timeout=30)
    reason = info.value.reason
    assert reason and "Traceback" not in reason
    return reason


# --- in-process extraction -------------------------------------------------

def test_extracts_article_from_news_page() -> None:
    page = news_page()
    doc = extract_document(page.encode("utf-8"), "https://www.cryptopolitan.com/?p=1", ExtractOptions())
    assert doc.title == TITLE
    assert doc.language == "en"
    assert doc.date == "2025-05-27"
    assert doc.author == "Jai Hamid"
    assert doc.site_name == "Cryptopolitan"
    assert doc.canonical_url == "https://www.cryptopolitan.com/meta-llama-turnover/"
    assert doc.extractor == "trafilatura" and doc.extractor_version
    text = doc.text
    assert "only three, research scientist Hugo Touvron" in text
    assert "Mistral, a Paris-based AI upstart" in text
    assert text.rstrip().endswith("talent follows the most dynamic and open platforms.")
    for boilerplate in ["cookie", "Accept all", "Zuck should pay", "Related news",
                        "Gold's Historic 2025 Rally", "Privacy policy", "All rights reserved"]:
        assert boilerplate not in text
    # Text convention: "\n" only, no trailing spaces, at most one blank line in a row.
    assert "\r" not in text and "\n\n\n" not in text
    assert all(line == line.rstrip() for line in text.split("\n"))
    assert text.count("\n") >= 10  # paragraphs stay on separate lines


def test_str_and_bytes_input_agree() -> None:
    page = news_page()
    a = extract_document(page, None, ExtractOptions())
    b = extract_document(page.encode("utf-8"), None, ExtractOptions())
    assert a == b
    assert a.canonical_url == "https://www.cryptopolitan.com/meta-llama-turnover/"


def test_fast_mode_matches_full_cascade_on_a_normal_article() -> None:
    page = news_page()
    assert extract_document(page, None, ExtractOptions(fast=True)) == \
        extract_document(page, None, ExtractOptions(fast=False))


def test_fast_pass_with_too_little_text_is_retried_with_full_cascade(monkeypatch) -> None:
    import trafilatura

    real = trafilatura.bare_extraction
    calls: list[bool] = []

    def fake(html, **kwargs):
        calls.append(kwargs["fast"])
        doc = real(html, **kwargs)
        if kwargs["fast"]:
            doc.text = "Only a teaser survived the fast pass."
        return doc

    monkeypatch.setattr(trafilatura, "bare_extraction", fake)
    doc = extract_document(news_page(), None, ExtractOptions(fast=True))
    assert calls == [True, False]
    assert "Hugo Touvron" in doc.text


def test_library_exception_becomes_reason(monkeypatch) -> None:
    import trafilatura

    def broken(html, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(trafilatura, "bare_extraction", broken)
    with pytest.raises(ExtractionError) as info:
        extract_document(news_page(), None, ExtractOptions())
    assert info.value.reason == "The page is nested too deeply to extract."


def test_language_comes_from_html_lang_attribute() -> None:
    blocks, _ = _sample_parts()
    doc = extract_document(news_page(lang="de_DE", blocks=blocks), None, ExtractOptions())
    assert doc.language == "de"
    assert html_lang(b'<!doctype html><html class="no-js" lang="pt-BR">') == "pt"
    assert html_lang('<html xml:lang="FR">') == "fr"
    assert html_lang(b'<html data-lang="en"><body>') is None
    assert html_lang(b"<html><body lang='en'>") is None


def test_normalize_text() -> None:
    assert normalize_text("a  \r\nb\t\r\n\r\n\r\n\n c \n\n") == "a\nb\n\n c"


def test_too_short_page_gives_readable_reason() -> None:
    page = news_page(blocks=[("p", "Please enable JavaScript to read this article.")])
    with pytest.raises(ExtractionError) as info:
        extract_document(page, None, ExtractOptions())
    reason = info.value.reason
    assert reason.startswith(("Too little text to be an article", "No article text found"))
    assert str(info.value) == reason


def test_short_text_threshold_is_configurable() -> None:
    blocks = [("p", "The council approved the new bridge budget on Tuesday after a long debate "
                    "about costs, delays and the river crossing that residents have wanted for years.")]
    page = news_page(blocks=blocks)
    with pytest.raises(ExtractionError) as info:
        extract_document(page, None, ExtractOptions(min_text_chars=400))
    assert info.value.reason.startswith("Too little text to be an article (")
    assert "characters); the page may need JavaScript or be behind a login." in info.value.reason
    doc = extract_document(page, None, ExtractOptions(min_text_chars=50))
    assert "river crossing" in doc.text


def test_empty_and_link_list_pages() -> None:
    with pytest.raises(ExtractionError, match="empty"):
        extract_document(b"   ", None, ExtractOptions())
    links = "".join(f'<li><a href="/s/{i}">Story number {i}</a></li>' for i in range(40))
    with pytest.raises(ExtractionError) as info:
        extract_document(f"<html><body><ul>{links}</ul></body></html>", None, ExtractOptions())
    assert info.value.reason


def test_oversize_input_is_refused_with_sizes_in_the_reason() -> None:
    big = b"<html><body>" + b"x" * int(7.2 * 1024 * 1024) + b"</body></html>"
    with pytest.raises(ExtractionError) as info:
        extract_document(big, None, ExtractOptions())
    assert info.value.reason == "The page is 7.2 MB, over the 5 MB limit for extraction."


# --- worker pool -------------------------------------------------------------

def test_pool_extracts(pool1: ExtractorPool) -> None:
    doc = pool1.submit(news_page().encode("utf-8"), "https://example.org/a").result(timeout=30)
    assert doc.title == TITLE and doc.language == "en"


def test_pool_refuses_oversize_before_sending(pool1: ExtractorPool) -> None:
    small_limit = ExtractOptions(max_input_bytes=1000)
    with ExtractorPool(1, small_limit, worker_fn=hooked_extract) as pool:
        # The hook would crash the worker if the page ever reached it.
        future = pool.submit(b"<html>" + b"y" * 5000 + b"</html>", "test://crash")
        assert future.done()
        assert _reason(future) == "The page is 4.9 KB, over the 1000 bytes limit for extraction."


@pytest.mark.slow
def test_deadline_kills_worker_and_next_job_succeeds(pool1: ExtractorPool) -> None:
    start = time.monotonic()
    hung = pool1.submit(b"<html></html>", "test://hang")
    # Queued right behind it, possibly already in the worker's pipe: must not be blamed.
    behind = pool1.submit(news_page(), None)
    reason = _reason(hung)
    elapsed = time.monotonic() - start
    assert reason == "Extraction gave up after 2 s on this page."
    assert DEADLINE <= elapsed < DEADLINE + 5
    assert behind.result(timeout=30).title == TITLE
    assert pool1.submit(news_page(), None).result(timeout=30).title == TITLE


def test_crashing_worker_is_reported_and_restarted(pool1: ExtractorPool) -> None:
    crashed = pool1.submit(news_page(), "test://crash")
    behind = pool1.submit(news_page(), None)
    reason = _reason(crashed)
    assert reason == "The extraction process stopped unexpectedly on this page (exit code 3)."
    assert behind.result(timeout=30).title == TITLE
    assert pool1.submit(news_page(), None).result(timeout=30).title == TITLE


def test_big_pages_are_not_sent_ahead_but_still_run(pool1: ExtractorPool) -> None:
    blocks, _ = _sample_parts()
    big = news_page(blocks=blocks * 20).encode("utf-8")  # larger than the pipe's buffer
    futures = [pool1.submit(big if i % 2 else news_page(), None) for i in range(6)]
    assert [f.result(timeout=60).title for f in futures] == [TITLE] * 6


def test_exception_in_worker_becomes_reason(pool1: ExtractorPool) -> None:
    reason = _reason(pool1.submit(news_page(), "test://raise"))
    assert reason == "The extractor failed on this page (KeyError)."
    assert "internal detail" not in reason


def test_too_short_page_in_pool(pool2: ExtractorPool) -> None:
    # Not on pool1: a short page is retried with the full cascade, whose first run in a
    # fresh worker loads jusText's stop lists (~0.6 s, more on a busy machine).
    short = news_page(blocks=[("p", "Subscribe to continue reading.")])
    assert _reason(pool2.submit(short, None)).startswith(("Too little text", "No article text"))


def test_pool_from_four_threads(pool2: ExtractorPool) -> None:
    blocks, _ = _sample_parts()
    results: dict[tuple[int, int], str | None] = {}
    errors: list[BaseException] = []

    def client(t: int) -> None:
        try:
            futures = {}
            for i in range(6):
                title = f"Story {t}-{i}: {TITLE}"
                page = news_page(title=title, blocks=blocks[i:])
                futures[(t, i)] = (title, pool2.submit(page.encode("utf-8"), None))
            for key, (title, fut) in futures.items():
                results[key] = fut.result(timeout=60).title
                assert results[key] == title
        except BaseException as exc:  # noqa: BLE001 -- re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not errors, errors
    assert len(results) == 24


def test_cancel_pending_and_close_with_stuck_job() -> None:
    pool = ExtractorPool(1, ExtractOptions(deadline=300), worker_fn=hooked_extract)
    stuck = pool.submit(b"<html></html>", "test://hang")
    queued = [pool.submit(news_page(), None) for _ in range(3)]
    deadline = time.monotonic() + 30
    while not stuck.running() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stuck.running()
    # At most one small page may already sit in the worker's pipe behind the stuck one.
    cancelled = pool.cancel_pending()
    assert cancelled >= 2
    assert sum(f.cancelled() for f in queued) == cancelled
    more = pool.submit(news_page(), None)

    start = time.monotonic()
    pool.close()
    assert time.monotonic() - start < 3
    assert more.cancelled()
    with pytest.raises(CancelledError):
        more.result(timeout=0)
    assert _reason(stuck) == "Extraction was stopped because the import was closed."
    for f in queued:
        assert f.cancelled() or "stopped" in _reason(f)
    with pytest.raises(RuntimeError):
        pool.submit(news_page(), None)
    pool.close()  # idempotent
