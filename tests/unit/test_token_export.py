"""Token-level exports read back by their consumers: a CoNLL reader, the Hugging Face JSON, spaCy's DocBin.

Every span read is accounted for: written (and found again by the reader), reported
as moved onto token boundaries, reported as left out, or counted as a claim that a
token format cannot hold. Nothing disappears silently.
"""

from __future__ import annotations

import sys
import unicodedata
from collections import Counter
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

from app.core.db.store import Store
from app.core.export import tokenizer
from app.core.export.exporter import ExportError, ExportOptions, export_jsonl, split_for
from app.core.export.token_formats import Placed, Span, align, tag_names, tags
from app.core.ingest.storing import store_articles
from app.core.validation import NewArticle
from tests.unit.test_export import plain_articles, sample_article, span, unicode_article

# Spans that do not fall on the tokens, that overlap, and one a sentence boundary would cut.
AWKWARD_TEXT = ("Mr. Hugo Touvronson met Valley Bank officials in Paris. Alpha! Beta Corp said so.\n"
                "Nothing else: Zed Ltd. agreed.")


def awkward_article() -> NewArticle:
    body = AWKWARD_TEXT
    return NewArticle(text=body, title="Awkward", status="done", language="en", spans=[
        span(body, "Touvron", "PERSON", annotator="erin"),  # part of a word
        span(body, "Valley Bank", "ORG", annotator="erin"),
        span(body, "Valley", "ORG", annotator="erin"),  # inside a longer ORG
        span(body, "Alpha! Beta Corp", "ORG", annotator="erin"),  # across "!" and a capital
        span(body, "Zed Ltd.", "ORG", annotator="erin"),
        span(body, "officials in Paris. Alpha", "CLAIM", annotator="erin", claimant="", verdict="", note=""),
    ])


@pytest.fixture
def dataset(store: Store, sample_text: str) -> Store:
    articles = [sample_article(sample_text), unicode_article(), *plain_articles(), awkward_article()]
    assert [o.outcome for o in store_articles(store, articles)] == ["imported"] * 5
    return store


def stored(store: Store) -> dict[str, list[tuple[int, int, str, str, str]]]:
    """Each article's spans by uid (one for several annotators' alike spans): start, end, label, kind, text."""
    with store.begin() as conn:
        rows = conn.execute(text(
            'SELECT DISTINCT article.uid, span.start, span."end", label.name, label.kind, span.text FROM span '
            "JOIN article ON article.id = span.article_id JOIN label ON label.id = span.label_id")).all()
    out: dict[str, list[tuple[int, int, str, str, str]]] = {}
    for uid, *rest in rows:
        out.setdefault(uid, []).append(tuple(rest))  # type: ignore[arg-type]
    return out


def uids_in_order(store: Store) -> list[str]:
    with store.begin() as conn:
        return [r[0] for r in conn.execute(text("SELECT uid FROM article ORDER BY id"))]


def squash(s: str) -> str:
    return "".join(s.split())


# --- the tokenizer ----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [AWKWARD_TEXT, "René\u0301e 👩🏽‍🔬 and 🇫🇷 in 東京。Next.",
                                  "U.S. firm paid $3.5 billion (1,000 shares) on 2025-05-27... J. R. Smith's"])
def test_every_character_but_whitespace_is_in_exactly_one_token(body: str) -> None:
    tokens = tokenizer.tokenize(body)
    covered = [False] * len(body)
    last_end = 0
    for start, end in tokens:
        assert last_end <= start < end
        for i in range(start, end):
            covered[i] = True
        last_end = end
        # No token ends inside a grapheme cluster: the next character is no combining mark or joiner.
        if end < len(body):
            assert unicodedata.category(body[end]) not in ("Mn", "Me") and body[end] not in "\u200d\U0001F3FD"
    assert all(covered[i] or body[i].isspace() for i in range(len(body)))


def test_tokens_split_punctuation_possessives_and_hyphens_but_keep_abbreviations() -> None:
    body = "Meta’s Meta-owned lab: Dr. Smith, U.S. (3.5%) said \"no\". https://x.org/a?b=1."
    words = [body[s:e] for s, e in tokenizer.tokenize(body)]
    assert words == ["Meta", "’s", "Meta", "-", "owned", "lab", ":", "Dr.", "Smith", ",", "U.S.", "(", "3.5", "%",
                     ")", "said", '"', "no", '"', ".", "https://x.org/a?b=1", "."]
    assert body.split() != words  # not str.split


