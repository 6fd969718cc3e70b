"""Agreement between annotators: every figure against a hand-built example worked out below, kappa and
alpha against scikit-learn and the ``krippendorff`` package on generated data, and the command line
from importing each annotator's file to ``agreement --json``."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.core.export.tokenizer import tokenize
from app.core.ingest.storing import NewArticle, store_articles
from app.core.team import agreement, status
from app.core.validation import NewSpan
from app.models import utcnow

# Two short articles, six tokens each:
#   A1 "Ana met Ben in Paris."            Ana(0,3) met(4,7) Ben(8,11) in(12,14) Paris(15,20) .(20,21)
#   A2 "Meta hired Hugo Touvron today."   Meta(0,4) hired(5,10) Hugo(11,15) Touvron(16,23) today(24,29) .(29,30)
A1 = "Ana met Ben in Paris."
A2 = "Meta hired Hugo Touvron today."
# ana and ben finished both; cho finished A1 only.
SPANS = {
    "ana": {A1: [(0, 3, "PERSON"), (8, 11, "PERSON")], A2: [(0, 4, "ORG"), (11, 23, "PERSON")]},
    "ben": {A1: [(0, 3, "PERSON"), (8, 14, "PERSON")], A2: [(0, 4, "ORG"), (16, 23, "PERSON"), (24, 29, "ORG")]},
    "cho": {A1: [(0, 3, "PERSON")]},
}
# ana – ben, 2 shared articles.
# PERSON: ana 3 spans, ben 3, identical 1 (A1 0-3)          strict F1 = 2*1/6 = 1/3
#   every span overlaps one of the other's: P = R = 1        relaxed F1 = 1
#   tokens (12): ana in {A1 Ana, A1 Ben, A2 Hugo, A2 Touvron}, ben in {A1 Ana, A1 Ben, A1 in, A2 Touvron}
#   both 3, only ana 1, only ben 1, neither 7: po = 10/12, pe = (4*4 + 8*8)/144 = 80/144
#   kappa = (120/144 - 80/144) / (64/144) = 40/64 = 0.625
# ORG: ana 1 span, ben 2, identical 1 (A2 0-4)              strict F1 = 2*1/3 = 2/3
#   P = 1/1 (ana's Meta overlaps), R = 1/2 (ben's "today" does not): relaxed F1 = 2*0.5/1.5 = 2/3
#   tokens: both 1 (Meta), only ben 1 (today), neither 10: po = 11/12, pe = (1*2 + 11*10)/144 = 112/144
#   kappa = (132 - 112) / (144 - 112) = 20/32 = 0.625
# overall: spans 4 and 5, identical 2                        strict F1 = 4/9
#   P = 4/4, R = 4/5                                         relaxed F1 = 2*0.8/1.8 = 8/9
#   pooled tokens x labels (24): both 4, only ana 1, only ben 2, neither 17: po = 21/24,
#   pe = (5*6 + 19*18)/576 = 372/576, kappa = (504 - 372)/(576 - 372) = 132/204
# ana – cho, 1 shared article (A1); ORG is used by neither there.
# PERSON: ana 2, cho 1, identical 1: strict F1 = 2/3; P = 1/2, R = 1/1: relaxed F1 = 2/3
#   tokens (6): both 1, only ana 1, neither 4: po = 5/6, pe = (2*1 + 4*5)/36 = 22/36, kappa = 8/14
# ORG: no spans: F1 undefined; every token out in both: kappa undefined
# overall: F1 as PERSON; pooled tokens (12): both 1, only ana 1, neither 10: kappa = (132-112)/(144-112) = 0.625
# ben – cho, A1: PERSON ben 2, cho 1, identical 1: strict 2/3; ben's (8,14) overlaps nothing of cho's:
#   P = 1/2, R = 1/1: relaxed 2/3. tokens: ben {Ana, Ben, in}, cho {Ana}: both 1, only ben 2,
#   neither 3: po = 4/6, pe = (3*1 + 3*5)/36 = 18/36, kappa = (24 - 18)/(36 - 18) = 1/3
# overall pooled (12 units, ORG's 6 all out): both 1, only ben 2, neither 9: po = 120/144,
#   pe = (3*1 + 9*11)/144 = 102/144, kappa = (120 - 102)/(144 - 102) = 18/42
# Krippendorff's alpha, PERSON: units are the tokens of A1 (3 raters) and A2 (ana, ben):
#   A1 Ana 3 of 3 in, Ben 2 of 3, in 1 of 3, three tokens 0 of 3; A2 Hugo 1 of 2, Touvron 2 of 2, four 0 of 2
#   values in: 3+2+1+1+2 = 9, out: 21, n = 30; disagreeing pairs o(0,1)+o(1,0) = 2*2*1/2 + 2*1*2/2 + 2*1*1/1 = 6
#   alpha = 1 - (n-1) * 6 / (2 * 9 * 21) = 1 - 174/378
# ORG: A1 all out (18 values out); A2 Meta 2 of 2, today 1 of 2, four 0 of 2: in 3, out 18 + 9 = 27, n = 30,
#   disagreeing 2: alpha = 1 - 29 * 2 / (2 * 3 * 27) = 1 - 58/162
# overall (pooled): in 12, out 48, n = 60, disagreeing 8: alpha = 1 - 59 * 8 / (2 * 12 * 48) = 1 - 472/1152
EXPECTED_PAIRS = {
    ("ana", "ben"): (2, {"PERSON": (1 / 3, 1.0, 0.625), "ORG": (2 / 3, 2 / 3, 0.625),
                         agreement.OVERALL: (4 / 9, 8 / 9, 132 / 204)}),
    ("ana", "cho"): (1, {"PERSON": (2 / 3, 2 / 3, 8 / 14), "ORG": (None, None, None),
                         agreement.OVERALL: (2 / 3, 2 / 3, 0.625)}),
    ("ben", "cho"): (1, {"PERSON": (2 / 3, 2 / 3, 1 / 3), "ORG": (None, None, None),
                         agreement.OVERALL: (2 / 3, 2 / 3, 18 / 42)}),
}
EXPECTED_ALPHA = {"PERSON": 1 - 174 / 378, "ORG": 1 - 58 / 162, agreement.OVERALL: 1 - 472 / 1152}
# Per article, the mean strict F1 over its pairs: A2 only ana – ben: 2*1/5 = 0.4;
# A1: ana – ben 2*1/4 = 0.5, ana – cho 2/3, ben – cho 2/3: mean 11/18. A2 is the lowest.


def _add(store: Any, layers: dict[str, dict[str, list[tuple[int, int, str]]]]) -> dict[str, int]:
    """Store each text once with every annotator's spans, mark it done for those who labelled it."""
    texts = list(dict.fromkeys(t for spans in layers.values() for t in spans))
    articles = [NewArticle(text=t, title=t.rstrip("."), uid=f"a{n + 1}", source_kind="paste",
                           spans=[NewSpan(start=s, end=e, label=lb, annotator=who)
                                  for who, by_text in layers.items() for s, e, lb in by_text.get(t, [])])
                for n, t in enumerate(texts)]
    ids = {t: o.article_id for t, o in zip(texts, store_articles(store, articles), strict=True)}
    with store.begin() as conn:
        status.set_each(conn, [(ids[t], who, "done") for who, by_text in layers.items() for t in by_text], utcnow())
    return ids


