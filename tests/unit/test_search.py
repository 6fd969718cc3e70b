"""Full-text search, keyset paging, filters and counts of the library view."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.core.db import search_backend
from app.core.db.search_backend import query_terms
from app.core.db.store import Store, open_store
from app.core.ingest import storing as articles
from app.core.ingest.storing import store_articles
from app.core.ops import library, span_edits
from app.core.ops.library import ArticleFilter, ArticleRow
from app.core.validation import NewArticle

SORTS = ("id", "title", "updated", "status")


def _store(store: Store, items: list[dict[str, Any]]) -> list[int]:
    outcomes = store_articles(store, [NewArticle(**item) for item in items])
    assert all(o.outcome == "imported" for o in outcomes), outcomes
    return [o.article_id for o in outcomes]


def _ids(rows: list[ArticleRow]) -> list[int]:
    return [r.id for r in rows]


@pytest.fixture
def news(store: Store) -> dict[str, int]:
    """A handful of articles with known words in known places."""
    items = {
        "mistral": dict(title="Mistral raises money", text="The Paris start-up founded by Timothée Lacroix grew fast."),
        "llama": dict(title="Meta’s Llama team leaves", text="Eleven of fourteen researchers have departed from Meta."),
        "gold": dict(title="Gold at a record high", text="Precious metals rallied; silver and platinum followed."),
        "bitcoin": dict(title="Bitcoin dips", text="Bitcoin fell to $87,458 amid low trading volumes."),
        "plain": dict(title="", text="Timothee without an accent, and the word goldsmith."),
        "cpp": dict(title="Why C++ still matters", text="Systems code in C++ and Rust; -6 degrees outside."),
    }
    ids = _store(store, list(items.values()))
    return dict(zip(items, ids, strict=True))


def test_finds_words_in_title_and_text(store: Store, news: dict[str, int]) -> None:
    assert _ids(library.search(store, "raises")) == [news["mistral"]]  # title only
    assert _ids(library.search(store, "departed")) == [news["llama"]]  # text only
    assert set(_ids(library.search(store, "bitcoin"))) == {news["bitcoin"]}  # both
    assert _ids(library.search(store, "nonexistentword")) == []


def test_title_matches_rank_above_text_matches(store: Store) -> None:
    ids = _store(
        store,
        [
            dict(title="Weather report", text="Rain again. Nothing about the company here at all, " * 3 + "Meta."),
            dict(title="Meta announces a new model", text="A long article about something else. " * 3),
        ],
    )
    assert _ids(library.search(store, "meta")) == [ids[1], ids[0]]


def test_search_is_case_and_diacritics_insensitive(store: Store, news: dict[str, int]) -> None:
    both = {news["mistral"], news["plain"]}
    for query in ("timothee", "Timothée", "TIMOTHÉE", "timothée", "Timothee"):
        assert set(_ids(library.search(store, query))) == both, query


def test_decomposed_accents_in_the_query(store: Store, news: dict[str, int]) -> None:
    """Text pasted in NFD (e + U+0301, as some systems produce) is the same word."""
    both = {news["mistral"], news["plain"]}
    for query in ("Timothée", "TIMOTHÉE Lacroix"):
        nfd = unicodedata.normalize("NFD", query)
        assert nfd != query
        assert set(_ids(library.search(store, nfd))) >= {news["mistral"]}, query
    assert set(_ids(library.search(store, unicodedata.normalize("NFD", "timothée")))) == both


def test_decomposed_accents_in_the_text(store: Store) -> None:
    (nfd_id,) = _store(store, [dict(text=unicodedata.normalize("NFD", "Amélie Lefèvre signe un accord."))])
    assert _ids(library.search(store, "amelie lefevre")) == [nfd_id]
    assert _ids(library.search(store, "Amélie Lefèvre")) == [nfd_id]


def test_words_with_combining_vowel_signs(store: Store) -> None:
    # Devanagari vowel signs and viramas are combining marks inside one word.
    (hindi,) = _store(store, [dict(text="हिन्दी समाचार और भारत")])
    for query in ("हिन्दी", "समाचार", "हिन्", "भारत समा"):
        assert _ids(library.search(store, query)) == [hindi], query
        assert library.count_articles(store, ArticleFilter(query=query)) == 1, query


def test_other_scripts(store: Store) -> None:
    ids = _store(store, [dict(text="Новости Москвы сегодня"), dict(text="Ελληνικά νέα για την Αθήνα")])
    assert _ids(library.search(store, "москвы")) == [ids[0]]
    assert _ids(library.search(store, "НОВОСТ")) == [ids[0]]
    assert _ids(library.search(store, "Αθήνα")) == [ids[1]]


def test_curly_apostrophe_splits_words(store: Store, news: dict[str, int]) -> None:
    assert _ids(library.search(store, "meta’s llama")) == [news["llama"]]
    assert _ids(library.search(store, "Llama")) == [news["llama"]]


def test_last_word_is_a_prefix(store: Store, news: dict[str, int]) -> None:
    assert set(_ids(library.search(store, "gold"))) == {news["gold"], news["plain"]}  # goldsmith too
    assert _ids(library.search(store, "lacr")) == [news["mistral"]]
    assert _ids(library.search(store, "timothée lacr")) == [news["mistral"]]
    # Only the last word is a prefix: "lacr" as a finished word matches nothing.
    assert _ids(library.search(store, "lacr timothee")) == []


def test_whole_words_rank_before_prefix_matches(store: Store) -> None:
    longer, whole = _store(
        store,
        [dict(title="Metadata", text="Metadata, metadata and more metadata."),
         dict(title="Shares", text="A long note on markets that mentions meta once, among many other words.")],
    )
    assert _ids(library.search(store, "meta")) == [whole, longer]
    assert _ids(library.search(store, "meta", 1)) == [whole]
    assert _ids(library.search(store, "metad")) == [longer]


def test_all_words_must_match(store: Store, news: dict[str, int]) -> None:
    assert _ids(library.search(store, "bitcoin volumes")) == [news["bitcoin"]]
    assert _ids(library.search(store, "bitcoin platinum")) == []


def test_punctuation_is_not_syntax(store: Store, news: dict[str, int]) -> None:
    assert _ids(library.search(store, "C++")) == [news["cpp"]]
    assert _ids(library.search(store, "-6")) == [news["cpp"]]
    assert _ids(library.search(store, "$87,458")) == [news["bitcoin"]]
    assert _ids(library.search(store, "NOT gold")) == []  # NOT is a word here, and no article has it


def test_ranking_is_exact_below_the_candidate_cap(store: Store) -> None:
    # The best match is the oldest: ranking must not prefer recent articles when it can afford all.
    best = _store(store, [dict(title="Llama Llama", text="Llama, llama and llama again.")])[0]
    _store(store, [dict(title=f"Note {i}", text=f"Filler text number {i}, and one llama.") for i in range(40)])
    assert library.search(store, "llama", 5)[0].id == best


def test_very_common_words_rank_the_newest_matches(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past RANK_CANDIDATES matches only the newest are scored (bm25 over 100k rows is too slow)."""
    old = _store(store, [dict(title="Llama Llama", text="Llama, llama and llama again.")])[0]
    newer = _store(store, [dict(title=f"Note {i}", text=f"Filler text number {i}, and one llama.") for i in range(10)])
    monkeypatch.setattr(search_backend, "RANK_CANDIDATES", 4)
    found = _ids(library.search(store, "llama", 50))
    assert sorted(found) == sorted(newer[-4:])
    assert old not in found
    # Listing by query is not capped: every match is there.
    assert library.count_articles(store, ArticleFilter(query="llama")) == 11
    assert len(library.list_articles(store, ArticleFilter(query="llama"), limit=100)) == 11


