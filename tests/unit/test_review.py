"""Adjudication: candidates from the annotators' layers, agreed ones, conflicting claim attributes, the
reviewer's rejections, and the export of the gold layer by default."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.core.export.exporter import ExportOptions, export_jsonl, left_unreviewed, with_layer
from app.core.ingest.storing import NewArticle, store_articles
from app.core.ops import span_edits
from app.core.team import review
from app.core.validation import InvalidInput

TEXT = "Hugo Touvron left Meta. Mistral said the model was open."


@dataclass
class S:
    start: int
    end: int
    label: str
    annotator: str
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return TEXT[self.start:self.end]


def test_candidates_are_what_some_layer_has_and_gold_lacks() -> None:
    spans = [S(0, 12, "PERSON", "ana"), S(0, 12, "PERSON", "ben"),  # both: agreed
             S(0, 4, "PERSON", "cho"),  # cho's shorter name: a disagreement
             S(18, 22, "ORG", "ana"), S(18, 22, "ORG", "gold"),  # already in gold: not a candidate
             S(24, 31, "ORG", "ben")]  # only ben
    found = review.candidates(spans, ["ana", "ben", "cho"])
    assert [(c.key, c.by, c.without) for c in found] == [
        ((0, 12, "PERSON"), ("ana", "ben"), ("cho",)),
        ((0, 4, "PERSON"), ("cho",), ("ana", "ben")),
        ((24, 31, "ORG"), ("ben",), ("ana", "cho")),
    ]
    assert not any(c.agreed for c in found)  # cho left Hugo Touvron out
    two = review.candidates([s for s in spans if s.annotator != "cho"], ["ana", "ben"])
    assert [c.key for c in two if c.agreed] == [(0, 12, "PERSON")]
    # Someone who finished the article with an empty layer says "no" to everything.
    assert not any(c.agreed for c in review.candidates(spans[:2], ["ana", "ben", "dan"]))
    assert review.candidates(spans, ["ana", "ben", "cho"], rejected={(24, 31, "ORG")})[-1].key == (0, 4, "PERSON")


def test_conflicting_claim_attributes_are_shown_together_and_the_majority_is_merged() -> None:
    claim = (24, 56, "CLAIM")
    spans = [S(*claim, "ana", {"verdict": "false", "claimant": "Mistral", "note": ""}),
             S(*claim, "ben", {"verdict": "misleading", "claimant": "Mistral", "note": ""}),
             S(*claim, "cho", {"verdict": "misleading", "claimant": "Mistral", "note": "check"})]
    [candidate] = review.candidates(spans, ["ana", "ben", "cho"])
    assert not candidate.agreed  # same span, different verdicts: the reviewer decides
    assert candidate.conflicts == {"note": {"ana": "", "ben": "", "cho": "check"},
                                   "verdict": {"ana": "false", "ben": "misleading", "cho": "misleading"}}
    assert candidate.merged_attributes() == {"verdict": "misleading", "claimant": "Mistral", "note": ""}
    said = review.describe(candidate)
    assert "verdict: false (ana) · misleading (ben) · misleading (cho)" in said
    tie = review.candidates(spans[:2], ["ana", "ben"])[0]
    assert tie.merged_attributes()["verdict"] == "false"  # a tie: the first annotator by name


@pytest.fixture
def article(store) -> int:  # type: ignore[no-untyped-def]
    [outcome] = store_articles(store, [NewArticle(text=TEXT, title="t", source_kind="paste")])
    return int(outcome.article_id)


def test_the_annotators_of_an_article_include_who_finished_it_with_nothing(store, article) -> None:  # type: ignore[no-untyped-def]
    span_edits.add_span(store, article, 0, 12, "PERSON", annotator="ana")
    span_edits.add_span(store, article, 0, 12, "PERSON", annotator="gold")
    span_edits.set_status(store, [article], "done", "ben")
    span_edits.set_status(store, [article], "in_progress", "cho")
    assert review.article_annotators(store, article) == ["ana", "ben"]


def test_a_rejection_is_kept_and_taken_back(store, article) -> None:  # type: ignore[no-untyped-def]
    key = (18, 22, "ORG")
    review.reject(store, article, key, reviewer="rita")
    review.reject(store, article, key, reviewer="rita")  # again: nothing changes
    assert review.rejected(store, article) == {key}
    review.unreject(store, article, key)
    assert review.rejected(store, article) == set()
    with pytest.raises(InvalidInput, match="no label"):
        review.reject(store, article, (0, 4, "NOPE"), reviewer="rita")


def _exported(store, tmp_path: Path, **options: Any) -> tuple[list[tuple[str, str]], str]:  # type: ignore[no-untyped-def]
    out = tmp_path / "out.jsonl"
    export_jsonl(store, out, ExportOptions(**options))
    records = [json.loads(line) for line in out.read_text().splitlines()]
    layer = json.loads(out.with_name("out.manifest.json").read_text())["layer"]
    return sorted((s["text"], s["annotator"]) for r in records for s in r["spans"]), layer


def test_the_export_writes_gold_by_default_a_named_layer_or_all(store, article, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    span_edits.add_span(store, article, 0, 12, "PERSON", annotator="ana")
    span_edits.add_span(store, article, 0, 4, "PERSON", annotator="ben")
    spans, layer = _exported(store, tmp_path)
    assert spans == [("Hugo", "ben"), ("Hugo Touvron", "ana")] and layer.startswith("all layers")  # no gold yet
    [unreviewed] = store_articles(store, [NewArticle(text="Mistral hired Ana Ruiz.", title="u", source_kind="paste")])
    span_edits.add_span(store, unreviewed.article_id, 14, 22, "PERSON", annotator="ana")
    span_edits.add_span(store, article, 0, 12, "PERSON", annotator="gold")
    spans, layer = _exported(store, tmp_path)  # gold exists, but no reviewer finished an article yet
    assert spans == [] and layer.startswith("gold")
    span_edits.set_status(store, [article], "done", "gold")  # the review of it is finished
    spans, layer = _exported(store, tmp_path)  # the gold layer of the reviewed article; the other is left out
    assert spans == [("Hugo Touvron", "gold")] and layer.startswith("gold")
    assert left_unreviewed(store, with_layer(store, ExportOptions())) == 1
    spans, layer = _exported(store, tmp_path, annotators=("ben",))
    assert spans == [("Hugo", "ben")] and "ben" in layer
    spans, layer = _exported(store, tmp_path, all_layers=True)
    assert spans == [("Ana Ruiz", "ana"), ("Hugo", "ben"), ("Hugo Touvron", "ana"), ("Hugo Touvron", "gold")]
    with pytest.raises(InvalidInput, match="not both"):
        ExportOptions(annotators=("ben",), all_layers=True)
