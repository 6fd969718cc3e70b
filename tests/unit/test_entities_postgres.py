"""The entity registry against a real PostgreSQL server (started in a temp folder), when one is installed."""

from __future__ import annotations

import pytest

pytest.importorskip("psycopg")


def test_registry_linking_merge_and_queries_on_postgresql(pg_url):  # type: ignore[no-untyped-def]
    from app.core.db.store import open_store
    from app.core.entities import linking, queries, registry
    from app.core.entities.history import undo
    from app.core.entities.matching import propose
    from app.core.ingest.storing import store_articles
    from app.core.ops import span_edits
    from app.core.validation import NewArticle

    store = open_store(pg_url)
    try:
        store_articles(store, [NewArticle(uid="p1", text="Martinet told Meta's board that Facebook would pay.")])
        for start, end, label in ((0, 8, "PERSON"), (14, 20, "ORG"), (32, 40, "ORG")):
            span_edits.add_span(store, 1, start, end, label, annotator="ana")
        meta = registry.create_entity(store, "ORG", "Meta", external_id="Q380").entity_ids[0]
        facebook = registry.create_entity(store, "ORG", "Facebook", aliases=["FB"]).entity_ids[0]
        jean = registry.create_entity(store, "PERSON", "Jean Martinet", aliases=["Martinet"]).entity_ids[0]
        claire = registry.create_entity(store, "PERSON", "Claire Martinet", aliases=["martinet"]).entity_ids[0]
        assert propose(store, "MARTINET", "PERSON") == [jean, claire]
        report = linking.auto_link(store)
        assert report.linked == 2 and list(report.ambiguous.values()) == [[jean, claire]]
        merged = linking.merge_entities(store, meta, facebook)
        rows = queries.list_entities(store, kind="ORG")
        assert [(r.name, r.mentions, r.articles, r.aliases) for r in rows] == [("Meta", 2, 1, ("Facebook", "FB"))]
        assert [r.name for r in queries.list_entities(store, search="fb")] == ["Meta"]
        assert queries.list_entities(store, search="%") == [] and queries.count_entities(store, search="_") == 0
        assert [(m.text, m.left, m.right) for m in queries.mentions(store, meta)] == [
            ("Meta's", "Martinet told ", " board that Facebook would pay."),
            ("Facebook", "Martinet told Meta's board that ", " would pay.")]
        undo(store, merged)
        assert queries.count_mentions(store, facebook) == 1 == queries.count_mentions(store, meta)
        split = linking.split_entity(store, facebook, [3], "Facebook Inc")
        undo(store, split)
        deleted = registry.delete_entity(store, facebook)
        assert queries.count_mentions(store, meta) == 1
        undo(store, deleted)
        assert queries.count_mentions(store, facebook) == 1
        span_edits.delete_articles(store, [1])
        assert [r.mentions for r in queries.list_entities(store)] == [0, 0, 0, 0]
    finally:
        store.close()


def test_a_relabel_unlinks_and_a_bulk_re_add_links_on_postgresql(pg_url):  # type: ignore[no-untyped-def]
    from app.core.db.store import open_store
    from app.core.entities import queries, registry
    from app.core.ingest.storing import store_articles
    from app.core.ops import span_edits
    from app.core.validation import NewArticle

    store = open_store(pg_url)
    try:
        (stored,) = store_articles(store, [NewArticle(uid="p2", text="Meta and Meta again, said Hugo.")])
        art = stored.article_id  # the server's dataset may hold the other test's article
        meta = registry.create_entity(store, "ORG", "Meta Inc").entity_ids[0]
        hugo = registry.create_entity(store, "PERSON", "Hugo").entity_ids[0]
        person = span_edits.add_span(store, art, 26, 30, "PERSON", annotator="ana", entity_id=hugo)
        relabelled = span_edits.update_span(store, person.span_id, label="ORG")
        assert relabelled.after["entity_id"] is None and queries.count_mentions(store, hugo) == 0
        span_edits.update_span(store, person.span_id, label="PERSON", entity_id=hugo)
        assert queries.count_mentions(store, hugo) == 1
        added = span_edits.add_spans(store, art, [(0, 4), (9, 13)], "ORG", annotator="ana")
        removed = span_edits.remove_spans(store, added.span_ids)
        span_edits.add_spans(store, art, [(0, 4), (9, 13)], "ORG", annotator="ana", span_ids=removed.span_ids,
                             entity_ids=[meta, None])
        assert queries.count_mentions(store, meta) == 1
        assert "Meta Inc" in [s.name for s in queries.list_entities(store, kind="ORG", offset=0, limit=5)]
    finally:
        store.close()