def test_limit_is_respected(store: Store) -> None:
    _store(store, [dict(text=f"Common word and number {i}.") for i in range(30)])
    assert len(library.search(store, "common", 10)) == 10
    assert len(library.search(store, "common", 100)) == 30


def test_search_rows_carry_span_counts(store: Store, news: dict[str, int]) -> None:
    span_edits.add_span(store, news["gold"], 0, 8, "CLAIM", annotator="ann")
    (row,) = library.search(store, "platinum")
    assert row.span_counts == {"CLAIM": 1}
    assert row.status == "in_progress"


def test_deleted_and_new_articles_follow_the_index(store: Store, news: dict[str, int]) -> None:
    span_edits.delete_articles(store, [news["gold"]])
    assert _ids(library.search(store, "platinum")) == []
    assert library.count_articles(store, ArticleFilter(query="platinum")) == 0
    (new_id,) = _store(store, [dict(title="Platinum again", text="A new article.")])
    assert _ids(library.search(store, "platinum")) == [new_id]


# --- keyset paging -------------------------------------------------------------------------------

TITLES = ["Alpha", "alpha", "Beta", "Été", "Zulu", "", "Ärger", "beta", "Omega", "Alpha", "Ωmega", "123"]
STATUSES = ["new", "in_progress", "done", "skipped"]


