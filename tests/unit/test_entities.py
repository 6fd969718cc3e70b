"""The entity registry on a real SQLite dataset: every edit, its undo, matching, the queries."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.core.changes import ChangeKind
from app.core.db.store import Store
from app.core.entities import linking, queries, registry
from app.core.entities.history import undo
from app.core.entities.matching import normalise, propose
from app.core.ingest.storing import store_articles
from app.core.ops import span_edits
from app.core.validation import InvalidInput, NewArticle

TEXTS = [
    "Jean-Luc Martinet met Meta's lawyers. Later Martinet said Meta Platforms would pay.",
    "Facebook, now Meta, hired Claire Martinet. Martinet declined to comment.",
]


# (article, the text just before the span or "", the span's text, label)
SPANS = [
    (1, "", "Jean-Luc Martinet", "PERSON"), (1, "met ", "Meta's", "ORG"), (1, "Later ", "Martinet", "PERSON"),
    (1, "said ", "Meta Platforms", "ORG"), (2, "", "Facebook", "ORG"), (2, "now ", "Meta", "ORG"),
    (2, "hired ", "Claire Martinet", "PERSON"), (2, ". ", "Martinet", "PERSON"),
]


def _spans(store: Store) -> dict[str, list[int]]:
    """The spans of SPANS, by their text."""
    store_articles(store, [NewArticle(uid=f"a{i}", text=t) for i, t in enumerate(TEXTS)])
    found: dict[str, list[int]] = {}
    for article_id, before, surface, label in SPANS:
        start = TEXTS[article_id - 1].index(before + surface) + len(before)
        changes = span_edits.add_span(store, article_id, start, start + len(surface), label, annotator="ana")
        found.setdefault(surface, []).append(changes.span_id)  # type: ignore[arg-type]
    return found


def _links(store: Store) -> dict[int, int | None]:
    with store.begin() as conn:
        return {int(i): e for i, e in conn.execute(text("SELECT id, entity_id FROM span ORDER BY id"))}


def _new(store: Store, kind: str, name: str, **kw: object) -> int:
    return registry.create_entity(store, kind, name, **kw).entity_ids[0]  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "key"), [
    ("Meta's", "meta"), ("META’s", "meta"), ("the Martinets'", "the martinets"), ("Élysée", "elysee"),
    ("  Jean-Luc \n Martinet ", "jean-luc martinet"), ("Straße", "strasse"), ("ﬁnance", "finance"), ("'s", "'s"),
    ("   ", ""),
])
def test_normalise(name: str, key: str) -> None:
    assert normalise(name) == key


def test_propose_returns_every_entity_a_name_matches_never_one_guessed(store: Store) -> None:
    jean = _new(store, "PERSON", "Jean-Luc Martinet", aliases=["Martinet"])
    claire = _new(store, "PERSON", "Claire Martinet", aliases=["martinet"])
    meta = _new(store, "ORG", "Meta", aliases=["Facebook", "Meta Platforms"])
    assert propose(store, "MARTINET", "PERSON") == [jean, claire]
    assert propose(store, "Martinet", "ORG") == []
    assert propose(store, "Meta's", "ORG") == [meta] == propose(store, "facebook")
    assert propose(store, "Claire  Martinet", "PERSON") == [claire]
    assert propose(store, "", "PERSON") == []


def test_each_registry_edit_is_undone_by_its_inverse(store: Store) -> None:
    created = registry.create_entity(store, "ORG", "Meta", external_id=" Q380 ")
    meta = created.entity_ids[0]
    assert created.kind is ChangeKind.ENTITIES_CHANGED and created.touches_entities()
    first = registry.read_entity(store, meta)
    assert first["external_id"] == "Q380" and first["aliases"] == []
    steps = [registry.rename_entity(store, meta, "Meta Platforms"), registry.add_alias(store, meta, "Facebook"),
             registry.set_entity_details(store, meta, external_id="https://www.wikidata.org/wiki/Q380",
                                         note="Parent of Facebook"),
             registry.remove_alias(store, meta, "FACEBOOK")]
    final = registry.read_entity(store, meta)
    assert (final["name"], final["aliases"], final["note"]) == ("Meta Platforms", [], "Parent of Facebook")
    for changes in reversed(steps):
        undo(store, changes)
    back = registry.read_entity(store, meta)
    assert {k: back[k] for k in ("name", "aliases", "external_id", "note")} == \
        {"name": "Meta", "aliases": [], "external_id": "Q380", "note": ""}
    undo(store, created)
    with pytest.raises(InvalidInput):
        registry.read_entity(store, meta)


def test_names_are_checked(store: Store) -> None:
    meta = _new(store, "ORG", "Meta", aliases=["Facebook"])
    with pytest.raises(InvalidInput, match="already a name"):
        registry.add_alias(store, meta, "facebook")
    with pytest.raises(InvalidInput, match="already a name"):
        registry.add_alias(store, meta, "META")
    with pytest.raises(InvalidInput, match="claim label"):
        registry.create_entity(store, "CLAIM", "Meta")
    with pytest.raises(InvalidInput, match="letters or digits"):
        registry.create_entity(store, "ORG", " ' ")
    with pytest.raises(InvalidInput, match="alias"):
        registry.rename_entity(store, meta, "Facebook")


def test_linking_and_unlinking_are_undone(store: Store) -> None:
    spans = _spans(store)
    jean = _new(store, "PERSON", "Jean-Luc Martinet")
    meta = _new(store, "ORG", "Meta")
    start = _links(store)
    linked = linking.link_spans(store, spans["Jean-Luc Martinet"] + spans["Martinet"][:1], jean)
    assert linked.kind is ChangeKind.SPANS_LINKED and linked.touches_entity(jean) and linked.article_ids == (1,)
    with pytest.raises(InvalidInput, match="own label"):
        linking.link_spans(store, spans["Meta's"], jean)
    linking.link_spans(store, spans["Meta's"], meta)
    relinked = linking.link_spans(store, spans["Martinet"][:1], None)
    assert _links(store)[spans["Martinet"][0]] is None
    undo(store, relinked)
    assert _links(store)[spans["Martinet"][0]] == jean
    assert queries.count_mentions(store, jean) == 2
    undo(store, linked)
    after = _links(store)
    assert {i: after[i] for i in spans["Jean-Luc Martinet"]} == {i: start[i] for i in spans["Jean-Luc Martinet"]}


def test_merge_keeps_every_mention_and_is_undone(store: Store) -> None:
    spans = _spans(store)
    meta = _new(store, "ORG", "Meta", aliases=["Meta Platforms"])
    facebook = _new(store, "ORG", "Facebook", aliases=["FB", "meta platforms"], external_id="Q380")
    linking.link_spans(store, spans["Meta's"] + spans["Meta"], meta)
    linking.link_spans(store, spans["Facebook"] + spans["Meta Platforms"], facebook)
    before = _links(store)
    merged = linking.merge_entities(store, meta, facebook)
    assert set(merged.entity_ids) == {meta, facebook} and merged.touches_entities()
    state = registry.read_entity(store, meta)
    assert state["aliases"] == ["Meta Platforms", "Facebook", "FB"] and state["external_id"] == "Q380"
    assert queries.count_mentions(store, meta) == 4
    assert all(e == meta for e in _links(store).values() if e is not None)
    assert propose(store, "fb", "ORG") == [meta]
    undo(store, merged)
    assert _links(store) == before
    assert registry.read_entity(store, meta)["aliases"] == ["Meta Platforms"]
    restored = registry.read_entity(store, facebook)
    assert (restored["aliases"], restored["external_id"]) == (["FB", "meta platforms"], "Q380")
    assert registry.read_entity(store, meta)["external_id"] == ""
    with pytest.raises(InvalidInput, match="itself"):
        linking.merge_entities(store, meta, meta)


def test_split_moves_the_chosen_mentions_and_is_undone(store: Store) -> None:
    spans = _spans(store)
    martinet = _new(store, "PERSON", "Martinet")
    all_of_them = spans["Martinet"]
    assert len(all_of_them) == 2
    linking.link_spans(store, all_of_them, martinet)
    split = linking.split_entity(store, martinet, all_of_them[1:], "Claire Martinet")
    claire = split.after["entity_id"]
    assert queries.count_mentions(store, martinet) == 1 and queries.count_mentions(store, claire) == 1
    assert propose(store, "Claire Martinet", "PERSON") == [claire]
    with pytest.raises(InvalidInput, match="Only mentions"):
        linking.split_entity(store, martinet, all_of_them[1:], "Someone")
    undo(store, split)
    assert queries.count_mentions(store, martinet) == 2
    with pytest.raises(InvalidInput):
        registry.read_entity(store, claire)


def test_deleting_an_entity_unlinks_its_mentions_and_undo_links_them_again(store: Store) -> None:
    spans = _spans(store)
    meta = _new(store, "ORG", "Meta", aliases=["Facebook"])
    linking.link_spans(store, spans["Meta's"] + spans["Facebook"], meta)
    deleted = registry.delete_entity(store, meta)
    assert set(deleted.span_ids) == set(spans["Meta's"] + spans["Facebook"])
    assert all(e is None for e in _links(store).values())
    undo(store, deleted)
    assert queries.count_mentions(store, meta) == 2
    assert registry.read_entity(store, meta)["aliases"] == ["Facebook"]


def test_deleting_an_article_leaves_the_registry_consistent(store: Store) -> None:
    spans = _spans(store)
    meta = _new(store, "ORG", "Meta")
    linking.link_spans(store, spans["Meta's"] + spans["Meta"], meta)
    assert [(r.mentions, r.articles) for r in queries.list_entities(store, kind="ORG")] == [(2, 2)]
    changes = span_edits.delete_articles(store, [2])
    assert changes.touches_entities()
    assert [(r.mentions, r.articles) for r in queries.list_entities(store, kind="ORG")] == [(1, 1)]
    with store.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    span_edits.remove_span(store, spans["Meta's"][0])
    assert queries.count_mentions(store, meta) == 0


def test_auto_link_links_unique_names_and_reports_ambiguous_ones(store: Store) -> None:
    spans = _spans(store)
    jean = _new(store, "PERSON", "Jean-Luc Martinet", aliases=["Martinet"])
    _new(store, "PERSON", "Claire Martinet", aliases=["Martinet"])
    meta = _new(store, "ORG", "Meta", aliases=["Facebook", "Meta Platforms"])
    report = linking.auto_link(store)
    assert report.linked == 6  # every span but the two that say only "Martinet"
    assert [(label, seen, n) for label, seen, n in report.ambiguous] == [("PERSON", "Martinet", 2)]
    links = _links(store)
    assert links[spans["Jean-Luc Martinet"][0]] == jean and links[spans["Facebook"][0]] == meta
    assert all(links[i] is None for i in spans["Martinet"])
    assert linking.auto_link(store).linked == 0  # linked spans are left as they are
    undo(store, report.changes)
    assert all(e is None for e in _links(store).values())


def test_list_entities_and_mentions_in_context(store: Store) -> None:
    spans = _spans(store)
    meta = _new(store, "ORG", "Meta", aliases=["Facebook"], external_id="Q380")
    _new(store, "PERSON", "Élodie Martinet")
    linking.link_spans(store, spans["Meta's"] + spans["Facebook"] + spans["Meta"], meta)
    rows = queries.list_entities(store)
    assert [(r.name, r.kind, r.mentions, r.articles, r.aliases) for r in rows] == [
        ("Élodie Martinet", "PERSON", 0, 0, ()), ("Meta", "ORG", 3, 2, ("Facebook",))]
    assert [r.name for r in queries.list_entities(store, search="elodie")] == ["Élodie Martinet"]
    assert [r.name for r in queries.list_entities(store, search="FACE")] == ["Meta"]
    assert queries.list_entities(store, search="%") == []
    assert queries.count_entities(store, kind="ORG") == 1
    assert [r.name for r in queries.list_entities(store, offset=1, limit=5)] == ["Meta"]
    first, *_rest = queries.mentions(store, meta)
    assert (first.article_id, first.text, first.left, first.right) == (1, "Meta's", "Jean-Luc Martinet met ",
                                                                        " lawyers. Later Martinet said Meta Platforms "
                                                                        "would pay.")
    page = queries.mentions(store, meta, offset=2, limit=1)
    assert [(m.article_id, m.text, m.left) for m in page] == [(2, "Meta", "Facebook, now ")]
    assert len(queries.mentions(store, meta, limit=2)) == 2


def test_a_repair_keeps_the_registry_and_the_links(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.core.db.repair import repair_dataset
    from app.core.db.store import open_store

    path, dest = tmp_path / "sound.sqlite", tmp_path / "repaired.sqlite"
    with open_store(path) as store:
        spans = _spans(store)
        meta = _new(store, "ORG", "Meta", aliases=["Facebook"], external_id="Q380")
        linking.link_spans(store, spans["Meta's"] + spans["Facebook"], meta)
        links = _links(store)
    report = repair_dataset(path, dest)
    assert report.complete and report.saved("entity") == 1 and report.saved("entity_alias") == 1
    with open_store(dest) as store:
        assert _links(store) == links
        assert propose(store, "facebook", "ORG") == [meta]
        assert registry.read_entity(store, meta)["external_id"] == "Q380"


def test_an_entity_id_is_never_given_again(store: Store) -> None:
    """Undo records keep entity ids: a new entity must not take a deleted one's."""
    first = _new(store, "ORG", "Meta")
    registry.delete_entity(store, first)
    assert _new(store, "ORG", "Mistral") != first


