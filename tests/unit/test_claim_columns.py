"""A claim's stored date, verdict, claimant and site (the Claims view's sort and filter columns) follow every write:
edits of the claim's attributes and their undo, its label, its claimant entity, its article's date, and imports;
and the Claims view reads them from their indexes."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import text

from app.core.db.store import Store
from app.core.entities import claim_columns, claims, linking, registry
from app.core.entities.claims import ClaimFilter
from app.core.ingest.storing import store_articles
from app.core.ops import labels, span_edits
from app.core.validation import NewArticle, NewSpan

TEXT = "Mayor Elena Vasquez said the bridge is safe. The council said the tower was paid for."
BRIDGE = (25, 43)
TOWER = (62, 84)


@pytest.fixture
def article(store: Store) -> int:
    [outcome] = store_articles(store, [NewArticle(uid="a1", text=TEXT, title="Bridge", site_name="Harbor News",
                                                  published="2025-03-02T08:00:00Z")])
    return outcome.article_id


def _columns(store: Store, span_id: int) -> tuple[Any, ...]:
    with store.begin() as conn:
        return tuple(conn.execute(text("SELECT claim_date, claim_verdict, claim_claimant, claim_site FROM span "
                                       "WHERE id = :i"), {"i": span_id}).one())


def _date(store: Store, span_id: int) -> str | None:
    return _columns(store, span_id)[0]


def _expected(store: Store) -> dict[int, tuple[Any, ...]]:
    """Every span's columns as the rules say, computed here in Python from the rows they come from."""
    sql = ("SELECT span.id, label.kind, span.attributes, article.published, article.site_name, entity.name "
           "FROM span JOIN label ON label.id = span.label_id JOIN article ON article.id = span.article_id "
           "LEFT JOIN entity ON entity.id = span.claimant_id")
    with store.begin() as conn:
        rows = conn.execute(text(sql)).all()
    expected = {}
    for span_id, kind, attributes, published, site, entity in rows:
        attrs = orjson.loads(attributes)
        expected[span_id] = (None,) * 4 if kind != "claim" else (
            claims.effective_date(attrs, published), str(attrs.get("verdict") or ""),
            (entity or str(attrs.get("claimant") or "")).lower(), (site or "").lower())
    return expected


def _stored(store: Store) -> dict[int, tuple[Any, ...]]:
    with store.begin() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(text(
            "SELECT id, claim_date, claim_verdict, claim_claimant, claim_site FROM span"))}


def _claim(store: Store, article: int, where: tuple[int, int], **attrs: str) -> int:
    change = span_edits.add_span(store, article, *where, "CLAIM", annotator="ana",
                                 attributes={"claimant": "", "verdict": "", "note": "", **attrs})
    assert change.span_id is not None
    return change.span_id


def test_the_date_follows_the_claims_date_attribute_and_its_undo(store: Store, article: int) -> None:
    claim = _claim(store, article, BRIDGE, verdict="true")
    assert _columns(store, claim) == ("2025-03-02", "true", "", "harbor news")
    change = span_edits.update_span(store, claim, attributes={"claimant": "", "verdict": "false", "note": "",
                                                              "date": "2024-12-01"})
    assert _columns(store, claim)[:2] == ("2024-12-01", "false")
    # Undo, as the edit gateway does it: the attributes before.
    span_edits.update_span(store, claim, attributes=change.before["attributes"])
    assert _columns(store, claim)[:2] == ("2025-03-02", "true")
    # Removed and put back (undo of a deletion) under its id: the date comes back with it.
    removed = span_edits.remove_span(store, claim)
    state = removed.before
    span_edits.add_span(store, article, state["start"], state["end"], state["label"], annotator="ana",
                        attributes={**state["attributes"], "date": "2023-05-06"}, span_id=claim)
    assert _date(store, claim) == "2023-05-06"
    assert _stored(store) == _expected(store)


def test_the_date_follows_the_articles_date_and_its_undo(store: Store, article: int) -> None:
    plain = _claim(store, article, BRIDGE)
    dated = _claim(store, article, TOWER, date="2024-01-31")
    change = claim_columns.set_published(store, article, "2026-07-04T10:00:00+02:00")
    assert (_date(store, plain), _date(store, dated)) == ("2026-07-04", "2024-01-31")
    assert claims.list_claim_ids(store, ClaimFilter(date_from="2026-07-01")) == [plain]
    claim_columns.set_published(store, article, None)
    assert _date(store, plain) == ""
    claim_columns.set_published(store, article, change["before"])  # undo
    assert (_date(store, plain), _date(store, dated)) == ("2025-03-02", "2024-01-31")
    assert _stored(store) == _expected(store)


