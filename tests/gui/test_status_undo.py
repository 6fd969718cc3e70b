"""Undoing a mark gives the marking annotator back their own earlier status, not the article's, which
another annotator may have set since."""

from __future__ import annotations

from sqlalchemy import text

from app.core.ops import library


def _own(store, article_id: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with store.begin() as conn:
        return dict(conn.execute(text("SELECT annotator, status FROM article_status WHERE article_id = :a"),
                                 {"a": article_id}).all())


def test_undo_restores_the_annotators_own_status(sample_store, qapp) -> None:  # type: ignore[no-untyped-def]
    from app.widgets.edits import EditGateway

    article_id = library.list_article_ids(sample_store)[0]
    ana, ben = EditGateway(sample_store, annotator="ana"), EditGateway(sample_store, annotator="ben")
    try:
        ana.set_status([article_id], "done")
        ana.wait_until_saved()
        ben.set_status([article_id], "skipped")
        ben.wait_until_saved()
        assert _own(sample_store, article_id) == {"ana": "done", "ben": "skipped"}
        ben.undo_stack.undo()
        ben.wait_until_saved()
        # Ben had not marked it: new again for him (the article's working status goes back to ana's done).
        assert _own(sample_store, article_id) == {"ana": "done", "ben": "new"}
        assert library.get_article(sample_store, article_id).status == "done"
    finally:
        ana.close()
        ben.close()
