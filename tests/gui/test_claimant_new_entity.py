"""A claimant set as a new entity: the wait for earlier writes is bounded, a refused edit leaves no entity
behind, and undo/redo give back the links others made to the entity meanwhile."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from app.core.entities import linking
from app.core.ops import library, span_edits
from tests.lock_holder import write_lock_held_by_another_process

ATTRS = {"claimant": "Ana Lind", "verdict": "unverified", "note": ""}


def entities_named(store, name: str) -> list[int]:
    with store.begin() as conn:
        return [int(i) for i in conn.execute(text("SELECT id FROM entity WHERE name = :n"), {"n": name}).scalars()]


def link_of(store, column: str, span_id: int) -> int | None:
    with store.begin() as conn:
        return conn.execute(text(f"SELECT {column} FROM span WHERE id = :i"), {"i": span_id}).scalar_one()


def new_claim(gateway, store, start: int = 0, end: int = 20) -> tuple[int, int]:
    art = library.list_articles(store, limit=1)[0].id
    claim = gateway.add_span(art, start, end, "CLAIM", {"claimant": "", "verdict": "unverified", "note": ""}).span_id
    gateway.wait_until_saved()
    return art, gateway.handle(claim).id  # the id it is stored under


def test_a_refused_claimant_edit_leaves_no_new_entity(gateway, sample_store) -> None:
    _art, claim = new_claim(gateway, sample_store)
    gateway.remove_span(claim, "CLAIM")  # the claim details still show it, a moment longer
    failures: list[str] = []
    gateway.edit_failed.connect(failures.append)
    assert gateway.set_claimant(claim, ATTRS, None, "PERSON") is None
    assert failures and entities_named(sample_store, "Ana Lind") == []


def test_undo_and_redo_of_a_new_claimant_give_back_the_links_made_to_it(gateway, sample_store) -> None:
    art, claim = new_claim(gateway, sample_store)
    made = gateway.set_claimant(claim, ATTRS, None, "PERSON").after["claimant_id"]
    gateway.wait_until_saved()
    # Meanwhile a mention and another claim are linked to the new entity (the Entities view, another window).
    mention = span_edits.add_span(sample_store, art, 30, 40, "PERSON", annotator="bob").span_ids[0]
    other = span_edits.add_span(sample_store, art, 50, 70, "CLAIM", annotator="bob",
                                attributes={"claimant": "", "verdict": "", "note": ""}).span_ids[0]
    linking.link_spans(sample_store, [mention], made)
    with sample_store.begin() as conn:
        conn.execute(text("UPDATE span SET claimant_id = :e WHERE id = :i"), {"e": made, "i": other})
    gateway.undo_stack.undo()
    gateway.wait_until_saved()
    assert entities_named(sample_store, "Ana Lind") == []
    assert link_of(sample_store, "entity_id", mention) is None and link_of(sample_store, "claimant_id", other) is None
    gateway.undo_stack.redo()
    gateway.wait_until_saved()
    assert entities_named(sample_store, "Ana Lind") == [made]
    assert link_of(sample_store, "claimant_id", claim) == made
    assert link_of(sample_store, "entity_id", mention) == made and link_of(sample_store, "claimant_id", other) == made


def test_a_locked_dataset_does_not_freeze_the_window_when_a_claimant_is_new(gateway, sample_store) -> None:
    art, claim = new_claim(gateway, sample_store)
    failures: list[str] = []
    gateway.edit_failed.connect(failures.append)
    with write_lock_held_by_another_process(sample_store.path) as other:
        # The old code waited for the lock without limit; let go of it after a while rather than hang.
        threading.Timer(8.0, other.release).start()
        gateway.add_span(art, 30, 40, "PERSON")  # queued behind the lock
        started = time.perf_counter()
        assert gateway.set_claimant(claim, ATTRS, None, "PERSON") is None
        assert time.perf_counter() - started < 5.0
        assert failures and "busy" in failures[-1]
    gateway.wait_until_saved()
    assert entities_named(sample_store, "Ana Lind") == []
    assert link_of(sample_store, "claimant_id", claim) is None
