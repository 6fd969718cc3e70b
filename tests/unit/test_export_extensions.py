"""Each export format has its file extension; the command line writes the file under it and says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from app.core.db.store import Store
from app.core.export.formats import EXTENSIONS, FORMATS, with_extension
from app.core.ingest.storing import store_articles
from tests.unit.test_export import sample_article


@pytest.fixture
def db(store: Store, db_path: Path, sample_text: str) -> Path:
    store_articles(store, [sample_article(sample_text)])
    store.close()
    return db_path


def test_every_format_has_an_extension() -> None:
    assert set(EXTENSIONS) == set(FORMATS)
    assert EXTENSIONS["spacy-docbin"] == ".spacy" and EXTENSIONS["conll"] == ".conll"
    assert EXTENSIONS["labelstudio"] == EXTENSIONS["claimreview"] == ".json" and EXTENSIONS["hf"] == ".jsonl"


@pytest.mark.parametrize(("name", "fmt", "named"), [
    ("ner.jsonl", "spacy-docbin", "ner.spacy"),  # another format's extension is replaced
    ("ner.JSONL", "conll", "ner.conll"),
    ("ner.spacy", "spacy-docbin", "ner.spacy"),  # the right one stays
    ("ner", "spacy-docbin", "ner.spacy"),  # none: added
    ("notes.v2", "labelstudio", "notes.v2.json"),  # another ending is part of the name: kept
    ("tasks.json", "native", "tasks.jsonl"),
])
def test_with_extension(name: str, fmt: str, named: str) -> None:
    assert with_extension(Path("/x") / name, fmt) == Path("/x") / named


def test_cli_writes_spacy_docbin_where_spacy_train_finds_it(db: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from spacy.training.corpus import walk_corpus

    out = tmp_path / "out"
    out.mkdir()
    assert main(["export", str(out / "ner.jsonl"), "--format", "spacy-docbin", "--db", str(db)]) == 0
    said = capsys.readouterr()
    assert f"writing {out / 'ner.spacy'}: spacy train reads .spacy files" in said.err
    assert f"wrote {out / 'ner.spacy'}" in said.out
    assert not (out / "ner.jsonl").exists()
    assert walk_corpus(out, ".spacy") == [out / "ner.spacy"]

    # The split files follow: spacy train's corpus paths point at them.
    split = tmp_path / "split"
    split.mkdir()
    assert main(["export", str(split / "ner"), "--format", "spacy-docbin", "--split", "0.5,0.25,0.25",
                 "--db", str(db)]) == 0
    assert walk_corpus(split, ".spacy") == [split / f"ner.{name}.spacy" for name in ("dev", "test", "train")]


@pytest.mark.parametrize(("fmt", "extension"), [("labelstudio", ".json"), ("claimreview", ".json"),
                                                  ("conll", ".conll"), ("hf", ".jsonl")])
def test_cli_names_each_format_as_its_readers_do(db: Path, tmp_path: Path, fmt: str, extension: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    asked = tmp_path / ("data.jsonl" if extension != ".jsonl" else "data.conll")
    assert main(["export", str(asked), "--format", fmt, "--db", str(db)]) == 0
    written = asked.with_suffix(extension)
    assert written.is_file() and not asked.exists()
    assert f"writing {written}" in capsys.readouterr().err


def test_cli_keeps_a_name_with_the_right_extension_and_says_nothing(db: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "tasks.json"), "--format", "labelstudio", "--db", str(db)]) == 0
    assert (tmp_path / "tasks.json").is_file()
    assert "writing" not in capsys.readouterr().err