def rules_only(body: str) -> list[tuple[int, int]]:
    """The tokens by the rules alone, at every position that is not whitespace: no fast paths."""
    out, pos = [], 0
    while pos < len(body):
        if body[pos].isspace() or body[pos] in "\u200b\u2060\ufeff":
            pos += 1
            continue
        end = tokenizer._TOKEN.match(body, pos).end()
        out.append((pos, end))
        pos = end
    return out


@pytest.mark.parametrize("body", [
    AWKWARD_TEXT, "Dr. J. Smith, Mr. X. and U.S. Inc. sold 3. 4, 5; Co. I. said: end. J.",
    "Mar. mar. word' words\" (paren) x! y? A. www. www.x.org, bob@x.org. 2025. 10:30, 1,000.",
    "tab\tnew\nline\x1cgroup\u200bzero\u00a0nbsp Meta’s Jean-Luc O'Brien's don't 'quoted' \"q\".",
])
def test_the_fast_paths_cut_as_the_rules_do(body: str) -> None:
    assert tokenizer.tokenize(body) == rules_only(body)


def test_sentences_end_at_terminators_and_line_breaks_not_at_abbreviations() -> None:
    body = 'Dr. Smith met J. R. Jones. "Really?" she asked.\nHeadline\nThe end... of it. 42 left'
    tokens = tokenizer.tokenize(body)
    said = [" ".join(body[s:e] for s, e in tokens[a:b]) for a, b in tokenizer.sentences(body, tokens)]
    assert said == ["Dr. Smith met J. R. Jones .", '" Really ? " she asked .', "Headline", "The end ... of it .",
                    "42 left"]


def test_align_expand_contract_strict() -> None:
    body = "Mr. Hugo Touvronson met"
    tokens = tokenizer.tokenize(body)
    s = body.index("Touvron")
    assert align(tokens, s, s + 7, "expand") == (2, 3)
    assert align(tokens, s, s + 7, "contract") is None
    assert align(tokens, s, s + 7, "strict") is None
    h = body.index("Hugo")
    assert align(tokens, h, s + 7, "contract") == (1, 2)  # "Hugo Touvron" → "Hugo"
    assert align(tokens, h, s + 10, "strict") == (1, 3)


def test_bio_and_biluo_tags() -> None:
    sp = Span(0, 1, "X", "x")
    spans = [Placed(0, 1, "ORG", 0, 1, sp), Placed(2, 5, "PERSON", 0, 1, sp)]
    assert tags(6, spans, "bio") == ["B-ORG", "O", "B-PERSON", "I-PERSON", "I-PERSON", "O"]
    assert tags(6, spans, "biluo") == ["U-ORG", "O", "B-PERSON", "I-PERSON", "L-PERSON", "O"]
    assert tag_names(["ORG"], "biluo") == ["O", "B-ORG", "I-ORG", "L-ORG", "U-ORG"]


# --- readers, as the consumers read -------------------------------------------------------------------


def decode(tokens: list[str], tag_seq: list[str]) -> list[tuple[str, str]]:
    """(label, tokens joined) of each entity in a BIO or BILUO tag sequence; an invalid sequence fails."""
    out: list[tuple[str, str]] = []
    current: tuple[str, list[str]] | None = None
    for token, tag in zip(tokens, tag_seq, strict=True):
        prefix, _, label = tag.partition("-")
        if prefix in ("I", "L"):
            assert current is not None and current[0] == label, f"{tag} continues nothing"
            current[1].append(token)
            if prefix == "L":
                out.append((label, "".join(current[1])))
                current = None
            continue
        if current is not None:
            out.append((current[0], "".join(current[1])))
            current = None
        if prefix == "B":
            current = (label, [token])
        elif prefix == "U":
            out.append((label, token))
        else:
            assert tag == "O"
    if current is not None:
        out.append((current[0], "".join(current[1])))
    return out


