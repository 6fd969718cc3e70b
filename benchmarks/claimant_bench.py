"""How often the proposed claimant of a CLAIM is right (``app.core.entities.claimant``).

    python benchmarks/claimant_bench.py            # summary
    python benchmarks/claimant_bench.py --details  # plus every claim, its claimant and the proposals

Two sets of claims:

- the sample dataset the app ships (``resources/sample/sample-articles.jsonl``):
  its CLAIM spans with a claimant attribute, the article's own PERSON and ORG
  spans as the mentions;
- the hand-labelled claims of ``benchmarks/data/claims/claimants.jsonl`` (see
  SOURCE.md there), with the PERSON and ORG mentions of
  ``benchmarks/data/claims/mentions.jsonl``.

A proposal is right when its text is the claimant's name (or one of the
claim's listed aliases, e.g. "Ilunga" for "Marcus Ilunga"), without case.
"Top-1" counts claims whose first proposal is right, "any" claims with a right
proposal anywhere in the list. The labelled set also counts by kind: "reported"
claims are attributed to someone in the text; "author" claims are the
publication's own, whose claimant (the publisher) is named only in the page's
header or footer, so a proposal from the text around the claim cannot find it.

Last, the list the claim details box offers (``claim_links.article_options``,
the proposals first) on the sample dataset as the app makes it: how often its
first entry is the claimant.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.core.entities.claimant import propose_claimant  # after the path is set

SAMPLE = ROOT / "resources" / "sample" / "sample-articles.jsonl"
LABELLED = ROOT / "benchmarks" / "data" / "claims"
ENTITY_LABELS = ("PERSON", "ORG")


class Case:
    def __init__(self, name: str, text: str, claim: tuple[int, int], mentions: list, names: list[str],
                 kind: str) -> None:
        self.name, self.text, self.claim, self.mentions, self.kind = name, text, claim, mentions, kind
        self.names = {n.casefold() for n in names}


def sample_cases() -> list[Case]:
    cases = []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        spans = article.get("spans", [])
        mentions = [(s["start"], s["end"], s["label"]) for s in spans if s["label"] in ENTITY_LABELS]
        for span in spans:
            claimant = (span.get("attributes") or {}).get("claimant", "")
            if span["label"] == "CLAIM" and claimant:
                cases.append(Case(claimant, article["text"], (span["start"], span["end"]), mentions,
                                  [claimant], "sample"))
    return cases


def labelled_cases() -> list[Case]:
    texts = {json.loads(line)["id"]: json.loads(line)["text"]
             for line in SAMPLE.read_text(encoding="utf-8").splitlines()}
    mentions = {}
    for line in (LABELLED / "mentions.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["source"] != str(SAMPLE.relative_to(ROOT)):
            texts[record["article"]] = (ROOT / record["source"]).read_text(encoding="utf-8")
        text = texts[record["article"]]
        for start, end, _label, surface in record["mentions"]:
            assert text[start:end] == surface, (record["article"], surface)
        mentions[record["article"]] = [tuple(m[:3]) for m in record["mentions"]]
    cases = []
    for line in (LABELLED / "claimants.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        text = texts[record["article"]]
        start, end = record["claim"]
        assert text[start:end] == record["claim_text"], record["claim_text"]
        cases.append(Case(record["claimant_text"], text, (start, end), mentions[record["article"]],
                          [record["claimant_text"], *record["aliases"]], record["kind"]))
    return cases


def score(title: str, cases: list[Case], details: bool) -> None:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # claims, top-1, any, none proposed
    elapsed = 0.0
    for case in cases:
        began = time.perf_counter()
        proposals = propose_claimant(case.text, case.claim, case.mentions)
        elapsed += time.perf_counter() - began
        said = [case.text[p.start:p.end] for p in proposals]
        top = bool(said) and said[0].casefold() in case.names
        anywhere = any(s.casefold() in case.names for s in said)
        for kind in ("all", case.kind):
            row = counts[kind]
            row[0] += 1
            row[1] += top
            row[2] += anywhere
            row[3] += not said
        if details:
            mark = "ok " if top else ("2nd" if anywhere else "-- ")
            claim = case.text[case.claim[0]:case.claim[1]]
            print(f"  {mark} {case.name!r:36} {said[:3]!r:70} {claim[:50]!r}")
    print(f"{title}:")
    for kind, (n, right, right_anywhere, empty) in sorted(counts.items(), key=lambda kv: kv[0] != "all"):
        if kind == "all" or len(counts) > 2:
            print(f"  {kind:9} {n:3} claims  top-1 right {right:3} ({right / n:6.1%})  any proposal right"
                  f" {right_anywhere:3} ({right_anywhere / n:6.1%})  nothing proposed {empty}")
    print(f"  {elapsed / max(1, len(cases)) * 1e6:.0f} µs per claim")


def score_claim_details(details: bool) -> None:
    """What the claim details box lists first, on the sample dataset made as the app makes it.

    The box's list (``claim_links.article_options``) reads the article's PERSON and
    ORG spans from the dataset, puts ``propose_claimant``'s proposals first, then the
    other names nearest the claim; each name once. Counted: claims whose first
    entry is the claimant, and whose claimant is among the first three.
    """
    import os
    import tempfile

    from app.core.db.store import open_store
    from app.core.entities import claim_links
    from app.core.ingest.sample_dataset import create_sample_dataset
    from app.core.ops import library

    with tempfile.TemporaryDirectory(prefix="curator-claimant-bench-") as home:
        os.environ["ARTICLE_CURATOR_HOME"] = home
        path = create_sample_dataset(Path(home) / "sample.curator.sqlite")
        n = first = top3 = 0
        elapsed = 0.0
        with open_store(path) as store:
            for row in library.list_articles(store, limit=1000):
                article = library.get_article(store, row.id)
                assert article is not None
                for span in article.spans:
                    claimant = str(span.attributes.get("claimant") or "")
                    if span.label != "CLAIM" or not claimant:
                        continue
                    began = time.perf_counter()
                    mentions = claim_links.article_mentions(store, article.id)
                    options = claim_links.article_options(store, article.text, (span.start, span.end), mentions)
                    elapsed += time.perf_counter() - began
                    names = [o.name.casefold() for o in options]
                    n += 1
                    first += bool(names) and names[0] == claimant.casefold()
                    top3 += claimant.casefold() in names[:3]
                    if details:
                        print(f"  {'ok ' if names[:1] == [claimant.casefold()] else '-- '} {claimant!r:30} "
                              f"{[o.name for o in options][:3]!r}")
    print("Claim details' list on the sample dataset (through the dataset, as the app lists it):")
    print(f"  {n} claims  first entry right {first} ({first / max(1, n):6.1%})  claimant in the first three "
          f"{top3} ({top3 / max(1, n):6.1%})  {elapsed / max(1, n) * 1000:.1f} ms per claim")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--details", action="store_true", help="list every claim with its proposals")
    args = parser.parse_args()
    score("Sample dataset (resources/sample)", sample_cases(), args.details)
    score("Hand-labelled claims (benchmarks/data/claims)", labelled_cases(), args.details)
    score_claim_details(args.details)


if __name__ == "__main__":
    main()
