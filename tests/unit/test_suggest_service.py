"""Suggestions on a dataset: training documents, rejections, the stored layer, acceptance rates."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.core.changes import ChangeKind
from app.core.db.store import Store
from app.core.ingest.storing import store_articles
from app.core.ops import labels, span_edits
from app.core.suggest import service
from app.core.validation import InvalidInput, NewArticle

DONE = "Hugo Touvron left Meta. Touvron joined Mistral in Paris."
OPEN = "Meta hired again. Hugo Touvron said nothing, and Mistral declined to comment."
OTHER = "Gold prices hit a record high."


def _fill(store: Store) -> None:
    store_articles(store, [NewArticle(uid="done", text=DONE), NewArticle(uid="open", text=OPEN),
                           NewArticle(uid="other", text=OTHER)])
    span_edits.add_span(store, 1, 0, 12, "PERSON", annotator="ana")
    span_edits.add_span(store, 1, 0, 12, "PERSON", annotator="bob")  # the same span twice counts once
    span_edits.add_span(store, 1, 18, 22, "ORG", annotator="ana")
    span_edits.add_span(store, 1, 39, 46, "ORG", annotator="ana")
    span_edits.add_span(store, 1, 0, 22, "CLAIM", annotator="ana")  # not an entity label: not learned
    span_edits.set_status(store, [1], "done")


def test_training_documents_are_the_done_articles_entity_spans(store: Store) -> None:
    _fill(store)
    span_edits.add_span(store, 2, 0, 4, "ORG", annotator="ana")  # in progress: not learned yet
    assert service.training_documents(store) == [{"text": DONE, "spans": [
        {"start": 0, "end": 12, "label": "PERSON"},
        {"start": 18, "end": 22, "label": "ORG"},
        {"start": 39, "end": 46, "label": "ORG"},
    ]}]


def test_the_suggester_built_from_the_dataset_finds_its_names_elsewhere(store: Store) -> None:
    _fill(store)
    suggester = service.build_suggester(store, None)
    found = {(OPEN[s["start"]:s["end"]], s["label"]) for s in suggester(OPEN)}
    assert {("Meta", "ORG"), ("Hugo Touvron", "PERSON"), ("Mistral", "ORG")} <= found


def test_a_rejection_is_recorded_once_and_taken_back(store: Store) -> None:
    _fill(store)
    changes = service.reject_suggestion(store, 2, 0, 4, "ORG", annotator="ana")
    assert changes.kind is ChangeKind.SUGGESTION_REJECTED and changes.touches_article(2)
    assert changes.labels == ("ORG",) and changes.after["text"] == "Meta" and not changes.before
    # A rejection changes no span: views of span rows and article rows have nothing to redo.
    assert not changes.touches_spans() and not changes.changes_article_rows() and changes.touches_suggestions()
    assert service.reject_suggestion(store, 2, 0, 4, "ORG", annotator="bob").empty
    assert service.article_rejections(store, 2) == {(0, 4, "ORG")}
    assert service.article_rejections(store, 1) == set()
    assert service.rejected_strings(store) == [("Meta", "ORG")]
    assert span_edits.read_statuses(store, [2]) == {2: "new"}  # rejecting does not start an article

    undone = service.unreject_suggestion(store, 2, 0, 4, "ORG")
    assert undone.kind is ChangeKind.SUGGESTION_REJECTED and undone.before["annotator"] == "ana"
    assert service.article_rejections(store, 2) == set() and service.rejected_strings(store) == []
    assert service.unreject_suggestion(store, 2, 0, 4, "ORG").empty


@pytest.mark.parametrize(("start", "end", "label"), [(0, 400, "ORG"), (4, 4, "ORG"), (0, 4, "CLAIM"),
                                                      (0, 4, "NOPE")])
def test_a_rejection_must_fit_the_text_and_name_an_entity_label(store: Store, start: int, end: int,
                                                                label: str) -> None:
    _fill(store)
    with pytest.raises(InvalidInput):
        service.reject_suggestion(store, 2, start, end, label, annotator="ana")
    with pytest.raises(InvalidInput):
        service.reject_suggestion(store, 99, 0, 4, "ORG", annotator="ana")


def test_rejections_feed_the_suggester(store: Store) -> None:
    """"Meta" labelled once and rejected twice is no longer suggested; the other names still are."""
    _fill(store)
    store_articles(store, [NewArticle(uid="more", text="Meta again: the Meta board met.")])
    assert {OPEN[s["start"]:s["end"]] for s in service.build_suggester(store, None)(OPEN)} >= {"Meta", "Hugo Touvron"}
    service.reject_suggestion(store, 2, 0, 4, "ORG", annotator="ana")
    service.reject_suggestion(store, 4, 0, 4, "ORG", annotator="ana")
    found = {OPEN[s["start"]:s["end"]] for s in service.build_suggester(store, None)(OPEN)}
    assert "Meta" not in found and "Hugo Touvron" in found


def test_suggestions_for_an_article_leave_out_rejections_and_labelled_stretches(store: Store) -> None:
    _fill(store)
    suggester = service.build_suggester(store, None)
    everything = {(s["start"], s["end"], s["label"]) for s in service.suggestions_for(store, suggester, 2)}
    assert (0, 4, "ORG") in everything and (18, 30, "PERSON") in everything and (49, 56, "ORG") in everything
    service.reject_suggestion(store, 2, 0, 4, "ORG", annotator="ana")
    span_edits.add_span(store, 2, 18, 22, "PERSON", annotator="ana")  # overlaps "Hugo Touvron": same label
    span_edits.add_span(store, 2, 49, 56, "PERSON", annotator="ana")  # "Mistral" as another label
    left = {(s["start"], s["end"], s["label"]) for s in service.suggestions_for(store, suggester, 2)}
    assert (0, 4, "ORG") not in left and (18, 30, "PERSON") not in left
    assert (49, 56, "ORG") in left  # only a span of the same label hides a suggestion
    # Rejected for article 2 only: the same name in another article is still offered.
    store_articles(store, [NewArticle(uid="more", text="Meta again.")])
    assert [(s["start"], s["end"], s["label"]) for s in service.suggestions_for(store, suggester, 4)] == [
        (0, 4, "ORG")]


def test_suggestions_of_labels_the_dataset_lacks_are_not_offered(store: Store) -> None:
    _fill(store)

    def suggester(body: str) -> list[service.Suggestion]:
        return [{"start": 0, "end": 4, "label": "GPE", "score": 0.9}, {"start": 0, "end": 4, "label": "ORG", "score": 0.8}]

    assert service.suggestions_for(store, suggester, 2) == [{"start": 0, "end": 4, "label": "ORG", "score": 0.8}]


def test_the_stored_layer_is_replaced_per_article_and_used_without_a_suggester(store: Store) -> None:
    _fill(store)
    first = {2: [{"start": 0, "end": 4, "label": "ORG", "score": 0.9},
                 {"start": 18, "end": 30, "label": "PERSON", "score": 0.7, "source": "starter"},
                 {"start": 0, "end": 4, "label": "GPE", "score": 0.5},  # no such label: left out
                 {"start": 70, "end": 500, "label": "ORG", "score": 0.5}],  # past the text: left out
             3: [{"start": 0, "end": 4, "label": "ORG", "score": 0.2}]}
    changes = service.store_suggestions(store, first)  # type: ignore[arg-type]
    assert changes.kind is ChangeKind.SUGGESTIONS_STORED and changes.article_ids == (2, 3)
    assert not changes.touches_spans() and changes.touches_suggestions()
    assert service.stored_suggestions(store, 2) == [{"start": 0, "end": 4, "label": "ORG", "score": 0.9},
                                                    {"start": 18, "end": 30, "label": "PERSON", "score": 0.7}]
    with store.begin() as conn:
        assert conn.execute(text("SELECT source FROM suggestion ORDER BY id")).scalars().all() == [
            "dataset", "starter", "dataset"]
    assert service.stored_counts(store) == {"PERSON": 1, "ORG": 2}

    service.reject_suggestion(store, 2, 0, 4, "ORG", annotator="ana")
    assert service.suggestions_for(store, None, 2) == [{"start": 18, "end": 30, "label": "PERSON", "score": 0.7}]

    service.store_suggestions(store, {2: [{"start": 49, "end": 56, "label": "ORG", "score": 0.6}]})
    assert service.stored_suggestions(store, 2) == [{"start": 49, "end": 56, "label": "ORG", "score": 0.6}]
    assert service.stored_suggestions(store, 3) == [{"start": 0, "end": 4, "label": "ORG", "score": 0.2}]
    service.store_suggestions(store, {3: []})
    assert service.stored_suggestions(store, 3) == []
    assert service.store_suggestions(store, {}).empty


def test_acceptance_rates_count_suggested_spans_and_rejections_per_label(store: Store) -> None:
    _fill(store)
    assert service.acceptance_rates(store) == {}
    span_edits.add_span(store, 2, 0, 4, "ORG", annotator="ana", origin="suggested")
    span_edits.add_spans(store, 2, [(18, 30)], "PERSON", annotator="ana", origin="suggested")
    span_edits.add_span(store, 2, 49, 56, "ORG", annotator="ana", origin="suggested")
    service.reject_suggestion(store, 2, 23, 30, "PERSON", annotator="ana")
    service.reject_suggestion(store, 1, 24, 31, "ORG", annotator="ana")  # "Touvron" as ORG
    assert service.acceptance_rates(store) == {"PERSON": (1, 1), "ORG": (2, 1)}
    assert service.acceptance_percent(2, 1) == 67 and service.acceptance_percent(0, 0) is None


def test_deleting_an_article_or_a_label_deletes_its_suggestions_and_rejections(store: Store) -> None:
    _fill(store)
    labels.add_label(store, "PRODUCT")
    service.store_suggestions(store, {2: [{"start": 0, "end": 4, "label": "ORG", "score": 0.9}],
                                      3: [{"start": 0, "end": 4, "label": "PRODUCT", "score": 0.9}]})
    service.reject_suggestion(store, 2, 5, 10, "ORG", annotator="ana")
    service.reject_suggestion(store, 3, 5, 11, "PRODUCT", annotator="ana")
    span_edits.delete_articles(store, [2])
    product = next(lb.id for lb in labels.list_labels(store) if lb.name == "PRODUCT")
    labels.delete_label(store, product)
    with store.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM suggestion")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM suggestion_rejection")).scalar_one() == 0


def test_a_renamed_label_carries_its_rejections(store: Store) -> None:
    _fill(store)
    service.reject_suggestion(store, 2, 0, 4, "ORG", annotator="ana")
    org = next(lb.id for lb in labels.list_labels(store) if lb.name == "ORG")
    labels.update_label(store, org, name="ORGANISATION")
    assert service.article_rejections(store, 2) == {(0, 4, "ORGANISATION")}


def test_overlap_with_labelled_stretches_is_exact_at_the_edges() -> None:
    stretches = service._Stretches([(10, 20), (12, 14), (30, 35), (0, 2)])
    assert [stretches.overlap(s, e) for s, e in ((2, 10), (20, 30), (19, 21), (9, 11), (35, 40), (14, 16),
                                                  (1, 3), (31, 32))] == [
        False, False, True, True, False, True, True, True]
    assert not service._Stretches([]).overlap(0, 5)


def test_precompute_stops_between_batches_when_cancelled(store: Store) -> None:
    from app.core.cancel import Cancelled, CancelToken

    _fill(store)
    cancel = CancelToken()
    seen = []

    def progress(done: int, total: int, what: str) -> None:
        seen.append((done, total))
        cancel.cancel()

    suggester = service.build_suggester(store, None)
    with pytest.raises(Cancelled):
        service.precompute(store, suggester, [2, 3], progress=progress, cancel=cancel, batch=1)
    assert seen == [(1, 2)]
    assert [s["label"] for s in service.stored_suggestions(store, 2)] == ["ORG", "PERSON", "ORG"]
    assert service.articles_with_status(store, "new") == [2, 3]
    assert service.articles_with_status(store, "new", 1) == [2]


def test_the_settings_add_a_spacy_pipeline_and_one_that_cannot_be_used_leaves_the_dataset_s(store: Store,
                                                                                         tmp_path) -> None:
    from app.core.settings import Settings
    from app.core.suggest.spacy_source import CombinedSuggester

    _fill(store)
    own = service.build_suggester(store, Settings(suggestion_source="dataset"))
    assert not isinstance(own, CombinedSuggester)
    missing = tmp_path / "no-pipeline-here"
    combined = service.build_suggester(store, Settings(suggestion_source=f"spacy:{missing}"))
    assert isinstance(combined, CombinedSuggester)
    assert combined.second.label_map["PER"] == "PERSON"  # type: ignore[attr-defined]
    assert [(s["start"], s["end"], s["label"]) for s in service.suggestions_for(store, combined, 2)] == [
        (s["start"], s["end"], s["label"]) for s in service.suggestions_for(store, own, 2)]
    assert combined.problem and str(missing) in combined.problem
    trained_elsewhere = service.with_source(store, own, Settings(suggestion_source=f"spacy:{missing}"))
    assert isinstance(trained_elsewhere, CombinedSuggester) and trained_elsewhere.first is own


def test_before_anything_is_labelled_the_starter_model_suggests_under_the_datasets_own_label_names(
        store: Store) -> None:
    """A dataset that calls its labels PER and ORGANIZATION gets the starter's people and organisations
    under those names on its first article."""
    for label in labels.list_labels(store):
        renamed = {"PERSON": "PER", "ORG": "ORGANIZATION"}.get(label.name)
        if renamed:
            labels.update_label(store, label.id, name=renamed)
    article = "Angela Merkel met the chief executive of Siemens AG in Berlin on Tuesday."
    store_articles(store, [NewArticle(uid="first", text=article)])
    found = {(article[s["start"]:s["end"]], s["label"]) for s in service.build_suggester(store, None)(article)}
    assert ("Angela Merkel", "PER") in found
    assert {label for _, label in found} <= {"PER", "ORGANIZATION"}


def test_taking_back_a_rejection_takes_back_only_the_annotators_own(store: Store) -> None:
    """Ana's undo of a rejection Bob stored first (hers stored nothing) leaves Bob's in place."""
    _fill(store)
    assert not service.reject_suggestion(store, 2, 0, 4, "ORG", annotator="bob").empty
    assert service.reject_suggestion(store, 2, 0, 4, "ORG", annotator="ana").empty
    assert service.unreject_suggestion(store, 2, 0, 4, "ORG", annotator="ana").empty
    assert service.article_rejections(store, 2) == {(0, 4, "ORG")}
    assert not service.unreject_suggestion(store, 2, 0, 4, "ORG", annotator="bob").empty
    assert service.article_rejections(store, 2) == set()