def read_conll(path: Path) -> list[list[tuple[list[str], list[str]]]]:
    """Documents of sentences of (tokens, tags), as CoNLL-2003 readers take the columns (first and last)."""
    docs: list[list[tuple[list[str], list[str]]]] = []
    sentence: tuple[list[str], list[str]] = ([], [])
    for line in path.read_text(encoding="utf-8").split("\n"):
        columns = line.split()
        if not columns:
            if sentence[0]:
                docs[-1].append(sentence)
            sentence = ([], [])
        elif columns[0] == "-DOCSTART-":
            docs.append([])
        else:
            assert len(columns) == 4, line
            sentence[0].append(columns[0])
            sentence[1].append(columns[-1])
    assert not sentence[0]
    return docs


def conll_entities(path: Path, uids: list[str]) -> Counter[tuple[str, str, str]]:
    docs = read_conll(path)
    assert len(docs) == len(uids)
    return Counter((uid, label, joined) for uid, doc in zip(uids, docs, strict=True)
                   for tokens, tag_seq in doc for label, joined in decode(tokens, tag_seq))


def hf_entities(path: Path, tag_list: list[str]) -> Counter[tuple[str, str, str]]:
    found: Counter[tuple[str, str, str]] = Counter()
    for line in path.read_bytes().splitlines():
        record = orjson.loads(line)
        assert set(record) == {"id", "article", "tokens", "ner_tags"}
        assert all(isinstance(t, int) for t in record["ner_tags"])
        for label, joined in decode(record["tokens"], [tag_list[t] for t in record["ner_tags"]]):
            found[(record["article"], label, joined)] += 1
    return found


def expected_entities(store: Store, summary, body_of: dict[str, str]) -> Counter[tuple[str, str, str]]:
    """The entity spans as the reader must find them: stored text, or where the report says they moved,
    less those reported as left out."""
    moved = {}
    for item in summary.adjusted:  # "uid: LABEL s-e “text” expanded to s2-e2 “text2”"
        uid, rest = item.split(": ", 1)
        label, offsets = rest.split(" ")[:2]
        target = rest.rsplit(" to ", 1)[1].split(" ")[0]
        moved[(uid, label, offsets)] = tuple(map(int, target.split("-")))
    left = {(item.split(": ", 1)[0], *item.split(": ", 1)[1].split(" ")[:2]) for item in summary.left_out}
    out: Counter[tuple[str, str, str]] = Counter()
    for uid, spans in stored(store).items():
        for start, end, label, kind, _text in spans:
            key = (uid, label, f"{start}-{end}")
            if kind != "entity" or key in left:
                continue
            s, e = moved.get(key, (start, end))
            out[(uid, label, squash(body_of[uid][s:e]))] += 1
    return out


def bodies(store: Store) -> dict[str, str]:
    with store.begin() as conn:
        return dict(conn.execute(text("SELECT uid, text FROM article")).all())


def accounted(summary) -> None:
    """0 spans lost: each span read is written, reported or counted."""
    assert summary.spans_read == summary.spans_written + len(summary.left_out) + summary.claims_not_exported


# --- CoNLL and Hugging Face ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["expand", "contract", "strict"])
@pytest.mark.parametrize("scheme", ["bio", "biluo"])
def test_conll_reader_rebuilds_every_span(dataset: Store, tmp_path: Path, mode: str, scheme: str) -> None:
    out = tmp_path / "out.conll"
    summary = export_jsonl(dataset, out, ExportOptions(format="conll", align=mode, scheme=scheme))
    accounted(summary)
    found = conll_entities(out, uids_in_order(dataset))
    assert found == expected_entities(dataset, summary, bodies(dataset))
    assert sum(found.values()) == summary.spans_written == sum(summary.spans_per_label.values())
    assert summary.claims_not_exported == 4
    assert any("4 CLAIM spans not in a token format" in w for w in summary.warnings)
    # The awkward article: the overlapped shorter ORG is always reported, the partial word by mode.
    assert any("ORG" in item and "“Valley”: left out, it overlaps the longer ORG" in item
               for item in summary.left_out)
    partial = [item for item in [*summary.adjusted, *summary.left_out] if "“Touvron”" in item]
    assert len(partial) == 1
    assert ("expanded to" in partial[0] and "“Touvronson”" in partial[0]) if mode == "expand" else \
        "left out" in partial[0]


