"""The ``spacy-docbin`` export: a ``.spacy`` file (``spacy.tokens.DocBin``) that ``spacy train`` reads.

Each article becomes a ``Doc`` made by the tokenizer of a blank spaCy pipeline
for the article's language (``spacy.blank``; English when the language is
unknown or its tokenizer needs packages not installed), so the reference
tokens are the ones ``spacy train`` makes itself. Entity spans become
``doc.ents`` (a linked one with its entity's id as ``kb_id``, a string, as in the
``spacy`` JSONL export and the entities file) and claim spans ``doc.spans["claims"]`` (they overlap the
entities); a claim's attributes (claimant, verdict, note) and the article's uid
go to ``doc.user_data``. spaCy is an optional extra: ``pip install "article-curator[spacy]"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from app.core.export.exporter import ExportError
from app.core.export.output import Output
from app.core.export.token_formats import Placed
from app.core.export.tokenizer import Token

CLAIMS_KEY = "claims"
FALLBACK_LANGUAGE = "en"
MISSING = ('The spacy-docbin format needs spaCy, which is not installed. Install it with '
           'pip install "article-curator[spacy]" (or pip install spacy), then export again.')


def _spacy() -> Any:
    try:
        import spacy
    except ImportError:
        raise ExportError(MISSING) from None
    return spacy


class DocBinWriter:
    holds_claims = True

    def __init__(self) -> None:
        spacy = _spacy()
        from spacy.tokens import DocBin, Span

        self.spacy = spacy
        self.span = Span
        self.tokenizer = f"spaCy {spacy.__version__} blank tokenizer"
        self.bins: dict[str, Any] = {}
        self.make_bin = lambda: DocBin(store_user_data=True)
        self.pipelines: dict[str, Any] = {}
        self.docs: dict[str, Any] = {}  # uid → the Doc its tokens came from
        self.outputs: dict[str, Output] = {}
        self.tag_names: list[str] = []
        self.extra_targets: dict[str, Path] = {}

    def _pipeline(self, language: str | None) -> Any:
        code = (language or FALLBACK_LANGUAGE).split("-")[0].split("_")[0].lower() or FALLBACK_LANGUAGE
        nlp = self.pipelines.get(code)
        if nlp is None:
            try:
                nlp = self.spacy.blank(code)
                nlp.make_doc("A test.")  # Japanese, Chinese, Thai ... need packages of their own
            except (ImportError, ValueError, KeyError, OSError, AttributeError):
                nlp = self._pipeline(FALLBACK_LANGUAGE) if code != FALLBACK_LANGUAGE else self.spacy.blank("xx")
            self.pipelines[code] = nlp
        return nlp

    def tokens(self, uid: str, language: str | None, body: str) -> list[Token]:
        nlp = self._pipeline(language)
        nlp.max_length = max(nlp.max_length, len(body) + 1)  # only the tokenizer runs
        doc = nlp.make_doc(body)
        self.docs[uid] = doc
        # From the document's arrays: making a Token object per token costs several times more.
        starts, lengths = doc.to_array(["IDX", "LENGTH"]).T.tolist() if len(doc) else ([], [])
        return [(s, s + n) for s, n in zip(starts, lengths, strict=True)]

    def start(self, outputs: dict[str, Output]) -> None:
        self.outputs = outputs

    def add(self, split: str, uid: str, body: str, tokens: list[Token], entities: list[Placed],
            claims: list[Placed]) -> None:
        doc = self.docs.pop(uid)
        # A linked span carries its entity's id as its knowledge-base id, as the spacy JSONL export writes it.
        # ("" is spaCy's own "no knowledge-base id".)
        doc.ents = [self.span(doc, p.first, p.last, label=p.label,
                              kb_id="" if p.span.entity_id is None else str(p.span.entity_id))
                    for p in entities]
        doc.spans[CLAIMS_KEY] = [self.span(doc, p.first, p.last, label=p.label) for p in claims]
        doc.user_data["article"] = uid
        doc.user_data[CLAIMS_KEY] = [
            {"start": p.start, "end": p.end, "label": p.label,
             "attributes": orjson.loads(p.span.attributes) if p.span.attributes else {}}
            for p in claims
        ]
        bin_ = self.bins.get(split)
        if bin_ is None:
            bin_ = self.bins[split] = self.make_bin()
        bin_.add(doc)

    def finish(self) -> None:
        for split, output in self.outputs.items():
            bin_ = self.bins.get(split) or self.make_bin()  # an empty split still gets its file
            output.write(bin_.to_bytes())
