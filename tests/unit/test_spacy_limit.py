"""spaCy's nlp.max_length: a spaCy export names the articles longer than spaCy loads by default."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.unit.test_cli import run_cli

SPACY_MAX_LENGTH = 1_000_000  # spaCy's nlp.max_length default


def _long_body(sample_body: str, length: int) -> str:
    """Real article paragraphs repeated to exactly ``length`` characters."""
    paragraphs = [p.strip() for p in sample_body.split("\n\n") if p.strip()]
    text, i = "", 0
    while len(text) < length:
        text += ("\n\n" if text else "") + paragraphs[i % len(paragraphs)]
        i += 1
    return text[:length].rstrip() + "x" * (length - len(text[:length].rstrip()))


@pytest.mark.slow
def test_spacy_export_names_the_articles_over_spacys_default_limit(tmp_path: Path, sample_text: str,
                                                                    isolated_home: Path) -> None:
    title, _, body = sample_text.partition("\n")
    folder = tmp_path / "articles"
    folder.mkdir()
    sizes = {"long-a": SPACY_MAX_LENGTH + 1, "long-b": 1_200_000, "at-limit": SPACY_MAX_LENGTH}
    for name, size in sizes.items():
        (folder / f"{name}.txt").write_text(f"{name} {title}\n{_long_body(body, size)}\n", encoding="utf-8")
    (folder / "short.txt").write_text(sample_text, encoding="utf-8")
    db = tmp_path / "long.sqlite"
    imported = run_cli("import", str(folder), "--db", str(db), "--workers", "1", home=isolated_home)
    assert imported.returncode == 0, imported.stdout + imported.stderr

    out = tmp_path / "spacy.jsonl"
    exported = run_cli("export", str(out), "--format", "spacy", "--db", str(db), home=isolated_home)
    assert exported.returncode == 0, exported.stderr
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    length_by_title = {line["meta"]["title"].split()[0]: len(line["text"]) for line in lines}
    assert length_by_title["at-limit"] == SPACY_MAX_LENGTH  # the boundary is really exercised
    too_long = [line["meta"]["id"] for line in lines if len(line["text"]) > SPACY_MAX_LENGTH]
    assert len(too_long) == 2 and len(lines) == 4
    warnings = [ln for ln in exported.stdout.splitlines() if "nlp.max_length" in ln]
    assert warnings == [
        f"Warning: 2 articles are longer than spaCy's default limit of 1,000,000 characters (nlp.max_length): "
        f"ids {', '.join(too_long)}; raise nlp.max_length before loading."
    ]

    # The other formats are not loaded by spaCy: no warning there.
    native = run_cli("export", str(tmp_path / "native.jsonl"), "--db", str(db), home=isolated_home)
    assert native.returncode == 0 and "nlp.max_length" not in native.stdout
