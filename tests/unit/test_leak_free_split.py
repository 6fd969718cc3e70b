"""Leak-free splits: near-copy clusters (or sites) never straddle two splits, fractions are met as
closely as the groups allow, and an article's split does not change when others arrive."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

from app.cli import main
from app.core.export.exporter import ExportOptions, export_jsonl, split_for
from app.core.ingest import storing
from app.core.validation import InvalidInput
from benchmarks.near_copies_bench import Generator

RATIOS = (0.7, 0.15, 0.15)


@pytest.fixture
def clustered(store):
    articles = Generator(seed=21).articles(70, unrelated=80)
    for i in range(0, len(articles), 16):
        storing.store_articles(store, articles[i : i + 16])
    return store


def _export(store, path: Path, **options) -> tuple[list[dict], object]:
    summary = export_jsonl(store, path, ExportOptions(split=RATIOS, **options))
    return [orjson.loads(line) for line in path.read_bytes().splitlines()], summary


def _clusters(store) -> dict[str, int]:
    with store.begin() as conn:
        return dict(conn.execute(text("SELECT a.uid, s.cluster_id FROM article a JOIN article_signature s "
                                      "ON s.article_id = a.id WHERE s.cluster_id IS NOT NULL")).all())


def test_no_cluster_straddles_two_splits_and_fractions_are_met(clustered, tmp_path):
    lines, summary = _export(clustered, tmp_path / "out.jsonl")
    cluster_of = _clusters(clustered)
    splits_of = defaultdict(set)
    for line in lines:
        splits_of[cluster_of.get(line["id"], line["id"])].add(line["split"])
    assert len(cluster_of) > 100 and all(len(s) == 1 for s in splits_of.values())
    assert summary.group_by == "cluster" and summary.straddling_groups == 0
    assert summary.per_split_groups == {name: sum(1 for s in splits_of.values() if s == {name})
                                        for name in ("train", "dev", "test")}
    assert sum(summary.per_split_groups.values()) == len(splits_of) < len(lines)
    # As closely as groups allow: within three standard deviations of a split of whole groups.
    sizes = Counter(cluster_of.get(line["id"], line["id"]) for line in lines)
    spread = (sum(n * n for n in sizes.values()) ** 0.5) / len(lines)
    for name, ratio in zip(("train", "dev", "test"), RATIOS, strict=True):
        share = summary.per_split[name] / len(lines)
        assert abs(share - ratio) <= 3 * spread * (ratio * (1 - ratio)) ** 0.5 + 0.01, (name, share)


def test_grouping_by_nothing_splits_articles_as_before(clustered, tmp_path):
    lines, summary = _export(clustered, tmp_path / "out.jsonl", group_by="none")
    assert all(line["split"] == split_for(line["id"], 13, RATIOS) for line in lines)
    assert summary.per_split_groups == summary.per_split
    cluster_of = _clusters(clustered)
    splits_of = defaultdict(set)
    for line in lines:
        if line["id"] in cluster_of:
            splits_of[cluster_of[line["id"]]].add(line["split"])
    assert any(len(s) > 1 for s in splits_of.values())  # what the default prevents


def _splits_of(lines: list[dict], key) -> dict[object, set[str]]:
    splits_of: dict[object, set[str]] = defaultdict(set)
    for line in lines:
        splits_of[key(line)].add(line["split"])
    return splits_of


def test_grouping_by_site_keeps_each_site_and_cluster_in_one_split(clustered, tmp_path):
    lines, summary = _export(clustered, tmp_path / "out.jsonl", group_by="site")
    cluster_of = _clusters(clustered)
    assert all(len(s) == 1 for s in _splits_of(lines, lambda line: line["meta"]["site_name"]).values())
    assert all(len(s) == 1 for s in _splits_of(lines, lambda line: cluster_of.get(line["id"], line["id"])).values())
    assert summary.straddling_groups == 0


@pytest.fixture
def copies_on_two_sites(store):
    """Thirty wire stories, each run on its own two sites, and one article of the second site's own."""
    from app.core.validation import NewArticle

    made = Generator(seed=8)
    arts = []
    for s in range(30):
        story = made.story()
        for site, body in ((f"a{s}.example", story), (f"b{s}.example", made.copy(story, heavy=False)),
                           (f"b{s}.example", made.story())):
            arts.append(NewArticle(text=" ".join(body), title=made.sentence(8), site_name=site,
                                   url=f"https://{site}/{len(arts)}", source_kind="file", source=str(len(arts))))
    storing.store_articles(store, arts)
    return store