def _check(report: agreement.AgreementReport) -> None:
    assert report.labels == ["PERSON", "ORG"]
    assert report.finished == {"ana": 2, "ben": 2, "cho": 1}
    for (a, b), (shared, labels) in EXPECTED_PAIRS.items():
        pair = report.pair(a, b)
        assert pair is not None and pair.shared == shared
        for label, expected in labels.items():
            got = tuple(pair.figure(m, label) for m in agreement.MEASURES)
            assert got == pytest.approx(expected), (a, b, label)
    for label, expected in EXPECTED_ALPHA.items():
        assert report.alpha[label] == pytest.approx(expected), label
    assert report.alpha_articles == 2
    lowest = report.lowest("strict_f1")
    assert [art.title for art in lowest] == [A2.rstrip("."), A1.rstrip(".")]
    assert [art.figures["strict_f1"] for art in lowest] == pytest.approx([0.4, 11 / 18])


def test_every_figure_of_the_hand_built_example(store: Any) -> None:
    _add(store, SPANS)
    _check(agreement.compute(store))


def test_options_choose_labels_annotators_and_the_gold_layer(store: Any) -> None:
    _add(store, {**SPANS, "gold": {A1: [(0, 3, "PERSON"), (8, 11, "PERSON")]}})
    assert "gold" not in agreement.compute(store).annotators
    with_gold = agreement.compute(store, agreement.AgreementOptions(include_gold=True))
    assert with_gold.pair("ana", "gold").figure("strict_f1") == pytest.approx(1.0)  # type: ignore[union-attr]
    only = agreement.compute(store, agreement.AgreementOptions(labels=("ORG",), annotators=("ana", "ben")))
    assert only.labels == ["ORG"] and only.annotators == ["ana", "ben"]
    [pair] = only.pairs
    assert pair.figure("strict_f1") == pytest.approx(2 / 3)
    assert pair.figure("kappa") == pytest.approx(0.625)
    assert only.alpha[agreement.OVERALL] == pytest.approx(only.alpha["ORG"])