@pytest.fixture(scope="module")
def library_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """About 80 articles with repeated titles and many equal timestamps, the cases paging gets wrong.

    Shared by the module's tests, which only read it.
    """
    store = open_store(tmp_path_factory.mktemp("library") / "library.sqlite")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _fill_library(store, monkeypatch)
    yield store
    store.close()


def _fill_library(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    clock = iter(datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC) + timedelta(seconds=s) for s in range(1000))
    # Whole seconds (microsecond 0) are where the stored text of a timestamp and its
    # datetime can disagree ("12:00:00" vs "12:00:00.000000"); a real clock hits them rarely.
    monkeypatch.setattr(articles, "utcnow", lambda: next(clock))
    monkeypatch.setattr(span_edits, "db_timestamp", lambda: next(clock).replace(tzinfo=None))
    n = 0
    for batch in range(8):
        items = []
        for _ in range(rng.randint(5, 15)):
            n += 1
            items.append(
                dict(
                    title=rng.choice(TITLES),
                    text=f"Article {n} of batch {batch}. " + rng.choice(["meta llama", "gold price", "mistral"]),
                )
            )
        _store(store, items)
    ids = [r.id for r in library.list_articles(store, limit=10_000)]
    for art in rng.sample(ids, 25):
        span_edits.add_span(store, art, 0, 7, rng.choice(["PERSON", "ORG", "CLAIM"]), annotator="ann")
    for status in STATUSES:
        span_edits.set_status(store, rng.sample(ids, 6), status)


def _walk(store: Store, sort: str, descending: bool, flt: ArticleFilter = ArticleFilter(), limit: int = 7) -> list[ArticleRow]:
    rows: list[ArticleRow] = []
    after = None
    while True:
        page = library.list_articles(store, flt, sort=sort, descending=descending, after=after, limit=limit)
        if not page:
            return rows
        assert len(page) <= limit
        rows.extend(page)
        assert len(rows) <= 10_000, "paging does not advance"
        after = library.sort_key(page[-1], sort)


def _expected(store: Store, sort: str, descending: bool, flt: ArticleFilter = ArticleFilter()) -> list[int]:
    everything = library.list_articles(store, flt, limit=100_000)
    key = {"id": lambda r: (r.id, 0), "title": lambda r: (r.title, r.id), "updated": lambda r: (r.updated_at, r.id),
           "status": lambda r: (r.status, r.id)}[sort]
    return _ids(sorted(everything, key=key, reverse=descending))


def test_fixture_has_ties(library_store: Store) -> None:
    rows = library.list_articles(library_store, limit=10_000)
    assert len({r.title for r in rows}) < len(rows) / 3
    assert len({r.updated_at for r in rows}) < len(rows) / 2


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("limit", [1, 7, 50])
def test_keyset_paging_walks_every_article_once(library_store: Store, sort: str, descending: bool, limit: int) -> None:
    walked = _ids(_walk(library_store, sort, descending, limit=limit))
    assert len(walked) == len(set(walked)) == library.count_articles(library_store)
    assert walked == _expected(library_store, sort, descending)


FILTERS = {
    "status": ArticleFilter(statuses=("done",)),
    "two-statuses": ArticleFilter(statuses=("new", "skipped")),
    "has-label": ArticleFilter(has_label="PERSON"),
    "lacks-label": ArticleFilter(lacks_label="CLAIM"),
    "query": ArticleFilter(query="gold"),
    "query-and-status": ArticleFilter(query="meta", statuses=("new", "in_progress")),
    "everything": ArticleFilter(statuses=("in_progress",), query="article", has_label="ORG", lacks_label="PERSON"),
}


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("name", FILTERS)
def test_filtered_paging_and_counts(library_store: Store, name: str, sort: str, descending: bool) -> None:
    flt = FILTERS[name]
    walked = _walk(library_store, sort, descending, flt, limit=4)
    assert _ids(walked) == _expected(library_store, sort, descending, flt)
    assert library.count_articles(library_store, flt) == len(walked)


