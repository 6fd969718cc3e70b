"""The manifest and dataset card beside every export, and ``article-curator verify``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

from app.cli import main
from app.core.db import migrations
from app.core.db.store import Store, open_store
from app.core.export.exporter import ExportOptions, ExportSummary, export_jsonl
from app.core.export.manifest import ManifestError, build_manifest, verify_manifest, write_manifest
from app.core.ingest.storing import store_articles
from tests.unit.test_cli import run_cli
from tests.unit.test_export import plain_articles, sample_article, unicode_article


@pytest.fixture
def dataset(store: Store, sample_text: str) -> Store:
    store_articles(store, [sample_article(sample_text), unicode_article(), *plain_articles()])
    return store


def load(path: Path) -> dict:
    return orjson.loads(path.read_bytes())


@pytest.mark.parametrize("fmt", ["native", "spacy", "doccano", "conll", "hf", "spacy-docbin"])
def test_every_export_gets_a_manifest_whose_checksums_match(dataset: Store, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "set.out"
    summary = export_jsonl(dataset, out, ExportOptions(format=fmt, statuses=("done", "in_progress", "skipped")))
    manifest = load(tmp_path / "set.manifest.json")
    assert manifest["app"] == {"name": "article-curator", "version": "0.1.0"}
    assert manifest["dataset"]["schema_version"] == migrations.head_revision()
    assert manifest["export"]["format"] == fmt and manifest["export"]["format_version"] == "1"
    assert manifest["export"]["offset_unit"] == "Unicode code points, end exclusive"
    assert manifest["filters"]["statuses"] == ["done", "in_progress", "skipped"]
    assert manifest["counts"]["articles"] == summary.articles == 3
    assert manifest["counts"]["spans_per_label"] == summary.spans_per_label
    assert manifest["annotators"] == ["alice", "bob", "carol", "dave"]
    assert manifest["split"] is None and manifest["layer"].startswith("all layers")
    assert manifest["created"].endswith("Z")
    names = [f["name"] for f in manifest["files"]]
    entities = [summary.entities_path.name] if summary.entities_path is not None else []  # native, spacy
    assert names == [p.name for p in summary.paths] + [p.name for p in getattr(summary, "extra_files", [])] + entities
    for entry in manifest["files"]:
        data = (tmp_path / entry["name"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
        if fmt != "spacy-docbin" or entry["role"] != "data":
            assert entry["lines"] == data.count(b"\n")
    assert verify_manifest(tmp_path / "set.manifest.json") == (len(names), [])
    card = (tmp_path / "set.README.md").read_text(encoding="utf-8")
    assert card.startswith("---\npretty_name:")
    assert "| PERSON | entity (a name in the text) | A named person. |" in card  # the label set's description
    assert "Check them with `article-curator verify`" in card
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_split_export_records_fractions_seed_grouping_and_counts_per_split(dataset: Store, tmp_path: Path) -> None:
    out = tmp_path / "ner.jsonl"
    summary = export_jsonl(dataset, out, ExportOptions(format="hf", split=(0.5, 0.25, 0.25), seed=7,
                                                       scheme="biluo", align="strict", annotators=("carol",)))
    manifest = load(tmp_path / "ner.manifest.json")
    assert manifest["split"] == {"fractions": {"train": 0.5, "dev": 0.25, "test": 0.25}, "seed": 7,
                                 "group_by": "cluster", "one_file_per_split": True}  # the default grouping
    assert [(f["name"], f.get("split")) for f in manifest["files"]] == [
        ("ner.train.jsonl", "train"), ("ner.dev.jsonl", "dev"), ("ner.test.jsonl", "test"), ("ner.labels.json", None)]
    assert manifest["counts"]["per_split"] == summary.per_split
    assert manifest["counts"]["per_split_labels"] == summary.per_split_labels
    assert manifest["export"] | {"tokenizer": ""} == {"format": "hf", "format_version": "1", "align": "strict",
                                                       "scheme": "biluo", "tokenizer": "",
                                                       "offset_unit": "Unicode code points, end exclusive"}
    assert manifest["annotators"] == ["carol"] and manifest["filters"]["annotators"] == ["carol"]
    assert manifest["tag_names"][0] == "O" and "U-PERSON" in manifest["tag_names"]
    spans = manifest["spans"]
    assert spans["read"] == spans["written"] + len(spans["left_out"]) + spans["claims_not_in_format"]
    card = (tmp_path / "ner.README.md").read_text(encoding="utf-8")
    assert "Fractions train 0.5, dev 0.25, test 0.25, seed 7" in card
    assert "  - split: dev\n    path: \"ner.dev.jsonl\"" in card
    assert "        names:\n          '0': \"O\"" in card  # the Hub's class_label feature for ner_tags


@dataclass
class GroupedSummary(ExportSummary):
    """A summary as the leak-free split fills it: groups per split and the grouping used."""

    group_by: str = "cluster"
    per_split_groups: dict[str, int] = field(default_factory=dict)
    per_split_labels: dict[str, dict[str, int]] = field(default_factory=dict)


def test_grouping_and_groups_per_split_are_written_when_the_summary_has_them(dataset: Store, tmp_path: Path) -> None:
    data = tmp_path / "g.jsonl"
    data.write_bytes(b"{}\n")
    summary = GroupedSummary(articles=1, paths=[data], per_split={"train": 1, "dev": 0, "test": 0},
                             per_split_groups={"train": 1, "dev": 0, "test": 0},
                             per_split_labels={"train": {"ORG": 2}, "dev": {}, "test": {}})
    options = ExportOptions(split=(0.8, 0.1, 0.1))
    manifest = build_manifest(data, options, summary, dataset)
    assert manifest["split"]["group_by"] == "cluster"
    assert manifest["counts"]["per_split_groups"] == {"train": 1, "dev": 0, "test": 0}
    written = write_manifest(data, options, summary, dataset)
    assert [p.name for p in written] == ["g.manifest.json", "g.README.md"]
    assert "no group straddles two splits" in written[1].read_text(encoding="utf-8")


# --- verify --------------------------------------------------------------------------------------------------


@pytest.fixture
def exported(dataset: Store, tmp_path: Path) -> Path:
    export_jsonl(dataset, tmp_path / "v.jsonl", ExportOptions(format="native", split=(0.5, 0.25, 0.25),
                                                               split_files=True))
    return tmp_path / "v.manifest.json"


def one_data_file(manifest: Path) -> Path:
    return next(manifest.parent / f["name"] for f in load(manifest)["files"] if f["bytes"] > 100)


def test_verify_catches_one_changed_byte(exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(exported)]) == 0
    assert capsys.readouterr().out.startswith("All 4 files match")  # three splits and the entities file
    target = one_data_file(exported)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    assert main(["verify", str(exported)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"1 of 4 files differs from {exported}:")
    assert f"{target.name}: changed: same size and number of lines, but different content" in out


def test_verify_says_missing_truncated_and_extra_lines(exported: Path) -> None:
    files = [exported.parent / f["name"] for f in load(exported)["files"]]
    big = one_data_file(exported)
    others = [f for f in files if f != big]
    lines = big.read_bytes().splitlines(keepends=True)
    big.write_bytes(b"".join(lines[:-1]))
    others[0].unlink()
    others[1].write_bytes(others[1].read_bytes() + b'{"extra": 1}\n{"extra": 2}\n')
    checked, problems = verify_manifest(exported)
    assert checked == 4
    said = "\n".join(problems)
    assert f"{big.name}: truncated: {len(lines) - 1} lines" in said
    assert f"{others[0].name}: missing" in said
    assert f"{others[1].name}: 2 extra lines" in said


def test_verify_of_a_file_that_is_no_manifest_fails_with_a_sentence(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.manifest.json"
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(ManifestError):
        verify_manifest(bad)
    assert main(["verify", str(bad)]) == 1
    assert "is not an export manifest" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "none.manifest.json")]) == 1


@pytest.mark.slow
def test_export_conll_then_verify_as_a_user_runs_them(tmp_path: Path, isolated_home: Path, sample_text: str) -> None:
    db = tmp_path / "cli.sqlite"
    with open_store(db) as store:
        from tests.unit.test_token_export import awkward_article

        store_articles(store, [sample_article(sample_text), awkward_article()])
    out = tmp_path / "ner.conll"
    exported = run_cli("export", str(out), "--format", "conll", "--scheme", "biluo", "--align", "strict",
                       "--db", str(db), home=isolated_home)
    assert exported.returncode == 0, exported.stderr
    said = exported.stdout
    assert f"wrote {tmp_path / 'ner.manifest.json'}" in said and f"wrote {tmp_path / 'ner.README.md'}" in said
    assert "“Touvron”: left out, its ends are not token boundaries (--align strict)" in said
    assert "3 CLAIM spans not in a token format" in said
    ok = run_cli("verify", str(tmp_path / "ner.manifest.json"), home=isolated_home)
    assert ok.returncode == 0 and "The file matches" in ok.stdout
    out.write_bytes(out.read_bytes().replace(b"U-ORG", b"U-PER", 1))
    changed = run_cli("verify", str(tmp_path / "ner.manifest.json"), home=isolated_home)
    assert changed.returncode == 1
    assert "ner.conll: changed: same size and number of lines, but different content" in changed.stdout