def test_articles_not_done_by_both_are_left_out(store: Any) -> None:
    ids = _add(store, SPANS)
    with store.begin() as conn:
        status.set_each(conn, [(ids[A2], "ben", "in_progress")], utcnow())
    report = agreement.compute(store)
    assert report.pair("ana", "ben").shared == 1  # type: ignore[union-attr]
    assert report.pair("ana", "ben").figure("strict_f1") == pytest.approx(0.5)  # type: ignore[union-attr]


# -- reference implementations on generated data -------------------------------------------------------

def _generated(seed: int) -> tuple[dict[str, dict[str, list[tuple[int, int, str]]]], list[str]]:
    rng = random.Random(seed)
    words = ["Ana", "Ben", "met", "Meta", "in", "Paris", "and", "said", "the", "deal", "was", "off", "."]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(8, 30))) + f" {n}" for n in range(25)]
    layers: dict[str, dict[str, list[tuple[int, int, str]]]] = {}
    for who in ("ana", "ben", "cho"):
        layers[who] = {}
        for t in texts:
            if rng.random() < 0.3:
                continue  # not finished by this annotator
            tokens = tokenize(t)
            spans = []
            for _ in range(rng.randint(0, 5)):
                i = rng.randrange(len(tokens))
                j = min(len(tokens) - 1, i + rng.randint(0, 3))
                spans.append((tokens[i][0], tokens[j][1], rng.choice(["PERSON", "ORG", "CLAIM"])))
            layers[who][t] = spans
    return layers, texts


Placed = tuple[int, int, int, str]  # article, start, end, label


def _matched(x: list[Placed], y: list[Placed]) -> float:
    """The share of ``x`` overlapping a span of ``y`` in the same article with the same label."""
    hits = sum(any(art == art2 and lb == lb2 and s < e2 and s2 < e for art2, s2, e2, lb2 in y) for art, s, e, lb in x)
    return hits / len(x) if x else 0.0


def _f1(a: list[Placed], b: list[Placed]) -> tuple[float | None, float | None]:
    """Strict and relaxed span F1 of two layers, every pair of spans compared."""
    a, b = sorted(set(a)), sorted(set(b))
    if not a and not b:
        return None, None
    p, r = _matched(a, b), _matched(b, a)
    return 2 * len(set(a) & set(b)) / (len(a) + len(b)), 2 * p * r / (p + r) if p + r else 0.0


def _placed(layer: dict[str, list[tuple[int, int, str]]], texts: list[str], label: str) -> list[Placed]:
    return [(n, s, e, lb) for n, t in enumerate(texts) for s, e, lb in layer[t] if label in (lb, agreement.OVERALL)]