def test_spacy_converts_the_conll_file_with_every_span(dataset: Store, tmp_path: Path) -> None:
    pytest.importorskip("spacy")
    from spacy.training.converters import conll_ner_to_docs

    out = tmp_path / "out.conll"
    summary = export_jsonl(dataset, out, ExportOptions(format="conll"))
    docs = list(conll_ner_to_docs(out.read_text(encoding="utf-8"), n_sents=0, no_print=True))  # spacy convert
    uids = uids_in_order(dataset)
    assert len(docs) == len(uids)
    found = Counter((uid, e.label_, squash(e.text)) for uid, doc in zip(uids, docs, strict=True) for e in doc.ents)
    assert found == expected_entities(dataset, summary, bodies(dataset))


def test_a_span_across_a_sentence_end_keeps_its_sentence_whole(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "out.conll"
    export_jsonl(dataset, out, ExportOptions(format="conll"))
    docs = read_conll(out)
    awkward = docs[uids_in_order(dataset).index(awkward_article_uid(dataset))]
    joined = [" ".join(tokens) for tokens, _tags in awkward]
    assert any("Alpha ! Beta Corp" in s for s in joined)
    assert joined[-1] == "Nothing else : Zed Ltd. agreed ."


def awkward_article_uid(store: Store) -> str:
    with store.begin() as conn:
        return conn.execute(text("SELECT uid FROM article WHERE title = 'Awkward'")).scalar_one()


@pytest.mark.parametrize("scheme", ["bio", "biluo"])
def test_hf_json_maps_every_span_through_the_tag_list(dataset: Store, tmp_path: Path, scheme: str) -> None:
    out = tmp_path / "ner.jsonl"
    summary = export_jsonl(dataset, out, ExportOptions(format="hf", scheme=scheme))
    accounted(summary)
    tag_list = orjson.loads((tmp_path / "ner.labels.json").read_bytes())
    assert tag_list == summary.tag_names and tag_list[0] == "O"
    found = hf_entities(out, tag_list)
    assert found == expected_entities(dataset, summary, bodies(dataset))
    assert sum(found.values()) == summary.spans_written
    assert summary.extra_files == [tmp_path / "ner.labels.json"]


@pytest.mark.parametrize("fmt", ["conll", "hf", "spacy-docbin"])
def test_a_split_writes_one_file_per_split(dataset: Store, tmp_path: Path, fmt: str) -> None:
    suffix = {"conll": ".conll", "hf": ".jsonl", "spacy-docbin": ".spacy"}[fmt]
    out = tmp_path / f"data{suffix}"
    ratios = (0.4, 0.3, 0.3)
    summary = export_jsonl(dataset, out, ExportOptions(format=fmt, split=ratios, seed=5))
    assert [p.name for p in summary.paths] == [f"data.{s}{suffix}" for s in ("train", "dev", "test")]
    assert not out.exists()
    assert sum(summary.per_split.values()) == summary.articles == 5
    expected = Counter(split_for(uid, 5, ratios) for uid in uids_in_order(dataset))
    assert summary.per_split == {s: expected[s] for s in ("train", "dev", "test")}
    per_label: Counter[str] = Counter()
    for counts in summary.per_split_labels.values():
        per_label.update(counts)
    assert dict(per_label) == summary.spans_per_label
    if fmt == "conll":
        assert sum(len(read_conll(p)) for p in summary.paths) == 5


# --- spaCy's DocBin ---------------------------------------------------------------------------------------------


def test_docbin_loads_with_every_entity_and_claim(dataset: Store, tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    out = tmp_path / "train.spacy"
    summary = export_jsonl(dataset, out, ExportOptions(format="spacy-docbin"))
    accounted(summary)
    assert summary.claims_not_exported == 0
    nlp = spacy.blank("en")
    docs = list(DocBin().from_disk(out).get_docs(nlp.vocab))
    body_of = bodies(dataset)
    assert [d.user_data["article"] for d in docs] == uids_in_order(dataset)
    ents: Counter[tuple[str, str, str]] = Counter()
    for doc in docs:
        uid = doc.user_data["article"]
        assert doc.text == body_of[uid]
        ents.update((uid, e.label_, squash(e.text)) for e in doc.ents)
        for claim in doc.spans["claims"]:
            ents[(uid, claim.label_, squash(claim.text))] += 1
        assert [c["label"] for c in doc.user_data["claims"]] == ["CLAIM"] * len(doc.spans["claims"])
    expected = expected_entities(dataset, summary, body_of)
    for uid, spans in stored(dataset).items():
        for start, end, label, kind, _t in spans:
            if kind == "claim":
                expected[(uid, label, squash(body_of[uid][start:end]))] += 1
    assert ents == expected
    assert sum(ents.values()) == summary.spans_written
    assert summary.spans_per_label["CLAIM"] == 4


def test_spacy_train_reads_the_docbin_as_training_examples(dataset: Store, tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    from spacy.training import Corpus

    out = tmp_path / "train.spacy"
    summary = export_jsonl(dataset, out, ExportOptions(format="spacy-docbin"))
    nlp = spacy.blank("en")
    nlp.add_pipe("ner")
    examples = list(Corpus(out)(nlp))  # what spacy train's corpus reader gives the training loop
    assert len(examples) == 5
    assert sum(len(ex.reference.ents) for ex in examples) == summary.spans_written - summary.spans_per_label["CLAIM"]
    nlp.initialize(lambda: examples)
    assert set(nlp.get_pipe("ner").labels) == {"ORG", "PERSON"}


def test_docbin_without_spacy_says_how_to_install_it(dataset: Store, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "spacy", None)  # import spacy raises ImportError
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(ExportError, match=r'pip install "article-curator\[spacy\]"'):
        export_jsonl(dataset, folder / "x.spacy", ExportOptions(format="spacy-docbin"))
    assert list(folder.iterdir()) == []


def test_conll_and_hf_need_no_spacy(dataset: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "spacy", None)
    for fmt in ("conll", "hf"):
        assert export_jsonl(dataset, tmp_path / f"x.{fmt}", ExportOptions(format=fmt)).spans_written > 0


def test_unknown_alignment_or_scheme_is_refused() -> None:
    from app.core.validation import InvalidInput

    with pytest.raises(InvalidInput):
        ExportOptions(format="conll", align="loose")
    with pytest.raises(InvalidInput):
        ExportOptions(format="conll", scheme="iob2")


@pytest.mark.parametrize("fmt", ["conll", "hf", "spacy-docbin"])
def test_a_cancelled_token_export_leaves_no_file(dataset: Store, tmp_path: Path, fmt: str) -> None:
    from app.core.cancel import Cancelled, CancelToken

    folder = tmp_path / "out"
    folder.mkdir()
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        export_jsonl(dataset, folder / "x.out", ExportOptions(format=fmt, split=(0.8, 0.1, 0.1)), cancel=cancel)
    assert list(folder.iterdir()) == []


def test_docbin_entities_carry_their_entity_id_as_kb_id(dataset: Store, tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    from app.core.entities import linking, registry

    with dataset.begin() as conn:
        hugo = [r[0] for r in conn.execute(text("SELECT id FROM span WHERE text = 'Hugo Touvron'"))]
    entity = registry.create_entity(dataset, "PERSON", "Hugo Touvron").entity_ids[0]
    linking.link_spans(dataset, hugo, entity)
    out = tmp_path / "linked.spacy"
    export_jsonl(dataset, out, ExportOptions(format="spacy-docbin"))
    docs = list(DocBin().from_disk(out).get_docs(spacy.blank("en").vocab))
    kb_ids = {(e.text, e.kb_id_) for doc in docs for e in doc.ents}
    assert ("Hugo Touvron", str(entity)) in kb_ids
    assert {kb for text_, kb in kb_ids if text_ != "Hugo Touvron"} == {""}  # unlinked spans have none
    # The same id as the spaCy JSONL export's kb_id.
    jsonl = tmp_path / "linked.jsonl"
    export_jsonl(dataset, jsonl, ExportOptions(format="spacy"))
    lines = [orjson.loads(line) for line in jsonl.read_bytes().splitlines()]
    assert {s["kb_id"] for line in lines for s in line["spans"] if "kb_id" in s} == {str(entity)}
