"""Claims as records on a real SQLite dataset: the claimant link through every span edit, setting a claimant
(and undoing it), the claimant options, the effective date, and the claims listing with its filters and orders."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.core.db.store import Store
from app.core.entities import claim_links, linking, registry
from app.core.entities.claims import (
    ClaimFilter,
    check_date,
    claim_rows,
    claimants_in_use,
    count_claims,
    effective_date,
    list_claim_ids,
    list_claims,
    verdicts_in_use,
)
from app.core.ingest.storing import store_articles
from app.core.ops import span_edits
from app.core.validation import InvalidInput, NewArticle

TEXTS = [
    "Mayor Elena Vasquez said the library will cost less than the bridge. Harbor City Council approved it.",
    "Solvane Robotics said its robots halve costs, the company said. Priya Raman disagreed.",
    "According to Northgate Builders, the tower is the tallest in the county.",
]
PUBLISHED = ["2025-03-02T09:00:00+00:00", "2025-01-15", None]
SITES = ["Harbor News", None, "County Post"]


@pytest.fixture
def arts(store: Store) -> list[int]:
    store_articles(store, [NewArticle(uid=f"a{i}", text=t, title=f"Article {i}", published=PUBLISHED[i],
                                      site_name=SITES[i], url=f"https://www.site{i}.example/x")
                           for i, t in enumerate(TEXTS)])
    with store.begin() as conn:
        return [int(r[0]) for r in conn.execute(text("SELECT id FROM article ORDER BY uid"))]


def _span(store: Store, article: int, words: str, label: str, **attrs: str) -> int:
    at = TEXTS[article - 1].index(words)
    change = span_edits.add_span(store, article, at, at + len(words), label, annotator="ana",
                                 attributes=attrs or None)
    assert change.span_id is not None
    return change.span_id


def _claimant_id(store: Store, span_id: int) -> int | None:
    with store.begin() as conn:
        return conn.execute(text("SELECT claimant_id FROM span WHERE id = :i"), {"i": span_id}).scalar_one()


def test_span_state_carries_the_claimant_through_update_undo_and_removal(store: Store, arts: list[int]) -> None:
    claim = _span(store, 1, "the library will cost less than the bridge", "CLAIM", claimant="", verdict="false")
    elena = registry.create_entity(store, "PERSON", "Elena Vasquez").entity_ids[0]
    change = span_edits.update_span(store, claim, attributes={"claimant": "Elena Vasquez", "verdict": "false"},
                                    claimant_id=elena)
    assert change.before["claimant_id"] is None and change.after["claimant_id"] == elena
    assert _claimant_id(store, claim) == elena
    # An attributes-only edit keeps the link, and its state says so.
    note = span_edits.update_span(store, claim, attributes={"claimant": "Elena Vasquez", "note": "x"})
    assert note.before["claimant_id"] == note.after["claimant_id"] == elena == _claimant_id(store, claim)
    # Undo of the link, as the gateway does it: the state before.
    span_edits.update_span(store, claim, attributes=change.before["attributes"],
                           claimant_id=change.before["claimant_id"])
    assert _claimant_id(store, claim) is None
    span_edits.update_span(store, claim, claimant_id=elena)
    # Removed, then put back from its state (undo of a deletion): the claimant comes back.
    removed = span_edits.remove_span(store, claim)
    state = removed.before
    assert state["claimant_id"] == elena
    back = span_edits.add_span(store, state["article_id"], state["start"], state["end"], state["label"],
                               annotator=state["annotator"], attributes=state["attributes"], span_id=claim,
                               claimant_id=state["claimant_id"])
    assert back.after["claimant_id"] == elena == _claimant_id(store, claim)
    # A claimant that is gone meanwhile is not linked, and an update naming it is refused.
    registry.delete_entity(store, elena)
    assert _claimant_id(store, claim) is None
    with pytest.raises(InvalidInput):
        span_edits.update_span(store, claim, claimant_id=elena)


def test_set_claimant_with_a_new_entity_and_its_undo(store: Store, arts: list[int]) -> None:
    claim = _span(store, 2, "its robots halve costs", "CLAIM", claimant="", verdict="unverified", note="")
    change = claim_links.set_claimant(store, claim, " Solvane  Robotics ", new_kind="ORG")
    made = change.after["made_entity"]
    assert made["name"] == "Solvane Robotics" and made["kind"] == "ORG"
    assert _claimant_id(store, claim) == made["id"] and change.entity_ids == (made["id"],)
    assert span_edits.read_span(store, claim)["attributes"] == {"claimant": "Solvane Robotics",
                                                                "verdict": "unverified", "note": ""}
    claim_links.undo_set_claimant(store, change)
    assert _claimant_id(store, claim) is None
    assert span_edits.read_span(store, claim)["attributes"]["claimant"] == ""
    with pytest.raises(InvalidInput):
        registry.read_entity(store, made["id"])
    # A free name keeps the claim unlinked.
    claim_links.set_claimant(store, claim, "a spokesperson")
    assert _claimant_id(store, claim) is None
    # A failed link (the span is gone) leaves no entity behind.
    span_edits.remove_span(store, claim)
    with pytest.raises(InvalidInput):
        claim_links.set_claimant(store, claim, "Nobody Known", new_kind="PERSON")
    with store.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM entity")).scalar_one() == 0


def test_claimant_options_proposal_first_then_article_then_registry_then_new(store: Store, arts: list[int]) -> None:
    _span(store, 1, "Elena Vasquez", "PERSON")
    _span(store, 1, "Harbor City Council", "ORG")
    claim = (TEXTS[0].index("the library"), TEXTS[0].index(" Harbor") - 1)
    council = registry.create_entity(store, "ORG", "Harbor City Council").entity_ids[0]
    two = [registry.create_entity(store, "PERSON", n, aliases=["Vasquez"]).entity_ids[0]
           for n in ("Elena Vasquez", "Rita Vasquez")]
    mentions = claim_links.article_mentions(store, 1)
    options = claim_links.article_options(store, TEXTS[0], claim, mentions)
    # The speaker first, linked to the one entity of her name; the council, from the registry, after her.
    assert [(o.name, o.entity_id, o.source) for o in options] == [
        ("Elena Vasquez", two[0], "proposed"), ("Harbor City Council", council, "article")]
    assert "said" in options[0].detail
    # A linked mention offers its own entity.
    linking.link_spans(store, [s for s in _ids(store, 1, "PERSON")], two[1])
    options = claim_links.article_options(store, TEXTS[0], claim, claim_links.article_mentions(store, 1))
    assert options[0].entity_id == two[1] and options[0].name == "Rita Vasquez"
    # Typed text: the registry by name or alias, those starting with it first.
    found = claim_links.registry_options(store, "vasq")
    assert {o.entity_id for o in found} == set(two) and all("Vasquez" in o.detail for o in found)
    assert [o.entity_id for o in claim_links.registry_options(store, "city coun")] == [council]
    assert [o.entity_id for o in claim_links.registry_options(store, "harbor")] == [council]
    assert claim_links.registry_options(store, "zzz") == []
    assert [(o.name, o.new_kind) for o in claim_links.new_options(" Ana  Lind ", ["PERSON", "ORG"])] == [
        ("Ana Lind", "PERSON"), ("Ana Lind", "ORG")]
    assert claim_links.new_options(" - ", ["PERSON"]) == []
    # A name of two entities links neither; a name of one links it.
    assert claim_links.exact_entity(store, "vasquez") is None
    assert claim_links.exact_entity(store, "harbor city council") == council


def test_an_unlinked_mention_no_entity_names_offers_a_new_entity(store: Store, arts: list[int]) -> None:
    _span(store, 3, "Northgate Builders", "ORG")
    claim = (TEXTS[2].index("the tower"), len(TEXTS[2]) - 1)
    [option] = claim_links.article_options(store, TEXTS[2], claim, claim_links.article_mentions(store, 3))
    assert (option.name, option.entity_id, option.new_kind, option.source) == (
        "Northgate Builders", None, "ORG", "proposed")


def _ids(store: Store, article: int, label: str) -> list[int]:
    with store.begin() as conn:
        return [int(r[0]) for r in conn.execute(text(
            "SELECT span.id FROM span JOIN label ON label.id = span.label_id WHERE article_id = :a AND "
            "label.name = :l"), {"a": article, "l": label})]


def test_effective_date_and_date_checks() -> None:
    assert effective_date({"date": "2024-12-01"}, "2025-01-01T10:00:00Z") == "2024-12-01"
    assert effective_date({"date": ""}, "2025-01-01T10:00:00Z") == "2025-01-01"
    assert effective_date({}, None) == ""
    assert check_date(" 2025-02-28 ") == "2025-02-28" and check_date("") == ""
    for bad in ("2025-02-30", "yesterday", "2025/02/01"):
        with pytest.raises(ValueError):
            check_date(bad)


@pytest.fixture
def claims(store: Store, arts: list[int]) -> dict[str, int]:
    elena = registry.create_entity(store, "PERSON", "Elena Vasquez").entity_ids[0]
    solvane = registry.create_entity(store, "ORG", "Solvane Robotics").entity_ids[0]
    ids = {
        "library": _span(store, 1, "the library will cost less than the bridge", "CLAIM", claimant="Elena Vasquez",
                         verdict="false", note="budget"),
        "robots": _span(store, 2, "its robots halve costs", "CLAIM", claimant="Solvane", verdict="true",
                        date="2024-12-24"),
        "tower": _span(store, 3, "the tower is the tallest in the county", "CLAIM", claimant="Northgate",
                       verdict="unverified"),
    }
    span_edits.update_span(store, ids["library"], claimant_id=elena)
    span_edits.update_span(store, ids["robots"], claimant_id=solvane)
    _span(store, 1, "Elena Vasquez", "PERSON")
    return {**ids, "elena": elena, "solvane": solvane}


def test_claim_rows_hold_the_record(store: Store, claims: dict[str, int]) -> None:
    rows = claim_rows(store, [claims["library"], claims["robots"], claims["tower"], 999])
    library, robots, tower = rows[claims["library"]], rows[claims["robots"]], rows[claims["tower"]]
    assert (library.claimant, library.claimant_id, library.verdict, library.site, library.date, library.title,
            library.note, library.label) == ("Elena Vasquez", claims["elena"], "false", "Harbor News", "2025-03-02",
                                             "Article 0", "budget", "CLAIM")
    assert (robots.claimant, robots.date, robots.site) == ("Solvane Robotics", "2024-12-24", "site1.example")
    assert (tower.claimant, tower.claimant_id, tower.claimant_kind, tower.date) == ("Northgate", None, "", "")
    assert library.claimant_kind == "PERSON" and robots.claimant_kind == "ORG"
    assert 999 not in rows
    # Renaming the entity renames the claimant shown.
    registry.rename_entity(store, claims["elena"], "Elena M. Vasquez")
    assert claim_rows(store, [claims["library"]])[claims["library"]].claimant == "Elena M. Vasquez"


@pytest.mark.parametrize(("flt", "expected"), [
    (ClaimFilter(), ["library", "robots", "tower"]),
    (ClaimFilter(claimant_id=-1), []),
    (ClaimFilter(verdict="true"), ["robots"]),
    (ClaimFilter(label="CLAIM"), ["library", "robots", "tower"]),
    (ClaimFilter(label="PERSON"), []),
    (ClaimFilter(date_from="2025-01-01"), ["library"]),
    (ClaimFilter(date_to="2024-12-31"), ["robots"]),
    (ClaimFilter(date_from="2024-12-24", date_to="2025-03-02"), ["library", "robots"]),
    (ClaimFilter(search="TOWER"), ["tower"]),
    (ClaimFilter(search="vasq"), ["library"]),
    (ClaimFilter(search="100%_"), []),
])
def test_filters(store: Store, claims: dict[str, int], flt: ClaimFilter, expected: list[str]) -> None:
    want = [claims[name] for name in expected]
    assert list_claim_ids(store, flt) == want
    assert count_claims(store, flt) == len(want)
    assert [r.span_id for r in list_claims(store, flt)] == want


def test_filter_by_claimant_and_keywords(store: Store, claims: dict[str, int]) -> None:
    assert list_claim_ids(store, claimant_id=claims["solvane"]) == [claims["robots"]]
    assert count_claims(store, claimant_id=claims["elena"], verdict="false") == 1
    assert claimants_in_use(store) == [(claims["elena"], "Elena Vasquez", 1), (claims["solvane"], "Solvane Robotics", 1)]
    assert verdicts_in_use(store) == ["false", "true", "unverified"]


@pytest.mark.parametrize(("sort", "expected"), [
    ("article", ["library", "robots", "tower"]),
    ("date", ["tower", "robots", "library"]),
    ("claimant", ["library", "tower", "robots"]),
    ("verdict", ["library", "robots", "tower"]),
    ("site", ["robots", "tower", "library"]),
    ("title", ["library", "robots", "tower"]),
    ("text", ["robots", "library", "tower"]),
])
def test_orders_and_pages(store: Store, claims: dict[str, int], sort: str, expected: list[str]) -> None:
    want = [claims[name] for name in expected]
    assert list_claim_ids(store, sort=sort) == want
    assert list_claim_ids(store, sort=sort, descending=True) == want[::-1]
    assert [r.span_id for r in list_claims(store, sort=sort, offset=1, limit=1)] == want[1:2]
    assert list_claim_ids(store, sort=sort, offset=2, limit=5) == want[2:]


def test_an_unknown_order_is_refused(store: Store, claims: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        list_claim_ids(store, sort="article.text; DROP TABLE span")
