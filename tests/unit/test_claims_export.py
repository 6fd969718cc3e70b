"""Claims as records (claims, claimreview), entity ids in native and spaCy exports, their entities file,
and importing both back, on real SQLite datasets in temp folders."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from app.cli import main
from app.core.db import span_json
from app.core.db.store import Store, open_store
from app.core.entities import linking, registry
from app.core.export.claims import same_as
from app.core.export.entities_file import entities_path, entities_path_for
from app.core.export.exporter import ExportError, ExportOptions, export_jsonl
from app.core.ingest.importer import ImportOptions, import_sources
from app.core.ingest.storing import store_articles
from app.core.validation import InvalidInput, NewArticle

SCHEMAORG = Path(__file__).parents[1] / "data" / "schemaorg" / "claimreview-types.jsonld"

TEXT_1 = ("Meta said the sky is green. Later Jean-Luc Martinet claimed that taxes fell by half. "
          "Facebook declined to comment.")
TEXT_2 = "Ana Lopez said rents doubled. Nobody said prices rose."


def _at(body: str, needle: str, label: str, **extra: Any) -> dict[str, Any]:
    start = body.index(needle)
    return {"start": start, "end": start + len(needle), "label": label, "annotator": extra.pop("annotator", "ana"),
            **extra}


def _new_entity(store: Store, kind: str, name: str, **kw: Any) -> int:
    return registry.create_entity(store, kind, name, **kw).entity_ids[0]  # type: ignore[return-value]


@pytest.fixture
def dataset(store: Store) -> Store:
    return fill(store)


def fill(store: Store) -> Store:
    """Two articles: one with linked mentions and linked claimants, one without an address whose
    claimant is a name only, and a claim without a verdict."""
    gone = _new_entity(store, "PERSON", "Somebody Else")
    meta = _new_entity(store, "ORG", "Meta", aliases=["Facebook"], external_id="Q380", note="the company")
    martinet = _new_entity(store, "PERSON", "Jean-Luc Martinet", external_id="https://example.org/martinet")
    registry.delete_entity(store, gone)  # the ids left are not 1, 2: the import keeps them anyway
    store_articles(store, [
        NewArticle(uid="a1", text=TEXT_1, title="Green skies", url="https://example.com/a1", published="2025-05-27",
                   status="done", source_kind="url", source="https://example.com/a1", spans=[
                       _at(TEXT_1, "Meta", "ORG", entity_id=meta),
                       _at(TEXT_1, "Facebook", "ORG", entity_id=meta, annotator="bob"),
                       _at(TEXT_1, "Jean-Luc Martinet", "PERSON", entity_id=martinet),
                       _at(TEXT_1, "the sky is green", "CLAIM", claimant_id=meta,
                           attributes={"claimant": "Meta", "verdict": "false", "note": "It is blue."}),
                       _at(TEXT_1, "taxes fell by half", "CLAIM", claimant_id=martinet, annotator="bob",
                           attributes={"claimant": "Martinet", "verdict": "true", "note": "",
                                       "date": "2024-01-02"}),
                   ]),
        NewArticle(uid="a2", text=TEXT_2, title="Offline note", status="in_progress", source_kind="paste", spans=[
            _at(TEXT_2, "Ana Lopez", "PERSON"),
            _at(TEXT_2, "rents doubled", "CLAIM",
                attributes={"claimant": "Ana Lopez", "verdict": "mostly false", "note": ""}),
            _at(TEXT_2, "prices rose", "CLAIM", attributes={"claimant": "", "verdict": "", "note": ""}),
        ]),
    ])
    return store


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _claim_ids(store: Store) -> dict[str, int]:
    with store.begin() as conn:
        return {t: int(i) for i, t in conn.execute(text(
            "SELECT span.id, span.text FROM span JOIN label ON label.id = span.label_id WHERE label.kind = 'claim'"))}


# --- claims -----------------------------------------------------------------------------------------


def test_claims_are_flat_records_one_per_line(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "claims.jsonl"
    summary = export_jsonl(dataset, out, ExportOptions(format="claims"))
    ids = _claim_ids(dataset)
    meta, martinet = 2, 3
    assert _lines(out) == [
        {"id": ids["the sky is green"], "text": "the sky is green", "claimant": "Meta", "claimant_id": meta,
         "verdict": "false", "note": "It is blue.", "date": "2025-05-27", "article": "a1", "title": "Green skies",
         "url": "https://example.com/a1", "start": 10, "end": 26, "label": "CLAIM", "annotator": "ana"},
        {"id": ids["taxes fell by half"], "text": "taxes fell by half", "claimant": "Martinet",
         "claimant_id": martinet, "verdict": "true", "note": None, "date": "2024-01-02", "article": "a1",
         "title": "Green skies", "url": "https://example.com/a1", "start": TEXT_1.index("taxes"), "end": TEXT_1.index(" by half") + 8, "label": "CLAIM",
         "annotator": "bob"},
        {"id": ids["rents doubled"], "text": "rents doubled", "claimant": "Ana Lopez", "claimant_id": None,
         "verdict": "mostly false", "note": None, "date": None, "article": "a2", "title": "Offline note",
         "url": None, "start": 15, "end": 28, "label": "CLAIM", "annotator": "ana"},
        {"id": ids["prices rose"], "text": "prices rose", "claimant": None, "claimant_id": None, "verdict": None,
         "note": None, "date": None, "article": "a2", "title": "Offline note", "url": None, "start": 42,
         "end": 53, "label": "CLAIM", "annotator": "ana"},
    ]
    assert summary.articles == 2 and summary.spans_per_label == {"CLAIM": 4}
    assert summary.paths == [out] and summary.entities_path is None
    assert not entities_path(out).exists()


def test_a_claim_whose_text_differs_from_the_article_stops_the_export(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "claims.jsonl"
    out.write_text("earlier\n", encoding="utf-8")
    with dataset.begin() as conn:
        conn.execute(text("UPDATE span SET text = 'the sky is blue' WHERE text = 'the sky is green'"))
    with pytest.raises(ExportError, match="Article a1: claim 10-26 says 'the sky is blue'"):
        export_jsonl(dataset, out, ExportOptions(format="claims"))
    assert out.read_text(encoding="utf-8") == "earlier\n"
    assert [p.name for p in tmp_path.iterdir() if "claims" in p.name] == ["claims.jsonl"]  # no temporary file


@pytest.mark.parametrize(("options", "texts"), [
    ({"statuses": ("done",)}, ["the sky is green", "taxes fell by half"]),
    ({"annotators": ("bob",)}, ["taxes fell by half"]),
    ({"labels": ("PERSON",)}, []),
    ({"labels": ("CLAIM",), "statuses": ("in_progress",)}, ["rents doubled", "prices rose"]),
])
def test_claims_follow_the_export_filters(dataset: Store, tmp_path: Path, options: dict, texts: list[str]) -> None:
    out = tmp_path / "claims.jsonl"
    export_jsonl(dataset, out, ExportOptions(format="claims", **options))
    assert [c["text"] for c in _lines(out)] == texts


def test_claims_split_by_article(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "claims.jsonl"
    summary = export_jsonl(dataset, out, ExportOptions(format="claims", split=(0.5, 0.5, 0.0)))
    lines = _lines(out)
    by_article = {c["article"]: c["split"] for c in lines}
    assert all(c["split"] == by_article[c["article"]] for c in lines)
    assert sum(summary.per_split.values()) == 4


# --- claimreview and the schema.org vocabulary ------------------------------------------------------------


class Vocabulary:
    """The schema.org classes and properties shipped as test data, with subclass inheritance."""

    DATA_TYPES = ("schema:Text", "schema:URL", "schema:Date", "schema:DateTime")

    def __init__(self, path: Path) -> None:
        graph = json.loads(path.read_text(encoding="utf-8"))["@graph"]

        def ids(value: Any) -> list[str]:
            return [v["@id"] for v in (value if isinstance(value, list) else [value])] if value else []

        def is_class(node: dict) -> bool:
            return "rdfs:Class" in (node["@type"] if isinstance(node["@type"], list) else [node["@type"]])

        self.parents = {n["@id"]: ids(n.get("rdfs:subClassOf")) for n in graph if is_class(n)}
        self.domains = {n["@id"]: ids(n.get("schema:domainIncludes")) for n in graph if n["@type"] == "rdf:Property"}
        self.ranges = {n["@id"]: ids(n.get("schema:rangeIncludes")) for n in graph if n["@type"] == "rdf:Property"}

    def ancestors(self, cls: str) -> set[str]:
        seen, todo = set(), [cls]
        while todo:
            c = todo.pop()
            if c not in seen:
                seen.add(c)
                todo.extend(self.parents.get(c, []))
        return seen

    def check(self, node: dict[str, Any], where: str = "") -> list[str]:
        """What in ``node`` (and the nodes inside it) the vocabulary does not allow."""
        cls = f"schema:{node.get('@type')}"
        if cls not in self.parents:
            return [f"{where}: no type {cls}"]
        problems = []
        for key, value in node.items():
            if key.startswith("@"):
                continue
            prop = f"schema:{key}"
            if prop not in self.domains:
                problems.append(f"{where}.{key}: no property {prop}")
                continue
            if not self.ancestors(cls) & set(self.domains[prop]):
                problems.append(f"{where}.{key}: {prop} is not a property of {cls} or its supertypes")
            ranges = set(self.ranges[prop])
            if isinstance(value, dict):
                problems += self.check(value, f"{where}.{key}")
                if not self.ancestors(f"schema:{value.get('@type')}") & ranges:
                    problems.append(f"{where}.{key}: a {value.get('@type')} is not in the range of {prop}")
            elif not any(self.ancestors(t) & ranges for t in self.DATA_TYPES):
                problems.append(f"{where}.{key}: {prop} takes no text value")
        return problems


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary(SCHEMAORG)


def test_the_shipped_vocabulary_is_the_real_one(vocabulary: Vocabulary) -> None:
    assert vocabulary.ancestors("schema:ClaimReview") == {"schema:ClaimReview", "schema:Review",
                                                          "schema:CreativeWork", "schema:Thing"}
    assert "schema:Claim" in vocabulary.domains["schema:appearance"]
    assert {"schema:Person", "schema:Organization"} <= set(vocabulary.ranges["schema:author"])
    # The check finds what is wrong: a property of another type, an unknown type, a node out of range.
    assert vocabulary.check({"@type": "Rating", "claimReviewed": "x"})
    assert vocabulary.check({"@type": "Verdict"})
    assert vocabulary.check({"@type": "ClaimReview", "itemReviewed": {"@type": "Rating"}}) == []
    assert vocabulary.check({"@type": "Claim", "author": {"@type": "Claim"}})


def test_claimreview_is_a_json_ld_array_the_vocabulary_allows(dataset: Store, tmp_path: Path,
                                                              vocabulary: Vocabulary) -> None:
    out = tmp_path / "reviews.json"
    summary = export_jsonl(dataset, out, ExportOptions(format="claimreview"))
    reviews = json.loads(out.read_text(encoding="utf-8"))  # one JSON document, not JSON Lines
    assert isinstance(reviews, list) and len(reviews) == 3
    assert out.read_text(encoding="utf-8").count("\n") == 5  # "[", one object per line, "]"
    for review in reviews:
        assert review["@context"] == "https://schema.org" and review["@type"] == "ClaimReview"
        assert vocabulary.check(review, "ClaimReview") == []
    sky, taxes, rents = reviews
    assert sky["claimReviewed"] == "the sky is green"
    assert sky["reviewRating"] == {"@type": "Rating", "alternateName": "false"}
    assert sky["author"] == {"@type": "Person", "name": "ana"}
    assert sky["itemReviewed"] == {
        "@type": "Claim", "author": {"@type": "Organization", "name": "Meta",
                                     "sameAs": "https://www.wikidata.org/wiki/Q380"},
        "datePublished": "2025-05-27",
        "appearance": {"@type": "CreativeWork", "url": "https://example.com/a1", "headline": "Green skies"}}
    assert taxes["itemReviewed"]["author"] == {"@type": "Person", "name": "Martinet",
                                               "sameAs": "https://example.org/martinet"}
    assert taxes["itemReviewed"]["datePublished"] == "2024-01-02"
    # Not linked: a name only. No address: the appearance names the headline alone. No date at all.
    assert rents["itemReviewed"] == {"@type": "Claim", "author": {"@type": "Person", "name": "Ana Lopez"},
                                     "appearance": {"@type": "CreativeWork", "headline": "Offline note"}}
    assert len(sky["datePublished"]) == 10
    assert summary.spans_per_label == {"CLAIM": 3} and summary.articles == 2
    assert summary.warnings == ["1 claim has no verdict and was left out: a ClaimReview needs a rating."]


def test_claimreview_of_nothing_is_an_empty_array(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "reviews.json"
    export_jsonl(store, out, ExportOptions(format="claimreview"))
    assert json.loads(out.read_text(encoding="utf-8")) == []


def test_claimreview_splits_into_files_only(dataset: Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        ExportOptions(format="claimreview", split=(0.8, 0.1, 0.1))
    out = tmp_path / "reviews.json"
    summary = export_jsonl(dataset, out, ExportOptions(format="claimreview", split=(0.5, 0.5, 0.0),
                                                       split_files=True))
    found = [r for path in summary.paths for r in json.loads(path.read_text(encoding="utf-8"))]
    assert len(found) == 3 and [p.name for p in summary.paths] == ["reviews.train.json", "reviews.dev.json",
                                                                   "reviews.test.json"]


@pytest.mark.parametrize(("external", "address"), [
    ("Q42", "https://www.wikidata.org/wiki/Q42"), (" q7 ", "https://www.wikidata.org/wiki/Q7"),
    ("https://example.org/x", "https://example.org/x"), ("", None), ("ISNI 0000 0001", None), ("Q0", None),
])
def test_same_as(external: str, address: str | None) -> None:
    assert same_as(external) == address


# --- entity ids in native and spaCy exports, and their entities file --------------------------------------


ENTITIES = [
    {"id": 2, "kind": "ORG", "name": "Meta", "aliases": ["Facebook"], "external_id": "Q380", "note": "the company"},
    {"id": 3, "kind": "PERSON", "name": "Jean-Luc Martinet", "aliases": [],
     "external_id": "https://example.org/martinet", "note": ""},
]


def test_native_and_spacy_spans_carry_entity_ids(dataset: Store, tmp_path: Path) -> None:
    native, spacy = tmp_path / "native.jsonl", tmp_path / "spacy.jsonl"
    summary = export_jsonl(dataset, native, ExportOptions(format="native"))
    export_jsonl(dataset, spacy, ExportOptions(format="spacy"))
    spans = {s["text"]: s for s in _lines(native)[0]["spans"]}
    assert spans["Meta"]["entity_id"] == 2 and spans["Jean-Luc Martinet"]["entity_id"] == 3
    assert spans["the sky is green"]["claimant_id"] == 2 and "entity_id" not in spans["the sky is green"]
    assert list(spans["Meta"]) == ["start", "end", "label", "text", "annotator", "attributes", "entity_id"]
    assert "entity_id" not in {k for s in _lines(native)[1]["spans"] for k in s}  # nothing linked: as before
    spacy_spans = {s["text"]: s for s in _lines(spacy)[0]["spans"]}
    assert spacy_spans["Meta"]["kb_id"] == "2" and spacy_spans["the sky is green"]["claimant_id"] == 2
    assert _lines(tmp_path / "native.entities.jsonl") == ENTITIES == _lines(tmp_path / "spacy.entities.jsonl")
    assert summary.entities == 2 and summary.entities_path == tmp_path / "native.entities.jsonl"


def test_spacy_reads_the_kb_id(dataset: Store, tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    out = tmp_path / "spacy.jsonl"
    export_jsonl(dataset, out, ExportOptions(format="spacy"))
    record = _lines(out)[0]
    doc = spacy.blank("en")(record["text"])
    spans = [doc.char_span(s["start"], s["end"], label=s["label"], kb_id=s.get("kb_id", "")) for s in record["spans"]]
    assert {s.text: s.kb_id_ for s in spans}["Meta"] == "2"


def test_the_entities_file_lists_only_what_the_exported_spans_link_to(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "people.jsonl"
    export_jsonl(dataset, out, ExportOptions(format="native", labels=("PERSON",)))
    assert _lines(tmp_path / "people.entities.jsonl") == ENTITIES[1:]
    export_jsonl(dataset, out, ExportOptions(format="native", statuses=("in_progress",)))
    assert (tmp_path / "people.entities.jsonl").read_bytes() == b""  # rewritten, empty: no stale entities
    export_jsonl(dataset, out, ExportOptions(format="native", labels=("CLAIM",), annotators=("ana",)))
    assert _lines(tmp_path / "people.entities.jsonl") == ENTITIES[:1]  # a claimant counts


def test_split_files_share_one_entities_file(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "set.jsonl"
    summary = export_jsonl(dataset, out, ExportOptions(split=(0.5, 0.25, 0.25), split_files=True))
    assert summary.entities_path == tmp_path / "set.entities.jsonl"
    assert all(entities_path_for(p) == tmp_path / "set.entities.jsonl" for p in summary.paths)
    assert entities_path_for(tmp_path / "other.jsonl") is None


def _native(store: Store, tmp_path: Path, name: str) -> list[dict[str, Any]]:
    out = tmp_path / f"{name}.jsonl"
    export_jsonl(store, out, ExportOptions(format="native"))
    return _lines(out)


def _cached(store: Store) -> int:
    with store.begin() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {span_json.TABLE} WHERE format = :f"),
                                {"f": span_json.FORMAT}).scalar_one())


def _entity_ids(lines: list[dict[str, Any]]) -> dict[str, int | None]:
    return {s["text"]: s.get("entity_id") for line in lines for s in line["spans"] if s["label"] != "CLAIM"}


def test_the_span_json_cache_follows_every_link_change(dataset: Store, tmp_path: Path) -> None:
    span_json.refresh_articles(dataset, [1, 2])
    assert _cached(dataset) == 2
    assert _native(dataset, tmp_path, "cached") == _native(dataset, tmp_path, "cached")
    with dataset.begin() as conn:
        ana = int(conn.execute(text("SELECT id FROM span WHERE text = 'Ana Lopez'")).scalar_one())
    lopez = _new_entity(dataset, "PERSON", "Ana Lopez")
    linking.link_spans(dataset, [ana], lopez)
    assert _entity_ids(_native(dataset, tmp_path, "linked"))["Ana Lopez"] == lopez
    span_json.refresh_articles(dataset, [1, 2])
    linking.merge_entities(dataset, 3, lopez)  # Ana Lopez's mention follows into entity 3
    assert _entity_ids(_native(dataset, tmp_path, "merged"))["Ana Lopez"] == 3
    span_json.refresh_articles(dataset, [1, 2])
    split = linking.split_entity(dataset, 3, [ana], "Ana Lopez").entity_ids[1]
    assert _entity_ids(_native(dataset, tmp_path, "split"))["Ana Lopez"] == split
    span_json.refresh_articles(dataset, [1, 2])
    registry.delete_entity(dataset, 2)  # the references' ON DELETE SET NULL fire the span trigger too
    lines = _native(dataset, tmp_path, "deleted")
    assert _entity_ids(lines)["Meta"] is None
    assert "claimant_id" not in {k for line in lines for s in line["spans"] if s["text"] == "the sky is green"
                                 for k in s}
    span_json.refresh_articles(dataset, [1, 2])
    assert _native(dataset, tmp_path, "refreshed") == lines
    registry.rename_entity(dataset, 3, "J.-L. Martinet")  # a rename changes no span list
    assert _cached(dataset) == 2


# --- import: round trip and matching -----------------------------------------------------------------------


@pytest.fixture
def new_dataset(tmp_path: Path, empty_dataset: Path) -> Iterator[Store]:
    path = tmp_path / "new.sqlite"
    shutil.copyfile(empty_dataset, path)
    s = open_store(path)
    yield s
    s.close()


def _import(store: Store, *paths: Path) -> Any:
    report = import_sources(store, [str(p) for p in paths], ImportOptions(workers=1))
    assert not report.failures, report.failures
    return report


@pytest.mark.parametrize("fmt", ["native", "spacy"])
def test_round_trip_through_a_new_dataset_is_lossless(dataset: Store, new_dataset: Store, tmp_path: Path,
                                                      fmt: str) -> None:
    first, second = tmp_path / "first" / f"{fmt}.jsonl", tmp_path / "second" / f"{fmt}.jsonl"
    first.parent.mkdir()
    second.parent.mkdir()
    export_jsonl(dataset, first, ExportOptions(format=fmt))
    report = _import(new_dataset, first)
    assert report.imported == 2
    export_jsonl(new_dataset, second, ExportOptions(format=fmt))
    assert second.read_bytes() == first.read_bytes()
    assert entities_path(second).read_bytes() == entities_path(first).read_bytes()
    assert "Created 2 entities of " in report.label_notes()[0] and "ORG Meta (#2)" in report.label_notes()[0]
    claims = tmp_path / "claims.jsonl"
    export_jsonl(new_dataset, claims, ExportOptions(format="claims"))
    assert [(c["claimant"], c["claimant_id"]) for c in _lines(claims)][:2] == [("Meta", 2), ("Martinet", 3)]


def test_split_files_import_back_with_one_entities_file(dataset: Store, new_dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "set.jsonl"
    summary = export_jsonl(dataset, out, ExportOptions(split=(0.5, 0.5, 0.0), split_files=True))
    # The files with articles, and the entities file, which is read with its export (once), not as articles.
    report = _import(new_dataset, *(p for p in summary.paths if p.stat().st_size), entities_path(out))
    assert report.imported == 2
    assert any("set.entities.jsonl: the entities of the export beside it" in s for s in report.skipped)
    assert sum("Created" in n for n in report.label_notes()) == 1
    again = tmp_path / "again" / "set.jsonl"
    again.parent.mkdir()
    export_jsonl(new_dataset, again, ExportOptions(split=(0.5, 0.5, 0.0), split_files=True))
    for path in summary.paths:
        assert (again.parent / path.name).read_bytes() == path.read_bytes()


def test_import_matches_entities_already_in_the_dataset(dataset: Store, new_dataset: Store, tmp_path: Path) -> None:
    other = _new_entity(new_dataset, "ORG", "Unrelated")
    meta = _new_entity(new_dataset, "ORG", "META", external_id="Q380")  # matched by its external id
    martinet = _new_entity(new_dataset, "PERSON", "jean-luc  MARTINET")  # by name, having no external id
    out = tmp_path / "native.jsonl"
    export_jsonl(dataset, out, ExportOptions(format="native"))
    report = _import(new_dataset, out)
    notes = report.label_notes()
    assert notes == [f"Matched 2 entities of native.entities.jsonl with entities already in the dataset: "
                     f"ORG Meta (#{meta}), PERSON Jean-Luc Martinet (#{martinet})."]
    assert other not in _entity_ids(_native(new_dataset, tmp_path, "after")).values()
    assert _entity_ids(_native(new_dataset, tmp_path, "after"))["Facebook"] == meta


def test_import_keeps_two_namesakes_apart_and_refuses_other_external_ids(new_dataset: Store, tmp_path: Path) -> None:
    taken = _new_entity(new_dataset, "PERSON", "Martinet", external_id="Q1")
    body = "Martinet met Martinet."
    (tmp_path / "x.jsonl").write_text(json.dumps({"id": "n1", "text": body, "spans": [
        {"start": 0, "end": 8, "label": "PERSON", "entity_id": 5},
        {"start": 13, "end": 21, "label": "PERSON", "entity_id": 6}]}) + "\n", encoding="utf-8")
    (tmp_path / "x.entities.jsonl").write_text("\n".join(json.dumps(e) for e in [
        {"id": 5, "kind": "PERSON", "name": "Martinet", "aliases": [], "external_id": "Q2", "note": ""},
        {"id": 6, "kind": "PERSON", "name": "Martinet", "aliases": [], "external_id": "", "note": ""},
        {"id": 7, "kind": "CLAIM", "name": "Not an entity"}, "not an object"]) + "\n", encoding="utf-8")
    notes = _import(new_dataset, tmp_path / "x.jsonl").label_notes()
    assert notes[0] == "Created 1 entity of x.entities.jsonl: PERSON Martinet (#5)."
    assert notes[1] == f"Matched 1 entity of x.entities.jsonl with entities already in the dataset: " \
                       f"PERSON Martinet (#{taken})."
    assert notes[2] == "x.entities.jsonl: line 4: not a JSON object."
    assert notes[3].startswith("x.entities.jsonl: entity 7: CLAIM is a claim label")
    assert sorted(_entity_ids(_native(new_dataset, tmp_path, "out"))) == ["Martinet"]
    with new_dataset.begin() as conn:
        assert [r[0] for r in conn.execute(text("SELECT entity_id FROM span ORDER BY start"))] == [5, taken]


def test_links_without_an_entities_file_are_dropped(dataset: Store, new_dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "native.jsonl"
    export_jsonl(dataset, out, ExportOptions(format="native"))
    entities_path(out).unlink()
    report = _import(new_dataset, out)
    assert report.label_notes() == ["5 entity links of imported spans dropped: no entities file is beside the export."]
    with new_dataset.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM span WHERE entity_id IS NOT NULL "
                                 "OR claimant_id IS NOT NULL")).scalar_one() == 0


def test_a_foreign_kb_id_is_no_link(new_dataset: Store, tmp_path: Path) -> None:
    path = tmp_path / "prodigy.jsonl"
    path.write_text(json.dumps({"text": "Douglas Adams wrote.", "spans": [
        {"start": 0, "end": 13, "label": "PERSON", "kb_id": "Q42"}]}) + "\n", encoding="utf-8")
    report = _import(new_dataset, path)
    assert report.imported == 1 and report.label_notes() == []


# --- command line --------------------------------------------------------------------------------------------


def test_cli_exports_claims_and_claimreview(dataset: Store, db_path: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    dataset.close()
    out = tmp_path / "reviews.json"
    assert main(["export", str(out), "--format", "claimreview", "--db", str(db_path)]) == 0
    printed = capsys.readouterr().out
    assert "Exported 3 claims from 2 articles (claimreview)" in printed
    assert "Warning: 1 claim has no verdict" in printed
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 3
    assert main(["export", str(tmp_path / "c.jsonl"), "--format", "claims", "--status", "done",
                 "--db", str(db_path)]) == 0
    assert len(_lines(tmp_path / "c.jsonl")) == 2
    assert main(["export", str(tmp_path / "n.jsonl"), "--db", str(db_path)]) == 0
    assert "n.entities.jsonl (2 entities)" in capsys.readouterr().out


def test_cli_import_reports_the_entities(dataset: Store, tmp_path: Path, empty_dataset: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "native.jsonl"
    export_jsonl(dataset, out, ExportOptions(format="native"))
    new = tmp_path / "new.sqlite"
    shutil.copyfile(empty_dataset, new)
    assert main(["import", str(out), "--db", str(new), "--workers", "1"]) == 0
    assert ("Created 2 entities of native.entities.jsonl: ORG Meta (#2), PERSON Jean-Luc Martinet (#3)."
            in capsys.readouterr().out)
