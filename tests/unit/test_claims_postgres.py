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
