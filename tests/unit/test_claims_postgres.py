"""Claims as records against a real PostgreSQL server (started in a temp folder), when one is installed."""

from __future__ import annotations

import pytest

pytest.importorskip("psycopg")


def test_claims_listing_and_claimant_link_on_postgresql(pg_url):  # type: ignore[no-untyped-def]
    from app.core.db.store import open_store
    from app.core.entities import claim_links, claims
    from app.core.entities.claims import ClaimFilter
    from app.core.ingest.storing import store_articles
    from app.core.ops import span_edits
    from app.core.validation import NewArticle

    store = open_store(pg_url)
    try:
        text = "Mayor Elena Vasquez said the bridge is safe. The council said 100% of it was paid."
        store_articles(store, [NewArticle(uid="c1", text=text, title="Bridge", published="2025-03-02T08:00:00Z",
                                          site_name="Harbor News")])
        span_edits.add_span(store, 1, 6, 19, "PERSON", annotator="ana")
        bridge = span_edits.add_span(store, 1, 25, 43, "CLAIM", annotator="ana",
                                     attributes={"claimant": "", "verdict": "true", "note": ""}).span_id
        paid = span_edits.add_span(store, 1, 62, 81, "CLAIM", annotator="ana",
                                   attributes={"claimant": "the council", "verdict": "false", "note": "",
                                               "date": "2025-04-01"}).span_id
        [option] = claim_links.article_options(store, text, (25, 43), claim_links.article_mentions(store, 1))
        assert (option.name, option.new_kind, option.source) == ("Elena Vasquez", "PERSON", "proposed")
        change = claim_links.set_claimant(store, bridge, option.name, new_kind=option.new_kind)
        elena = change.after["claimant_id"]
        assert [o.entity_id for o in claim_links.registry_options(store, "vasq")] == [elena]
        assert claims.count_claims(store) == 2
        assert claims.list_claim_ids(store, sort="date", descending=True) == [paid, bridge]
        assert claims.list_claim_ids(store, ClaimFilter(claimant_id=elena)) == [bridge]
        assert claims.list_claim_ids(store, ClaimFilter(verdict="false", search="100%")) == [paid]
        assert claims.list_claim_ids(store, ClaimFilter(date_from="2025-03-01", date_to="2025-03-31")) == [bridge]
        for sort in claims.SORTS:
            assert sorted(claims.list_claim_ids(store, sort=sort)) == sorted([bridge, paid])
        [row] = claims.list_claims(store, claimant_id=elena)
        assert (row.claimant, row.claimant_kind, row.date, row.site) == ("Elena Vasquez", "PERSON", "2025-03-02",
                                                                         "Harbor News")
        claim_links.undo_set_claimant(store, change)
        assert claims.claimants_in_use(store) == []
    finally:
        store.close()


def test_claim_columns_are_filled_by_the_upgrade_and_follow_edits_on_postgresql(pg_url):  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from app.core.db import migrations
    from app.core.db.store import create_store_engine, open_store
    from app.core.entities import claim_columns, claims, registry
    from app.core.entities.claims import ClaimFilter
    from app.core.ops import span_edits

    # A dataset at the revision before the claim columns, holding a claim; its schema from scratch.
    engine = create_store_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    migrations.upgrade(engine, "0014")
    text_ = "Mayor Elena Vasquez said the bridge is safe. The council said 100% of it was paid."
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO article (id, uid, title, text, text_hash, source_kind, status, published, "
                          "site_name, created_at, updated_at) VALUES (1, 'c1', 'Bridge', :t, :h, 'paste', 'new', "
                          "'2025-03-02T08:00:00Z', 'Harbor News', now(), now())"), {"t": text_, "h": "2" * 64})
        conn.execute(text('INSERT INTO span (article_id, start, "end", label_id, text, annotator, origin, attributes, '
                          "created_at, updated_at) SELECT 1, 25, 43, id, 'the bridge is safe', 'ana', 'manual', "
                          "'{\"claimant\": \"The Mayor\", \"verdict\": \"true\"}', now(), now() FROM label "
                          "WHERE name = 'CLAIM'"))
    engine.dispose()
    store = open_store(pg_url)
    try:
        def columns(span_id: int) -> tuple[object, ...]:
            with store.begin() as conn:
                return tuple(conn.execute(text("SELECT claim_date, claim_verdict, claim_claimant, claim_site "
                                               "FROM span WHERE id = :i"), {"i": span_id}).one())

        [bridge] = claims.list_claim_ids(store)
        assert columns(bridge) == ("2025-03-02", "true", "the mayor", "harbor news")
        paid = span_edits.add_span(store, 1, 62, 81, "CLAIM", annotator="ana",
                                   attributes={"claimant": "the council", "verdict": "false", "note": ""}).span_id
        assert paid is not None and columns(paid) == ("2025-03-02", "false", "the council", "harbor news")
        change = span_edits.update_span(store, paid, attributes={"claimant": "the council", "verdict": "false",
                                                                 "note": "", "date": "2025-04-01"})
        assert columns(paid)[0] == "2025-04-01"
        assert claims.list_claim_ids(store, sort="date", descending=True) == [paid, bridge]
        span_edits.update_span(store, paid, attributes=change.before["attributes"])  # undo
        assert columns(paid)[0] == "2025-03-02"
        dates = claim_columns.set_published(store, 1, "2024-11-05")
        assert (columns(bridge)[0], columns(paid)[0]) == ("2024-11-05", "2024-11-05")
        claim_columns.set_published(store, 1, dates["before"])
        elena = registry.create_entity(store, "PERSON", "Elena Vasquez").entity_ids[0]
        span_edits.update_span(store, bridge, claimant_id=elena)
        registry.rename_entity(store, elena, "Elena Vasquez-Ruiz")
        assert columns(bridge) == ("2025-03-02", "true", "elena vasquez-ruiz", "harbor news")
        for sort in ("claimant", "verdict", "site", "article", "title"):
            assert sorted(claims.list_claim_ids(store, sort=sort)) == sorted([bridge, paid])
        assert claims.list_claim_ids(store, sort="claimant") == [bridge, paid]
        assert claims.list_claim_ids(store, ClaimFilter(verdict="false", date_from="2025-03-01")) == [paid]
        assert claims.count_claims(store, ClaimFilter(date_to="2025-03-01")) == 0
        with store.begin() as conn:
            indexes = {r[0] for r in conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'span'"))}
        assert {"ix_span_claim_date", "ix_span_claim_verdict", "ix_span_claim_claimant", "ix_span_claim_site",
                "ix_span_claim_article"} <= indexes
    finally:
        store.close()
