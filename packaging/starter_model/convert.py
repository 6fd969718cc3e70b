"""Convert the starter model's training corpora to the native JSONL shape.

Each output line is one document: ``{"id", "text", "spans": [{"start", "end", "label"}]}``
with PERSON and ORG spans only; ``text[start:end]`` is the name. The sources are
token-per-line (CoNLL) or token-list (DocRED JSON) files; their tokens are joined
back into plain text (see ``detokenize``) and the offsets follow the join.

Usage, from the repository root (paths of the source files as listed in SOURCE.md):

    python packaging/starter_model/convert.py packaging/starter_model/corpus \\
        --wikigold $ERD/data/wikigold/CONLL-format/data/wikigold.conll.txt \\
        --btc $ERD/data/BTC/CONLL-format/data/{a,b,e,f,g,h}.conll \\
        --redocred $REDOCRED/data/dev_revised.json $REDOCRED/data/test_revised.json

It writes ``wikigold.jsonl``, ``btc.jsonl`` and ``redocred.jsonl`` and prints their counts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

# Source labels → ours; every other label (LOC, MISC, TIME, ...) is dropped.
CONLL_LABELS = {"PER": "PERSON", "ORG": "ORG"}
DOCRED_LABELS = {"PER": "PERSON", "ORG": "ORG"}

_NO_SPACE_BEFORE = frozenset(".,;:!?)]}%") | {"...", "'s", "'S", "’s", "n't", "N'T", "'re", "'ve", "'ll", "'d", "'m"}
_NO_SPACE_AFTER = frozenset({"(", "[", "{", "$", "£", "€", "#", "@"})
_QUOTES = frozenset({'"', "``", "''"})

# A sentence: its tokens and its names as (first token, after last token, label).
Sentence = tuple[list[str], list[tuple[int, int, str]]]


def detokenize(sentences: Iterable[Sentence], *, join_hyphens: bool = False) -> tuple[str, list[dict]]:
    """The sentences as one text (a space between sentences) and their names as character spans.

    Spaces follow English typography: none before closing punctuation or a clitic
    ("Obama's", "don't"), none after an opening bracket, none inside a pair of straight
    quotes. ``join_hyphens`` writes "CKNL - FM" as "CKNL-FM" (DocRED splits hyphenated
    words; Wikipedia writes dashes between words as en or em dashes, not as a hyphen).
    """
    parts: list[str] = []
    length = 0
    spans: list[dict] = []
    for tokens, names in sentences:
        starts: list[int] = []
        ends: list[int] = []
        open_quote = False
        glue_next = False
        for i, token in enumerate(tokens):
            glue = glue_next or token in _NO_SPACE_BEFORE
            glue_next = token in _NO_SPACE_AFTER
            if token in _QUOTES:
                glue = glue or open_quote  # a closing quote sticks to the word before it
                glue_next = not open_quote  # an opening quote sticks to the word after it
                open_quote = not open_quote
            elif join_hyphens and token == "-" and 0 < i < len(tokens) - 1:
                glue = glue_next = tokens[i - 1][-1:].isalnum() and tokens[i + 1][:1].isalnum()
            if not glue and parts:
                parts.append(" ")
                length += 1
            starts.append(length)
            parts.append(token)
            length += len(token)
            ends.append(length)
        spans.extend({"start": starts[first], "end": ends[last - 1], "label": label} for first, last, label in names)
    return "".join(parts), spans


def conll_sentences(path: Path) -> Iterator[list[tuple[str, str]]]:
    """(token, tag) lists of a CoNLL file's sentences; a ``-DOCSTART-`` line is a sentence of its own."""
    sentence: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if not fields:
            if sentence:
                yield sentence
            sentence = []
            continue
        sentence.append((fields[0], fields[-1]))
        if fields[0] == "-DOCSTART-":
            yield sentence
            sentence = []
    if sentence:
        yield sentence


def conll_names(tags: list[str]) -> list[tuple[int, int, str]]:
    """Names of one sentence's BIO or IO tags, mapped to our labels.

    In IO tags (wikigold) adjacent tokens with the same type are one name.
    """
    names: list[tuple[int, int, str]] = []
    first, kind = 0, "O"
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, tag_kind = tag.partition("-")
        continues = prefix == "I" and tag_kind == kind
        if not continues:
            if kind in CONLL_LABELS:
                names.append((first, i, CONLL_LABELS[kind]))
            first, kind = i, (tag_kind if prefix in ("B", "I") else "O")
    return names


