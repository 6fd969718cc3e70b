"""Assigning articles to annotators: balanced, a share to several, deterministic for a seed, stable when
articles are added; each annotator's queue; the library's "assigned to me"; the ``assign`` command."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from sqlalchemy import text

from app.cli import main
from app.core.ingest.storing import NewArticle, store_articles
from app.core.ops import library, span_edits
from app.core.team import assignment
from app.core.validation import InvalidInput

NAMES = ("ana", "ben", "cho")


def _uids(n: int, start: int = 1) -> list[tuple[int, str]]:
    return [(i, f"uid-{i}") for i in range(start, start + n)]


def test_every_article_goes_to_one_and_the_share_to_two_with_balanced_counts() -> None:
    chosen = assignment.plan(_uids(1000), NAMES, per_article=2, overlap=0.2, seed=7)
    sizes = Counter(len(group) for group in chosen.values())
    assert sizes == {1: 800, 2: 200}
    per_person = Counter(name for group in chosen.values() for name in group)
    assert sum(per_person.values()) == 1200 and max(per_person.values()) - min(per_person.values()) <= 1
    pairs = Counter(group for group in chosen.values() if len(group) == 2)
    assert set(pairs) == set(itertools.combinations(NAMES, 2))  # every pair shares articles to compare
    assert max(pairs.values()) - min(pairs.values()) <= 1


def test_the_same_seed_gives_the_same_assignment_and_another_seed_another() -> None:
    first = assignment.plan(_uids(300), NAMES, per_article=2, overlap=0.3, seed=1)
    assert assignment.plan(list(reversed(_uids(300))), NAMES, per_article=2, overlap=0.3, seed=1) == first
    other = assignment.plan(_uids(300), NAMES, per_article=2, overlap=0.3, seed=2)
    assert other != first
    assert Counter(len(g) for g in other.values()) == Counter(len(g) for g in first.values())


@pytest.mark.parametrize(("names", "per_article", "overlap", "said"), [
    ((), 2, 0.2, "at least one annotator"),
    (("ana",), 2, 0.2, "needs at least 2 annotators"),
    (NAMES, 0, 0.2, "1 or more"),
    (NAMES, 2, 1.5, "between 0 and 1"),
])
def test_impossible_requests_say_what_to_change(names, per_article, overlap, said) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match=said):
        assignment.plan(_uids(5), names, per_article=per_article, overlap=overlap, seed=0)


def _articles(store, n: int, start: int = 0) -> list[int]:  # type: ignore[no-untyped-def]
    made = store_articles(store, [NewArticle(text=f"Article number {i} about Meta and Mistral.", title=f"A{i}",
                                             source_kind="paste") for i in range(start, start + n)])
    return [o.article_id for o in made]


def _assigned(store) -> dict[int, tuple[str, ...]]:  # type: ignore[no-untyped-def]
    groups: dict[int, list[str]] = {}
    with store.begin() as conn:
        for article_id, who in conn.execute(text("SELECT article_id, annotator FROM assignment ORDER BY 1, 2")):
            groups.setdefault(article_id, []).append(who)
    return {a: tuple(g) for a, g in groups.items()}


def test_a_second_run_assigns_only_new_articles_and_keeps_the_balance(store) -> None:  # type: ignore[no-untyped-def]
    _articles(store, 60)
    report = assignment.assign(store, NAMES, per_article=2, overlap=0.2, seed=3)
    assert (report.articles, report.shared) == (60, 12)
    before = _assigned(store)
    _articles(store, 30, start=60)
    again = assignment.assign(store, NAMES, per_article=2, overlap=0.2, seed=3)
    after = _assigned(store)
    assert again.articles == 30 and {a: g for a, g in after.items() if a in before} == before
    totals = Counter(name for group in after.values() for name in group)
    assert max(totals.values()) - min(totals.values()) <= 1 and again.totals == dict(totals)


def test_only_the_chosen_status_is_assigned(store) -> None:  # type: ignore[no-untyped-def]
    ids = _articles(store, 4)
    span_edits.set_status(store, ids[:1], "done")
    assert assignment.assign(store, ["ana"], per_article=1, overlap=0, status="new").articles == 3
    assert ids[0] not in _assigned(store)


def test_the_queue_skips_what_its_annotator_finished_and_wraps_round(store) -> None:  # type: ignore[no-untyped-def]
    ids = _articles(store, 6)
    assignment.assign(store, ["ana", "ben"], per_article=2, overlap=1.0, seed=0)  # everything to both
    assert assignment.next_assigned(store, "ana") == ids[0]
    span_edits.set_status(store, [ids[1]], "done", "ana")
    span_edits.set_status(store, [ids[2]], "skipped", "ana")
    assert assignment.next_assigned(store, "ana", after=ids[0]) == ids[3]
    assert assignment.next_assigned(store, "ben", after=ids[0]) == ids[1]  # ben's own status: still new
    assert assignment.next_assigned(store, "ana", after=ids[5]) == ids[0]  # round to the start
    span_edits.set_status(store, ids, "done", "ana")
    assert assignment.next_assigned(store, "ana", after=ids[0]) is None
    assert assignment.next_assigned(store, "cho") is None and not assignment.has_assignments(store, "cho")


def test_the_library_lists_the_articles_assigned_to_me(store) -> None:  # type: ignore[no-untyped-def]
    _articles(store, 20)
    assignment.assign(store, NAMES, per_article=2, overlap=0.5, seed=5)
    mine = {a for a, group in _assigned(store).items() if "ben" in group}
    flt = library.ArticleFilter(assigned_to="ben")
    assert set(library.list_article_ids(store, flt)) == mine
    assert library.count_articles(store, flt) == len(mine)


def test_the_assign_command_reports_what_it_did(store, capsys) -> None:  # type: ignore[no-untyped-def]
    _articles(store, 10)
    path = str(store.path)
    store.close()
    assert main(["--db", path, "assign", "--annotators", "ana,ben", "--per-article", "2", "--overlap", "0.2",
                 "--seed", "4"]) == 0
    out = capsys.readouterr().out
    assert "Assigned 10 articles (2 to more than one annotator" in out
    assert "ana" in out and "ben" in out
    assert main(["--db", path, "assign", "--annotators", "ana", "--per-article", "2"]) == 2
    assert "needs at least 2 annotators" in capsys.readouterr().err


def test_runs_one_after_another_spread_the_shared_articles_over_every_pair(store) -> None:  # type: ignore[no-untyped-def]
    names = ["ana", "ben", "cho", "dan", "eve"]
    for run in range(20):  # articles arriving in small imports, assigned after each
        _articles(store, 10, start=run * 10)
        assignment.assign(store, names, per_article=2, overlap=0.2, seed=3)
    pairs = Counter(group for group in _assigned(store).values() if len(group) == 2)
    assert set(pairs) == set(itertools.combinations(names, 2))
    assert max(pairs.values()) - min(pairs.values()) <= 1
    totals = Counter(name for group in _assigned(store).values() for name in group)
    assert max(totals.values()) - min(totals.values()) <= 1