def test_imported_claims_carry_their_columns(store: Store) -> None:
    spans = [NewSpan(start=BRIDGE[0], end=BRIDGE[1], label="CLAIM", attributes={"verdict": "false",
                                                                               "claimant": "Elena Vasquez"}),
             NewSpan(start=TOWER[0], end=TOWER[1], label="CLAIM", attributes={"date": "2024-02-29"}),
             NewSpan(start=6, end=19, label="PERSON")]
    store_articles(store, [NewArticle(uid="b1", text=TEXT, published="2025-06-30", site_name="County Post",
                                      spans=spans)])
    stored = _stored(store)
    assert sorted(v for v in stored.values() if v[0] is not None) == [
        ("2024-02-29", "", "", "county post"), ("2025-06-30", "false", "elena vasquez", "county post")]
    assert stored == _expected(store)
    with store.begin() as conn:  # filled before the export lists were built, which they did not drop
        assert conn.execute(text("SELECT count(*) FROM article_span_json")).scalar_one() == 1


def test_label_and_claimant_edits_keep_the_columns_current(store: Store, article: int) -> None:
    claim = _claim(store, article, BRIDGE, claimant="the mayor", verdict="true")
    assert _columns(store, claim)[2] == "the mayor"
    # Relabelled to an entity label: no longer a claim; back again: a claim with its date.
    undo = span_edits.update_span(store, claim, label="PERSON")
    assert _columns(store, claim) == (None, None, None, None)
    span_edits.update_span(store, claim, label=undo.before["label"])
    assert _columns(store, claim)[:2] == ("2025-03-02", "true")
    elena = registry.create_entity(store, "PERSON", "Elena Vasquez").entity_ids[0]
    span_edits.update_span(store, claim, claimant_id=elena)
    assert _columns(store, claim)[2] == "elena vasquez"
    registry.rename_entity(store, elena, "Elena Vasquez-Ruiz")
    assert _columns(store, claim)[2] == "elena vasquez-ruiz"
    assert _stored(store) == _expected(store)
    other = registry.create_entity(store, "PERSON", "Mayor Vasquez").entity_ids[0]
    merged = linking.merge_entities(store, other, elena)
    assert _stored(store) == _expected(store)
    linking.undo_merge(store, merged.before)
    assert _stored(store) == _expected(store)
    registry.delete_entity(store, elena)
    assert _columns(store, claim)[2] == "the mayor"  # the name typed, again
    assert _stored(store) == _expected(store)
    # A label made an entity label: its spans are claims no longer.
    with store.begin() as conn:
        claim_label = conn.execute(text("SELECT id FROM label WHERE name = 'CLAIM'")).scalar_one()
    labels.update_label(store, claim_label, kind="entity")
    assert _date(store, claim) is None and claims.count_claims(store) == 0
    labels.update_label(store, claim_label, kind="claim")
    assert _date(store, claim) == "2025-03-02" and claims.count_claims(store) == 1
    assert _stored(store) == _expected(store)


def test_many_claims_added_at_once_get_their_columns(store: Store, article: int) -> None:
    change = span_edits.add_spans(store, article, [BRIDGE, TOWER], "CLAIM", annotator="ana",
                                  attributes={"verdict": "misleading"})
    assert [_columns(store, i)[:2] for i in change.span_ids] == [("2025-03-02", "misleading")] * 2
    span_edits.add_spans(store, article, [(6, 19)], "PERSON", annotator="ana")
    assert _stored(store) == _expected(store)


@pytest.mark.parametrize("sort", ["article", "date", "verdict", "claimant", "site"])
def test_each_claim_column_order_reads_its_index(store: Store, article: int, sort: str) -> None:
    _claim(store, article, BRIDGE)
    params: dict[str, Any] = {}
    sql = claims._ids_sql(store, ClaimFilter(), sort, True, params)
    with store.begin() as conn:
        plan = " ".join(str(r[3]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"), params))
    assert f"ix_span_claim_{sort}" in plan and "TEMP B-TREE" not in plan, plan