def wikigold_documents(path: Path) -> Iterator[dict]:
    """Wikigold's articles: a ``-DOCSTART-`` line starts each (the first one has none)."""
    sentences: list[Sentence] = []
    number = 0
    for sentence in conll_sentences(path):
        if sentence[0][0] == "-DOCSTART-":
            if sentences:
                yield document(f"wikigold#{number}", sentences)
                number += 1
            sentences = []
            continue
        tokens = [token for token, _ in sentence]
        sentences.append((tokens, conll_names([tag for _, tag in sentence])))
    if sentences:
        yield document(f"wikigold#{number}", sentences)


def btc_documents(path: Path) -> Iterator[dict]:
    """The Broad Twitter Corpus: one tweet a document.

    Usernames ("@4corners", or "@" "4corners" as two tokens) are not names in the
    sense of an article's text: they are dropped. A hashtag's name is the word
    without its "#" ("#Pistorius" → "Pistorius").
    """
    section = path.stem
    for number, sentence in enumerate(conll_sentences(path)):
        tokens = [token for token, _ in sentence]
        names = []
        for first, last, label in conll_names([tag for _, tag in sentence]):
            if tokens[first].startswith("@") or (first > 0 and tokens[first - 1] == "@"):
                continue
            first += tokens[first] == "#"
            if first < last:
                names.append((first, last, label))
        text, spans = detokenize([(tokens, names)])
        for span in spans:
            if text[span["start"]] == "#":
                span["start"] += 1
        yield {"id": f"btc-{section}#{number}", "text": text, "spans": [s for s in spans if s["start"] < s["end"]]}


def redocred_documents(path: Path) -> Iterator[dict]:
    """Re-DocRED's Wikipedia introductions, one a document, with every mention of a PER or ORG entity."""
    split = path.stem.split("_")[0]
    for number, doc in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        names: list[list[tuple[int, int, str]]] = [[] for _ in doc["sents"]]
        for entity in doc["vertexSet"]:
            for mention in entity:
                label = DOCRED_LABELS.get(mention["type"])
                if label is not None:
                    first, last = mention["pos"]
                    names[mention["sent_id"]].append((first, last, label))
        sentences = [(tokens, _without_overlaps(found)) for tokens, found in zip(doc["sents"], names, strict=True)]
        yield document(f"redocred-{split}#{number} {doc['title']}", sentences, join_hyphens=True)


def _without_overlaps(names: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The longest of overlapping names (then the first), each name once."""
    kept: list[tuple[int, int, str]] = []
    for name in sorted(set(names), key=lambda n: (n[0] - n[1], n[0])):
        if all(name[1] <= other[0] or other[1] <= name[0] for other in kept):
            kept.append(name)
    return sorted(kept)


def document(doc_id: str, sentences: list[Sentence], *, join_hyphens: bool = False) -> dict:
    text, spans = detokenize(sentences, join_hyphens=join_hyphens)
    return {"id": doc_id, "text": text, "spans": spans}


def write(path: Path, documents: Iterable[dict]) -> None:
    counts = {"PERSON": 0, "ORG": 0}
    docs = chars = 0
    with path.open("w", encoding="utf-8") as out:
        for doc in documents:
            for span in doc["spans"]:
                surface = doc["text"][span["start"] : span["end"]]
                assert surface and surface == surface.strip(), (doc["id"], surface)
                counts[span["label"]] += 1
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
            docs += 1
            chars += len(doc["text"])
    print(f"{path.name}: {docs} documents, {counts['PERSON']} PERSON, {counts['ORG']} ORG, {chars} characters")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the JSONL files")
    parser.add_argument("--wikigold", type=Path, required=True)
    parser.add_argument("--btc", type=Path, nargs="+", required=True)
    parser.add_argument("--redocred", type=Path, nargs="+", required=True)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    write(args.out / "wikigold.jsonl", wikigold_documents(args.wikigold))
    write(args.out / "btc.jsonl", (doc for path in args.btc for doc in btc_documents(path)))
    write(args.out / "redocred.jsonl", (doc for path in args.redocred for doc in redocred_documents(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