def _in_out(text: str, spans: list[tuple[int, int, str]], label: str) -> list[int]:
    """Each token of ``text``: 1 when it overlaps a span of ``label``."""
    return [int(any(lb == label and s < te and ts < e for s, e, lb in spans)) for ts, te in tokenize(text)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kappa_and_alpha_match_reference_implementations(store: Any, seed: int) -> None:
    np = pytest.importorskip("numpy")
    cohen_kappa_score = pytest.importorskip("sklearn.metrics").cohen_kappa_score
    krippendorff = pytest.importorskip("krippendorff")
    layers, texts = _generated(seed)
    _add(store, layers)
    report = agreement.compute(store)
    labels = report.labels
    assert set(labels) <= {"PERSON", "ORG", "CLAIM"}
    for pair in report.pairs:
        shared = [t for t in texts if t in layers[pair.a] and t in layers[pair.b]]
        assert pair.shared == len(shared)
        pooled: tuple[list[int], list[int]] = ([], [])
        for label in labels:
            a = [v for t in shared for v in _in_out(t, layers[pair.a][t], label)]
            b = [v for t in shared for v in _in_out(t, layers[pair.b][t], label)]
            pooled[0].extend(a)
            pooled[1].extend(b)
            assert pair.figure("kappa", label) == pytest.approx(cohen_kappa_score(a, b)), (pair.a, pair.b, label)
        assert pair.figure("kappa") == pytest.approx(cohen_kappa_score(*pooled))
        for label in (*labels, agreement.OVERALL):
            expected_f1 = _f1(_placed(layers[pair.a], shared, label), _placed(layers[pair.b], shared, label))
            got = (pair.figure("strict_f1", label), pair.figure("relaxed_f1", label))
            assert got == pytest.approx(expected_f1), (pair.a, pair.b, label)
    rows = {who: [] for who in sorted(layers)}  # type: ignore[var-annotated]
    pooled_rows = {who: [] for who in sorted(layers)}  # type: ignore[var-annotated]
    for label in labels:
        for t in texts:
            finished = [who for who in rows if t in layers[who]]
            if len(finished) < 2:
                continue
            n = len(tokenize(t))
            for who in rows:
                values = _in_out(t, layers[who][t], label) if who in finished else [np.nan] * n
                rows[who].extend(values)
        expected = krippendorff.alpha(reliability_data=np.array(list(rows.values()), dtype=float),
                                      level_of_measurement="nominal")
        assert report.alpha[label] == pytest.approx(expected), label
        for who in rows:
            pooled_rows[who].extend(rows[who])
            rows[who] = []
    expected = krippendorff.alpha(reliability_data=np.array(list(pooled_rows.values()), dtype=float),
                                  level_of_measurement="nominal")
    assert report.alpha[agreement.OVERALL] == pytest.approx(expected)


# -- from each annotator's file to the command line's figures ---------------------------------------------

def _native_file(path: Path, who: str, status_field: bool) -> Path:
    """``who``'s labelled copy of the articles, as the native export writes it, spans naming another annotator."""
    lines = []
    for n, (body, spans) in enumerate(SPANS[who].items()):
        record: dict[str, Any] = {"id": f"{who}-{n}", "url": f"https://example.org/{'a1' if body == A1 else 'a2'}",
                                  "title": body.rstrip("."), "text": body,
                                  "spans": [{"start": s, "end": e, "label": lb, "text": body[s:e],
                                             "annotator": "whoever"} for s, e, lb in spans]}
        if status_field:
            record["status"] = "done"
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_files_labelled_by_different_people_imported_then_agreement_json(tmp_path: Path, capsys: Any) -> None:
    db = tmp_path / "team.sqlite"
    for who, status_field in (("ana", True), ("ben", True), ("cho", False)):  # cho's file gives no status
        path = _native_file(tmp_path / f"{who}.jsonl", who, status_field)
        assert main(["import", str(path), "--annotator", who, "--db", str(db), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    # ben's and cho's copies of the articles were duplicates: their spans joined the stored articles.
    assert "Added to articles already in the dataset: 5 spans of ben's layer in 2 articles" in out
    assert "Added to articles already in the dataset: 1 span of cho's layer in 1 article" in out
    assert main(["agreement", "--json", "--db", str(db)]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["finished"] == {"ana": 2, "ben": 2, "cho": 1}
    assert figures["labels"] == ["PERSON", "ORG"]
    for pair in figures["pairs"]:
        shared, labels = EXPECTED_PAIRS[tuple(pair["annotators"])]  # type: ignore[index]
        assert pair["shared_articles"] == shared
        for label, expected in labels.items():
            got = pair["overall"] if label == agreement.OVERALL else pair["labels"][label]
            assert (got["strict_f1"], got["relaxed_f1"], got["kappa"]) == pytest.approx(expected)
    assert figures["alpha"]["overall"] == pytest.approx(EXPECTED_ALPHA[agreement.OVERALL])
    assert figures["alpha"]["labels"]["PERSON"] == pytest.approx(EXPECTED_ALPHA["PERSON"])
    assert [art["title"] for art in figures["lowest_articles"]] == [A2.rstrip("."), A1.rstrip(".")]
    assert main(["agreement", "--db", str(db), "--label", "PERSON", "--annotators", "ana,ben"]) == 0
    table = capsys.readouterr().out
    assert "ana – ben" in table and "0.333" in table and "ana – cho" not in table