def test_a_label_with_entities_is_not_deleted_with_them(store: Store) -> None:
    from app.core.ops import labels

    _new(store, "ORG", "Meta")
    org = next(lb for lb in labels.list_labels(store) if lb.name == "ORG")
    with pytest.raises(InvalidInput, match="1 entities"):
        labels.delete_label(store, org.id)
    assert queries.list_entities(store, kind="ORG")


def _claimants(store: Store) -> dict[int, int | None]:
    with store.begin() as conn:
        return {int(i): c for i, c in conn.execute(text("SELECT id, claimant_id FROM span WHERE claimant_id IS NOT NULL"))}


def test_claims_follow_a_merge_and_come_back_with_a_deleted_entity(store: Store) -> None:
    spans = _spans(store)
    meta, facebook = _new(store, "ORG", "Meta"), _new(store, "ORG", "Facebook")
    claim = span_edits.add_span(store, 1, 45, 82, "CLAIM", annotator="ana").span_id
    with store.begin() as conn:  # the claimant is set as the claim details do it
        conn.execute(text("UPDATE span SET claimant_id = :e WHERE id = :s"), {"e": facebook, "s": claim})
    assert spans and _claimants(store) == {claim: facebook}

    merged = linking.merge_entities(store, meta, facebook)
    assert _claimants(store) == {claim: meta}
    undo(store, merged)
    assert _claimants(store) == {claim: facebook}

    deleted = registry.delete_entity(store, facebook)
    assert _claimants(store) == {}
    undo(store, deleted)
    assert _claimants(store) == {claim: facebook}
