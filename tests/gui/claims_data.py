"""A sample dataset with claims whose claimants are linked, verdicts and dates given: for the claims GUI tests."""

from __future__ import annotations

from pathlib import Path

from app.core.db.store import Store, open_store
from app.core.entities import claim_links
from app.core.ingest.sample_dataset import create_sample_dataset
from app.core.ops import library, span_edits

# Claims added to the sample: (article title start, claim words, claimant, its kind, verdict, the claim's date)
EXTRA_CLAIMS = [
    ("Brindlecombe", "two customers with nut allergies had reported mild reactions",
     "Northvale Food Standards Office", "ORG", "true", "2025-06-13"),
    ("Brindlecombe", "Every other product we make is correctly labelled", "Marcus Ilunga", "PERSON", "misleading", ""),
    ("Aldermoor", "87 per cent of its members at the airline had backed the action",
     "Federation of Commercial Aircrew", "ORG", "true", "2025-05-05"),
    ("Aldermoor", "its rosters met every legal limit", "Aldermoor Air", "ORG", "false", "2025-05-05"),
    ("Greywick", "no school will lose a single hour of music", "Annika Forsythe", "PERSON", "unverified",
     "2025-03-18"),
]
# The sample's own claims: their claimants linked to new entities, and verdicts and dates given.
SAMPLE_CLAIMANTS = {"Cryptopolitan": ("ORG", "unverified", "2025-05-27"), "Imogen Thackeray": ("PERSON", None, "2025-04-08"),
                    "Brenna Okafor": ("PERSON", "false", "2025-04-08"), "Seacrest Tidal": ("ORG", "true", "2025-04-08")}


def article_id(store: Store, title_start: str) -> int:
    return next(r.id for r in library.list_articles(store, limit=100) if r.title.startswith(title_start))


def add_claims(store: Store) -> dict[str, int]:
    """The sample's claims with linked claimants, plus EXTRA_CLAIMS; the span id of each claim by its words."""
    made: dict[str, int] = {}
    entities: dict[str, int] = {}
    for article in library.list_articles(store, limit=100):
        detail = library.get_article(store, article.id)
        assert detail is not None
        for span in detail.spans:
            if span.label == "CLAIM" and span.attributes.get("claimant") in SAMPLE_CLAIMANTS:
                name = span.attributes["claimant"]
                kind, verdict, day = SAMPLE_CLAIMANTS[name]
                link = claim_links.set_claimant(store, span.id, name, entities.get(name),
                                                new_kind=None if name in entities else kind)
                entities[name] = link.after["claimant_id"]
                attrs = {**span_edits.read_span(store, span.id)["attributes"], "date": day}
                if verdict:
                    attrs["verdict"] = verdict
                span_edits.update_span(store, span.id, attributes=attrs)
                made[span.text] = span.id
    for title, words, claimant, kind, verdict, day in EXTRA_CLAIMS:
        art = article_id(store, title)
        text = span_edits.read_article_text(store, art)
        start = text.index(words)
        attrs = {"claimant": "", "verdict": verdict, "note": "", **({"date": day} if day else {})}
        span_id = span_edits.add_span(store, art, start, start + len(words), "CLAIM", annotator="ana",
                                      attributes=attrs).span_id
        assert span_id is not None
        change = claim_links.set_claimant(store, span_id, claimant, entities.get(claimant),
                                          new_kind=None if claimant in entities else kind)
        entities[claimant] = change.after["claimant_id"]
        made[words] = span_id
    return made


def make_claims_dataset(folder: Path) -> Path:
    """The sample dataset in ``folder`` with the claims of ``add_claims``."""
    path = create_sample_dataset(folder / "sample.curator.sqlite")
    with open_store(path) as store:
        add_claims(store)
    return path
