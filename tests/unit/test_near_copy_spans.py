"""Near copies in the library (filter, column data), their word diff, and spans carried over as suggestions."""

from __future__ import annotations

from app.core.ingest import storing
from app.core.ops import library
from app.core.ops.library import ArticleFilter, SpanRecord
from app.core.quality import span_transfer
from app.core.quality.text_diff import word_diff
from app.core.suggest import service
from app.core.validation import NewArticle, NewSpan

FILLER = " ".join(f"word{i}" for i in range(120))
LEFT = f"Ann Lee met Bob Stone in Paris on Monday. {FILLER} The U.S.-led talks ended. Carol  Diaz left."
RIGHT = f"Yesterday Ann Lee met Bob Stone in Paris on Tuesday. {FILLER} The U.S.-led talks ended. Carol Diaz left."


def _span(start: int, end: int, label: str, body: str = LEFT) -> SpanRecord:
    return SpanRecord(0, start, end, label, body[start:end], "ana", "manual", {})


def _at(surface: str, label: str, body: str = LEFT) -> SpanRecord:
    start = body.index(surface)
    return _span(start, start + len(surface), label, body)


def test_spans_are_placed_where_the_text_aligns_and_the_rest_is_explained():
    spans = [_at("Ann Lee", "PERSON"), _at("Paris", "LOC"), _at("Monday", "DATE"), _at("U.S.", "ORG"),
             _at("Carol  Diaz", "PERSON"), _at("Lee met", "X")]
    placed, unplaced = span_transfer.project(LEFT, RIGHT, spans)
    where = {(s.text, RIGHT[a:b]) for s, a, b in placed}
    assert where == {("Ann Lee", "Ann Lee"), ("Paris", "Paris"), ("U.S.", "U.S."), ("Lee met", "Lee met")}
    reasons = {s.text: why for s, why in unplaced}
    assert reasons == {"Monday": "its words were changed or left out in this copy",
                       "Carol  Diaz": "the spacing inside it differs in this copy"}


def test_a_span_inside_a_word_keeps_its_place_in_the_word():
    [(_span_, start, end)], unplaced = span_transfer.project(LEFT, RIGHT, [_span(1, 3, "PERSON")])  # "nn" of "Ann"
    assert RIGHT[start - 1 : end] == "Ann"[:3] and not unplaced


def test_the_word_diff_marks_only_what_differs():
    left, right = word_diff(LEFT, RIGHT)
    assert "".join(t for t, _ in left) == LEFT and "".join(t for t, _ in right) == RIGHT
    assert [t for t, changed in left if changed] == ["Monday."]  # spacing is not compared
    assert [t for t, changed in right if changed] == ["Yesterday", "Tuesday."]


def _stored(store, body: str, title: str, spans: list[tuple[str, str]] = ()) -> int:
    marks = [NewSpan(start=body.index(s), end=body.index(s) + len(s), label=label) for s, label in spans]
    [out] = storing.store_articles(store, [NewArticle(text=body, title=title, source_kind="paste", spans=marks)])
    return out.article_id


def test_copy_spans_from_a_near_copy_stores_suggestions_and_reports(store):
    left = _stored(store, LEFT, "Left", [("Ann Lee", "PERSON"), ("Monday", "PERSON"), ("Carol  Diaz", "PERSON"),
                                         ("Bob Stone", "CLAIM")])
    right = _stored(store, RIGHT, "Right", [("Paris", "ORG")])
    service.store_suggestions(store, {right: [{"start": 0, "end": 9, "label": "ORG", "score": 0.5,
                                               "source": "starter"}]})
    assert span_transfer.closest_near_copy(store, right) == left
    report = span_transfer.copy_spans_from(store, right, left)
    start = RIGHT.index("Ann Lee")
    assert report.placed == [{"start": start, "end": start + 7, "label": "PERSON", "score": 1.0}]
    assert {u.text for u in report.unplaced} == {"Monday", "Carol  Diaz", "Bob Stone"}
    assert report.summary() == "1 span of ‘Left’ offered as suggestions; 3 could not be placed."
    assert report.changes.article_ids == (right,) or list(report.changes.article_ids) == [right]
    layer = {(s["start"], s["end"], s["label"]) for s in service.stored_suggestions(store, right)}
    assert layer == {(0, 9, "ORG"), (start, start + 7, "PERSON")}  # the earlier layer is kept
    # Offered beside a suggester's own spans, too.
    offered = service.suggestions_for(store, lambda body: [], right)
    assert [(s["start"], s["label"]) for s in offered] == [(start, "PERSON")]


def test_the_library_lists_near_copies(store):
    left = _stored(store, LEFT, "Left")
    right = _stored(store, RIGHT, "Right")
    alone = _stored(store, "Something else entirely, with other words.", "Alone")
    rows = library.article_rows(store, [left, right, alone])
    assert (rows[left].near_copies, rows[right].near_copies, rows[alone].near_copies) == (1, 1, 0)
    assert rows[right].cluster_id == left and rows[alone].cluster_id is None
    assert library.list_article_ids(store, ArticleFilter(near_copies=True)) == [left, right]
    assert library.list_article_ids(store, ArticleFilter(cluster=left)) == [left, right]
    assert library.count_articles(store, ArticleFilter(near_copies=True)) == 2
    assert library.list_article_ids(store, sort="cluster") == [left, right, alone]