def test_grouping_by_site_keeps_near_copies_on_different_sites_in_one_split(copies_on_two_sites, tmp_path):
    lines, summary = _export(copies_on_two_sites, tmp_path / "out.jsonl", group_by="site")
    cluster_of = _clusters(copies_on_two_sites)
    clusters = len(set(cluster_of.values()))
    assert clusters > 20
    by_cluster = _splits_of([line for line in lines if line["id"] in cluster_of], lambda line: cluster_of[line["id"]])
    assert all(len(s) == 1 for s in by_cluster.values())
    by_site = _splits_of(lines, lambda line: line["meta"]["site_name"])
    assert len(by_site) == 60 and all(len(s) == 1 for s in by_site.values())
    # Each cluster joins its two sites into one group.
    assert summary.straddling_groups == 0 and sum(summary.per_split_groups.values()) == 60 - clusters


def test_clusters_in_two_splits_are_found_and_told(copies_on_two_sites, tmp_path):
    lines, summary = _export(copies_on_two_sites, tmp_path / "out.jsonl", group_by="none")
    cluster_of = _clusters(copies_on_two_sites)
    by_cluster = _splits_of([line for line in lines if line["id"] in cluster_of], lambda line: cluster_of[line["id"]])
    straddling = sum(1 for s in by_cluster.values() if len(s) > 1)
    assert straddling > 0 and summary.straddling_groups == straddling
    from app.cli.export_split import split_lines

    assert f"  {straddling} near-copy clusters are in two splits." in split_lines(summary)


def test_an_articles_split_does_not_change_when_others_arrive(clustered, tmp_path):
    before = {line["id"]: line["split"] for line in _export(clustered, tmp_path / "a.jsonl")[0]}
    more = Generator(seed=99).articles(30, unrelated=40)
    storing.store_articles(clustered, more)
    after = {line["id"]: line["split"] for line in _export(clustered, tmp_path / "b.jsonl")[0]}
    assert len(after) > len(before)
    assert all(after[uid] == split for uid, split in before.items())


def test_spans_per_label_are_counted_per_split(store, tmp_path):
    from app.core.validation import NewArticle, NewSpan

    arts = [NewArticle(text=f"Ann Lee met Bob in town {i}.", source_kind="paste", source=str(i),
                       spans=[NewSpan(start=0, end=7, label="PERSON")]) for i in range(30)]
    storing.store_articles(store, arts)
    for options in ({}, {"labels": ("PERSON",)}):  # the cached span lists, and spans read row by row
        _lines, summary = _export(store, tmp_path / "out.jsonl", **options)
        assert {s: labels.get("PERSON", 0) for s, labels in summary.per_split_labels.items()} == summary.per_split


def test_an_unknown_grouping_is_refused():
    with pytest.raises(InvalidInput, match="grouping"):
        ExportOptions(split=RATIOS, group_by="author")


def test_the_command_line_prints_each_split(clustered, tmp_path, capsys, db_path):
    clustered.close()
    out = tmp_path / "cli.jsonl"
    assert main(["export", str(out), "--db", str(db_path), "--split", "0.7,0.15,0.15", "--group-by", "cluster"]) == 0
    printed = capsys.readouterr().out
    assert "Split by near-copy clusters (--group-by cluster):" in printed
    assert "  train " in printed and " groups; spans: " in printed
    assert "No group is in two splits." in printed


@pytest.mark.parametrize("fmt", ["claims", "hf"])
def test_claims_and_token_formats_keep_each_cluster_in_one_split(clustered, tmp_path, fmt):
    """Formats whose records are not articles (claims, sentences) split by the article's group too."""
    from app.core.ops import span_edits

    with clustered.begin() as conn:
        articles = conn.execute(text("SELECT id, text FROM article ORDER BY id")).all()
    for article_id, body in articles:
        end = body.index(" ")
        span_edits.add_span(clustered, article_id, 0, end, "CLAIM" if fmt == "claims" else "ORG", annotator="a")
    out = tmp_path / f"out.{fmt}.jsonl"
    summary = export_jsonl(clustered, out, ExportOptions(format=fmt, split=RATIOS, split_files=True))
    cluster_of = _clusters(clustered)
    splits_of = defaultdict(set)
    for path in summary.paths:
        split = path.name.split(".")[-2]
        for line in path.read_bytes().splitlines():
            uid = orjson.loads(line)["article"]
            splits_of[cluster_of.get(uid, uid)].add(split)
    assert len(splits_of) > 50 and all(len(s) == 1 for s in splits_of.values())
    assert len({split for s in splits_of.values() for split in s}) == 3
