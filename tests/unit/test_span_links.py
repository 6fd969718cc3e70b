"""A span's entity link through the span edits: a relabel unlinks it, a bulk re-add links each span again."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.core.db.store import Store
from app.core.entities import registry
from app.core.ingest.storing import store_articles
from app.core.ops import span_edits
from app.core.validation import NewArticle

TEXT = "Hugo Touvron said Meta will keep funding Llama research through 2026. Meta and Hugo Touvron agree."


@pytest.fixture
def art(store: Store) -> int:
    (out,) = store_articles(store, [NewArticle(text=TEXT, title="Llama team")])
    return out.article_id


def _link(store: Store, span_id: int) -> int | None:
    with store.begin() as conn:
        return conn.execute(text("SELECT entity_id FROM span WHERE id = :i"), {"i": span_id}).scalar_one()


def _entity(store: Store, kind: str, name: str) -> int:
    return registry.create_entity(store, kind, name).entity_ids[0]


def test_relabelling_a_linked_span_unlinks_it_and_the_undo_links_it_again(store: Store, art: int) -> None:
    hugo = _entity(store, "PERSON", "Hugo Touvron")
    span = span_edits.add_span(store, art, 0, 12, "PERSON", annotator="ann", entity_id=hugo).span_id
    assert span is not None and _link(store, span) == hugo

    relabelled = span_edits.update_span(store, span, label="ORG")
    # An ORG span cannot name a PERSON: the link goes with the old label, and the record says so.
    assert _link(store, span) is None
    assert relabelled.before["entity_id"] == hugo and relabelled.after["entity_id"] is None

    # The undo relabels it back with the link it had.
    back = span_edits.update_span(store, span, label="PERSON", entity_id=relabelled.before["entity_id"])
    assert _link(store, span) == hugo and back.after["entity_id"] == hugo


def test_a_relabel_links_only_to_an_entity_of_the_new_label(store: Store, art: int) -> None:
    hugo = _entity(store, "PERSON", "Hugo Touvron")
    span = span_edits.add_span(store, art, 0, 12, "ORG", annotator="ann").span_id
    assert span is not None
    changed = span_edits.update_span(store, span, label="ORG", entity_id=hugo)  # the same label: nothing to link
    assert _link(store, span) is None and changed.after["entity_id"] is None
    changed = span_edits.update_span(store, span, label="PERSON", entity_id=hugo + 100)  # an entity gone since
    assert _link(store, span) is None and changed.after["entity_id"] is None


def test_editing_attributes_keeps_the_link(store: Store, art: int) -> None:
    hugo = _entity(store, "PERSON", "Hugo Touvron")
    span = span_edits.add_span(store, art, 0, 12, "PERSON", annotator="ann", entity_id=hugo).span_id
    assert span is not None
    changed = span_edits.update_span(store, span, attributes={"note": "the lead author"})
    assert _link(store, span) == hugo and changed.after["entity_id"] == hugo


def test_a_bulk_re_add_links_each_span_to_the_entity_it_had(store: Store, art: int) -> None:
    meta = _entity(store, "ORG", "Meta")
    gone = _entity(store, "ORG", "Meta Platforms")
    ranges = [(18, 22), (70, 74)]
    added = span_edits.add_spans(store, art, ranges, "ORG", annotator="ann")
    registry.delete_entity(store, gone)
    removed = span_edits.remove_spans(store, added.span_ids)
    states = removed.before["spans"]

    # What an undo of a bulk removal does: the spans come back under their ids, each with its own link
    # (none for an entity deleted since).
    readded = span_edits.add_spans(store, art, [(s["start"], s["end"]) for s in states], "ORG", annotator="ann",
                                   span_ids=removed.span_ids, entity_ids=[meta, gone])
    assert [_link(store, i) for i in removed.span_ids] == [meta, None]
    assert [s["entity_id"] for s in readded.after["spans"]] == [meta, None]


def _claimant(store: Store, span_id: int) -> int | None:
    with store.begin() as conn:
        return conn.execute(text("SELECT claimant_id FROM span WHERE id = :i"), {"i": span_id}).scalar_one()


def test_a_bulk_re_add_gives_each_claim_back_its_claimant(store: Store, art: int) -> None:
    hugo = _entity(store, "PERSON", "Hugo Touvron")
    gone = _entity(store, "ORG", "Meta Platforms")
    ranges = [(0, 68), (70, 97)]
    added = span_edits.add_spans(store, art, ranges, "CLAIM", annotator="ann")
    for span_id, claimant in zip(added.span_ids, (hugo, gone), strict=True):
        span_edits.update_span(store, span_id, attributes={"claimant": f"#{claimant}"}, claimant_id=claimant)
    registry.delete_entity(store, gone)
    removed = span_edits.remove_spans(store, added.span_ids)
    states = removed.before["spans"]
    assert [s["claimant_id"] for s in states] == [hugo, None]

    # An undone bulk removal of claims links each claimant again (none for an entity deleted since).
    readded = span_edits.add_spans(store, art, [(s["start"], s["end"]) for s in states], "CLAIM", annotator="ann",
                                   span_ids=removed.span_ids, claimant_ids=[hugo, gone],
                                   each_attributes=[s["attributes"] for s in states])
    assert [_claimant(store, i) for i in removed.span_ids] == [hugo, None]
    assert [span_edits.read_span(store, i)["attributes"] for i in removed.span_ids] == [
        {"claimant": f"#{hugo}"}, {"claimant": f"#{gone}"}]
    assert [s["claimant_id"] for s in readded.after["spans"]] == [hugo, None]
    assert readded.touches_entities()  # the claimant's claims are counted again


def test_a_bulk_add_without_links_leaves_the_spans_unlinked(store: Store, art: int) -> None:
    added = span_edits.add_spans(store, art, [(18, 22), (70, 74)], "ORG", annotator="ann")
    assert [_link(store, i) for i in added.span_ids] == [None, None]
    assert [s["entity_id"] for s in added.after["spans"]] == [None, None]


def test_a_span_added_back_linked_touches_the_registry() -> None:
    from app.core.changes import ChangeKind, Changes

    # An undone removal of a mention adds it back linked: the entity's counts change.
    assert Changes.edit(ChangeKind.SPAN_ADDED, (1,), 5, after={"entity_id": 3}).touches_entities()
    assert Changes.edit(ChangeKind.SPANS_ADDED, (1,), span_ids=(5, 6),
                        after={"spans": [{"entity_id": None}, {"entity_id": 3}]}).touches_entities()
    # A new span is unlinked: the registry is as it was.
    assert not Changes.edit(ChangeKind.SPAN_ADDED, (1,), 5, after={"entity_id": None}).touches_entities()
    assert not Changes.edit(ChangeKind.SPANS_ADDED, (1,), span_ids=(5,),
                            after={"spans": [{"entity_id": None}]}).touches_entities()
