"""The repeated headline and trailing promo/disclaimer lines leave extracted texts, and nothing else does.

Every saved real page in tests/data/news and every page of the test server is
extracted twice, with and without the cleanup, and the lines that went are
compared with the ones expected to go.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.core.ingest import text_cleanup
from app.core.ingest.extraction import ExtractOptions, extract_document
from app.core.ingest.importer import ImportOptions, import_sources
from app.core.ingest.text_cleanup import clean_text, is_title_line
from app.core.ops import library
from tests.http_server import NEWS, SAMPLE, build_article_page, build_news_page

NEWS_DIR = Path(__file__).resolve().parents[1] / "data" / "news"
GROUND_TRUTH = json.loads((NEWS_DIR / "groundtruth.json").read_text(encoding="utf-8"))
SAMPLE_LINES = [ln.strip() for ln in SAMPLE.read_text(encoding="utf-8").splitlines() if ln.strip()]
TITLE = SAMPLE_LINES[0]
PROMO = next(ln for ln in SAMPLE_LINES if ln.startswith("Cryptopolitan Academy"))
DISCLAIMER = next(ln for ln in SAMPLE_LINES if ln.startswith("Disclaimer:"))
LAST_PARAGRAPH = SAMPLE_LINES[SAMPLE_LINES.index(PROMO) - 1]

# The saved pages whose extracted text starts with the page's headline; on no saved
# page does the text end in a promo or a disclaimer.
TITLE_REPEATED = {"computerbase.de.htc.html", "futurezone.at.lyft.html", "nationalgeographic.co.uk.goats.html"}


def article_page_with_promo_inside() -> str:
    """The test server's realistic article, with the promo and the disclaimer inside <article>,
    as the site the sample comes from has them (there extraction keeps them)."""
    html = build_article_page()
    found = re.search(r'</article>\n<aside class="promo">(<p>.*?</p>)</aside>\n(<p class="disclaimer">.*?</p>)',
                      html, re.S)
    assert found is not None
    return html.replace(found.group(0), f"{found.group(1)}\n{found.group(2)}\n</article>")


def _extract_both(html: str | bytes, url: str | None, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, str]:
    """(text without cleanup, text with it, title)."""
    with monkeypatch.context() as patch:
        patch.setattr(text_cleanup, "clean_text", lambda text, _title: text)
        raw = extract_document(html, url, ExtractOptions()).text
    doc = extract_document(html, url, ExtractOptions())
    return raw, doc.text, doc.title or ""


def _removed_lines(raw: str, cleaned: str) -> list[str]:
    """The lines cut from the start and the end of ``raw``; fails if anything else changed."""
    assert cleaned in raw, "the cleanup may only cut lines at the start and the end"
    start = raw.index(cleaned)
    head, tail = raw[:start], raw[start + len(cleaned):]
    return [ln for ln in (head + "\n" + tail).split("\n") if ln.strip()]


def _found(strings: list[str], text: str) -> list[str]:
    text = " ".join(text.split())
    return [s for s in strings if " ".join(s.split()) in text]


@pytest.mark.parametrize("name", sorted(p.name for p in NEWS_DIR.glob("*.html")))
def test_saved_pages_lose_only_the_repeated_headline(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = GROUND_TRUTH.get(name, {}).get("url")
    raw, cleaned, title = _extract_both((NEWS_DIR / name).read_bytes(), url, monkeypatch)
    removed = _removed_lines(raw, cleaned)
    if name in TITLE_REPEATED:
        assert removed == [raw.split("\n")[0]] and is_title_line(removed[0], title)
    else:
        assert removed == []
    # The ground truth holds as before: no article string is lost, no boilerplate string comes back.
    truth = GROUND_TRUTH[name]
    assert _found(truth["with"], cleaned) == _found(truth["with"], raw)
    assert _found(truth["without"], cleaned) == _found(truth["without"], raw)


@pytest.mark.parametrize("index", range(len(NEWS)))
def test_server_news_pages_lose_only_their_headline(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    raw, cleaned, title = _extract_both(build_news_page(index), None, monkeypatch)
    assert _removed_lines(raw, cleaned) == [NEWS[index][1]] == [title]
    assert cleaned.split("\n")[0] == NEWS[index][3][0]


def test_realistic_page_loses_its_headline_and_the_trailing_promo_and_disclaimer(monkeypatch) -> None:
    raw, cleaned, title = _extract_both(article_page_with_promo_inside(), None, monkeypatch)
    assert title == TITLE
    assert _removed_lines(raw, cleaned) == [TITLE, PROMO, DISCLAIMER]
    assert cleaned.split("\n")[-1] == LAST_PARAGRAPH
    # The page as the server has it (promo and disclaimer outside the article): only the headline goes.
    raw, cleaned, _title = _extract_both(build_article_page(), None, monkeypatch)
    assert _removed_lines(raw, cleaned) == [TITLE]


def test_sample_text_keeps_everything_but_its_headline_and_trailing_boilerplate() -> None:
    sample = SAMPLE.read_text(encoding="utf-8").strip()
    # As a whole the sample ends with related-article teasers, which this filter leaves alone.
    assert _removed_lines(sample, clean_text(sample, TITLE)) == [TITLE]
    # Cut after the disclaimer, as a page that ends with it: exactly the promo and the disclaimer go.
    article = sample[: sample.index(DISCLAIMER) + len(DISCLAIMER)]
    assert _removed_lines(article, clean_text(article, TITLE)) == [TITLE, PROMO, DISCLAIMER]
    assert clean_text(article, TITLE).endswith(LAST_PARAGRAPH)


@pytest.mark.parametrize(("line", "title"), [
    ("High turnover hits Meta’s Llama", "High  turnover hits META’S llama."),  # whitespace, case, full stop
    ("Meta outage hits Facebook!", "Meta Outage Hits Facebook | Kulu Media"),  # the site's name after the title
    ("Schutz sensibler Daten", "Schutz sensibler Daten - CNET.de"),
])
def test_title_comparison_ignores_case_spacing_punctuation_and_site_name(line: str, title: str) -> None:
    assert is_title_line(line, title)
    assert clean_text(f"{line}\nThe article starts here.", title) == "The article starts here."


@pytest.mark.parametrize("text", [
    "Meta Outage Hits Facebook, Instagram and Messenger Worldwide\nUsers could not log in.",  # more than the title
    "Tech\nMeta Outage Hits Facebook | Kulu Media",  # the title, but not first
    "Meta Outage Hits Facebook",  # the title is all there is
])
def test_lines_that_are_not_the_repeated_title_stay(text: str) -> None:
    assert clean_text(text, "Meta Outage Hits Facebook | Kulu Media") == text


@pytest.mark.parametrize("last", [
    "Users who want the beta can register now.",  # a sentence of the article, with its full stop
    "Disclaimer: " + "the author holds no shares in the companies named in this article, he said. " * 5,  # long
    "Analysts expect Meta to hire again next year",
])
def test_article_endings_that_look_like_boilerplate_stay(last: str) -> None:
    text = f"Meta said on Monday it would rebuild the team.\n{last}"
    assert clean_text(text, "Unrelated headline") == text


def test_at_most_three_trailing_lines_go_and_only_from_the_end() -> None:
    body = "Meta said on Monday it would rebuild the team."
    text = "\n".join([body, "Subscribe now", "Disclaimer: not investment advice.", "Sign up today",
                      "Learn more", "Register Now"])
    assert clean_text(text, None).split("\n") == [body, "Subscribe now", "Disclaimer: not investment advice."]
    middle = f"{body}\nSign up today\nThe team will be rebuilt by June."
    assert clean_text(middle, None) == middle


def test_an_imported_page_is_stored_without_headline_promo_and_disclaimer(store, http_server) -> None:
    http_server.add_route("/cleanup/promo-inside.html", body=article_page_with_promo_inside())
    url = http_server.url("/cleanup/promo-inside.html")
    report = import_sources(store, [url], ImportOptions(workers=1))
    [outcome] = report.outcomes
    assert outcome.outcome == "imported", outcome.reason
    article = library.get_article(store, outcome.article_id)
    assert article.title == TITLE
    assert not article.text.startswith(TITLE)
    assert article.text.endswith(LAST_PARAGRAPH)
    assert "Register Now" not in article.text and "Disclaimer" not in article.text
