"""Token-level and claims exports report their split as the JSONL export does: groups and spans
per label of each split, in the summary (the export dialog, the command line) and the manifest."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

from app.core.db.store import Store
from app.core.export.exporter import ExportOptions, export_jsonl
from app.core.export.manifest import manifest_paths
from app.core.ingest import storing
from app.core.validation import NewArticle
from benchmarks.near_copies_bench import Generator

RATIOS = (0.6, 0.2, 0.2)
SPLITS = ("train", "dev", "test")


@pytest.fixture
def clustered(store: Store) -> Store:
    """Near copies of a few stories and some unrelated articles, each opening with a CLAIM span."""
    articles = [NewArticle(**{**a.model_dump(), "spans": [_claim(a.text)]})
                for a in Generator(seed=21).articles(12, unrelated=10)]
    for i in range(0, len(articles), 16):
        storing.store_articles(store, articles[i : i + 16])
    return store


def _claim(body: str) -> dict:
    first = body.split(".")[0]
    return {"start": 0, "end": len(first), "label": "CLAIM", "annotator": "ana",
            "attributes": {"claimant": "", "verdict": "false", "note": ""}}


def _groups(store: Store) -> dict[str, str]:
    """The cluster of each article's uid (its own uid when it has no near copy)."""
    with store.begin() as conn:
        rows = conn.execute(text("SELECT a.uid, s.cluster_id FROM article a LEFT JOIN article_signature s "
                                 "ON s.article_id = a.id")).all()
    return {uid: f"c{cluster}" if cluster is not None else uid for uid, cluster in rows}


def _expected_groups(splits_of_articles: dict[str, str], store: Store) -> dict[str, int]:
    group_of = _groups(store)
    keys: dict[str, set[str]] = defaultdict(set)
    for uid, split in splits_of_articles.items():
        keys[split].add(group_of[uid])
    return {name: len(keys[name]) for name in SPLITS}


def _check(summary, out: Path) -> None:
    assert summary.group_by == "cluster" and summary.straddling_groups == 0
    per_label: Counter[str] = Counter()
    for counts in summary.per_split_labels.values():
        per_label.update(counts)
    assert dict(per_label) == summary.spans_per_label
    manifest = orjson.loads(manifest_paths(out)[0].read_bytes())
    assert manifest["counts"]["per_split_groups"] == summary.per_split_groups
    assert manifest["counts"]["per_split_labels"] == summary.per_split_labels


@pytest.mark.parametrize("fmt", ["conll", "hf"])
def test_a_token_export_counts_groups_per_split(clustered: Store, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"ner.{'conll' if fmt == 'conll' else 'jsonl'}"
    summary = export_jsonl(clustered, out, ExportOptions(format=fmt, split=RATIOS, seed=3, labels=("CLAIM",)))
    split_of: dict[str, str] = {}
    for path, name in zip(summary.paths, SPLITS, strict=True):
        for line in path.read_text(encoding="utf-8").splitlines():
            if fmt == "hf" and line:
                split_of[orjson.loads(line)["article"]] = name
    if fmt == "conll":  # the conll files name no article: the groups follow from the articles per split
        assert sum(summary.per_split_groups.values()) == len(set(_groups(clustered).values()))
        assert sum(summary.per_split_groups.values()) < sum(summary.per_split.values())
        assert all(summary.per_split_groups[n] <= summary.per_split[n] for n in SPLITS)
    else:
        assert summary.per_split_groups == _expected_groups(split_of, clustered)
    assert summary.per_split_groups != summary.per_split  # near copies share a group
    _check(summary, out)


def test_a_docbin_export_counts_groups_per_split(clustered: Store, tmp_path: Path) -> None:
    pytest.importorskip("spacy")
    out = tmp_path / "train.spacy"
    summary = export_jsonl(clustered, out, ExportOptions(format="spacy-docbin", split=RATIOS, seed=3))
    assert sum(summary.per_split_groups.values()) == len(set(_groups(clustered).values()))
    assert summary.per_split_labels and sum(summary.per_split_labels[n].get("CLAIM", 0) for n in SPLITS) == summary.articles
    _check(summary, out)


@pytest.mark.parametrize("fmt", ["claims", "claimreview"])
def test_a_claims_export_counts_groups_and_labels_per_split(clustered: Store, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "claims.jsonl"
    summary = export_jsonl(clustered, out, ExportOptions(format=fmt, split=RATIOS, seed=3,
                                                         split_files=fmt == "claimreview"))
    split_of: dict[str, str] = {}
    if fmt == "claims":
        for line in out.read_bytes().splitlines():
            claim = orjson.loads(line)
            split_of[claim["article"]] = claim["split"]
    else:
        with clustered.begin() as conn:
            uid_of_url = dict(conn.execute(text("SELECT url, uid FROM article")).all())
        for path, name in zip(summary.paths, SPLITS, strict=True):
            for review in orjson.loads(path.read_bytes()):
                split_of[uid_of_url[review["itemReviewed"]["appearance"]["url"]]] = name
    assert summary.per_split_groups == _expected_groups(split_of, clustered)
    assert summary.per_split_groups != summary.per_split
    assert summary.per_split_labels == {n: {"CLAIM": summary.per_split[n]} for n in SPLITS if summary.per_split[n]} \
        | {n: {} for n in SPLITS if not summary.per_split[n]}
    _check(summary, out)