def test_filters_select_the_right_articles(library_store: Store) -> None:
    with library_store.begin() as conn:
        facts = {
            r[0]: (r[1], set(filter(None, (r[2] or "").split(","))), r[3])
            for r in conn.execute(
                text(
                    "SELECT article.id, status, group_concat(label.name), article.text FROM article "
                    "LEFT JOIN span ON span.article_id = article.id LEFT JOIN label ON label.id = span.label_id "
                    "GROUP BY article.id"
                )
            )
        }
    checks = {
        "status": lambda st, labels, txt: st == "done",
        "two-statuses": lambda st, labels, txt: st in ("new", "skipped"),
        "has-label": lambda st, labels, txt: "PERSON" in labels,
        "lacks-label": lambda st, labels, txt: "CLAIM" not in labels,
        "query": lambda st, labels, txt: "gold" in txt,
        "query-and-status": lambda st, labels, txt: "meta" in txt and st in ("new", "in_progress"),
        "everything": lambda st, labels, txt: st == "in_progress" and "ORG" in labels and "PERSON" not in labels,
    }
    for name, check in checks.items():
        expected = sorted(i for i, (st, labels, txt) in facts.items() if check(st, labels, txt))
        assert expected, f"the fixture should have articles for {name}"
        got = _ids(library.list_articles(library_store, FILTERS[name], limit=10_000))
        assert got == expected, name


def test_status_counts_match(library_store: Store) -> None:
    counts = library.status_counts(library_store)
    assert sum(counts.values()) == library.count_articles(library_store)
    for status, n in counts.items():
        assert library.count_articles(library_store, ArticleFilter(statuses=(status,))) == n


def test_unknown_label_filters(library_store: Store) -> None:
    assert library.list_articles(library_store, ArticleFilter(has_label="NOPE")) == []
    assert library.count_articles(library_store, ArticleFilter(lacks_label="NOPE")) == library.count_articles(library_store)


def test_listing_an_empty_dataset(store: Store) -> None:
    for sort in SORTS:
        assert library.list_articles(store, sort=sort) == []
    assert library.count_articles(store) == 0
    assert library.status_counts(store) == {}


# --- any text a user can type --------------------------------------------------------------------

NASTY = [
    "", " ", '"', "'", '""', '"unbalanced', "-6", "C++", "AND", "OR", "NOT", "a AND", "OR b", "NOT NOT",
    "NEAR(", "NEAR(a b, 3)", "NEAR/3", "(", ")", "((meta", "meta))", "*", "meta*", "*meta", "^", "^meta",
    ":", "title:", "text:meta", "{title text}: meta", "-title:x", "+", "-", "😀", "😀meta", "meta😀",
    "\x00", "meta\x00gold", "_", "__init__", "\u0301", "e\u0301", "ǅ", "ⅷ", "¹²³", "\ufeff", "\u200b",
    "\U0010ffff", "'; DROP TABLE article; --", "%", "_%", "\\", "a" * 5000, "meta " * 200,
]

queries = st.one_of(
    st.text(),
    # Every category a str can hold (surrogates cannot be encoded, so they are not text).
    st.text(st.characters(exclude_categories=["Cs"]), max_size=50),
    st.lists(st.sampled_from(NASTY[:50] + ["meta", "gold", "llama"]), max_size=8).map(" ".join),
)


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite")
    sample = (Path(__file__).parent.parent / "data" / "meta-llama-turnover.txt").read_text(encoding="utf-8")
    paragraphs = [p for p in sample.split("\n") if p.strip()]
    _store(store, [dict(title=p[:60], text=p) for p in dict.fromkeys(paragraphs)])
    _store(store, [dict(title="Odd", text="C++ -6 AND OR NOT NEAR title: text: 😀 Timothée _under_score")])
    yield store
    store.close()


def _nasty_examples(test: Any) -> Any:
    """Every string of NASTY as an explicit example, run before the generated ones."""
    for query in [*NASTY, " ".join(NASTY)]:
        test = example(query=query)(test)
    return test


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@_nasty_examples
@given(query=queries)
def test_any_query_is_safe(fuzz_store: Store, query: str) -> None:
    found = library.search(fuzz_store, query, 20)
    assert isinstance(found, list) and len(found) <= 20
    assert all(isinstance(r, ArticleRow) for r in found)
    n = library.count_articles(fuzz_store, ArticleFilter(query=query))
    assert isinstance(n, int)
    for sort in SORTS:
        page = library.list_articles(fuzz_store, ArticleFilter(query=query), sort=sort, descending=True, limit=1000)
        assert isinstance(page, list)
        assert len(page) == n
        assert {r.id for r in found} <= {r.id for r in page}
    if not query.strip():
        assert found == [] and n == library.count_articles(fuzz_store)  # no query: no filter
    elif not query_terms(query):
        assert found == [] and n == 0  # nothing searchable: nothing matches


def test_nasty_words_are_still_found(fuzz_store: Store) -> None:
    odd = library.search(fuzz_store, "under_score")[0].id
    for query in ("C++", "-6", "NEAR", "title:", "under_score", "😀 timothee", "AND", "OR", "NOT"):
        found = [r.id for r in library.list_articles(fuzz_store, ArticleFilter(query=query), limit=1000)]
        assert odd in found, query
