"""``article-curator entities`` lists the registry with its counts; ``link --auto`` links unambiguous spans."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from app.cli import main
from app.core.db.store import open_store
from app.core.entities import linking, queries, registry
from app.core.ingest.storing import store_articles
from app.core.ops import span_edits
from app.core.validation import NewArticle
from tests.unit.test_cli import run_cli

TEXT = "Martinet told Meta's board that Facebook and Sanofi would merge. Martinet left."


def _dataset(path: Path) -> dict[str, int]:
    with open_store(path) as store:
        store_articles(store, [NewArticle(uid="a1", text=TEXT)])
        for start, end, label in ((0, 8, "PERSON"), (14, 20, "ORG"), (32, 40, "ORG"), (45, 51, "ORG"),
                                  (65, 73, "PERSON")):
            span_edits.add_span(store, 1, start, end, label, annotator="ana")
        ids = {}
        for kind, name, aliases in (("ORG", "Meta", ["Facebook"]), ("PERSON", "Jean-Luc Martinet", ["Martinet"]),
                                    ("PERSON", "Claire Martinet", ["Martinet"])):
            ids[name] = registry.create_entity(store, kind, name, aliases=aliases,
                                               external_id="Q380" if name == "Meta" else "").entity_ids[0]
    return ids


def test_link_auto_then_entities_as_a_user_runs_them(tmp_path: Path, isolated_home: Path) -> None:
    db = tmp_path / "entities.sqlite"
    ids = _dataset(db)
    linked = run_cli("link", "--auto", "--db", str(db), home=isolated_home)
    assert linked.returncode == 0, linked.stderr
    assert linked.stdout.splitlines()[0].startswith("Linked 2 spans in 1 article to 1 entity")
    assert "Left unlinked, naming more than one entity: 1 text" in linked.stdout
    assert (f"  PERSON “Martinet” (2 spans): entities {ids['Jean-Luc Martinet']}, {ids['Claire Martinet']}"
            in linked.stdout)
    listed = run_cli("entities", "--db", str(db), "--kind", "ORG", home=isolated_home)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == [str(ids["Meta"]), "ORG", "2", "mentions", "1", "articles", "Meta", "(also",
                                     "Facebook)", "Q380"]


def test_entities_json_and_an_unknown_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "entities.sqlite"
    ids = _dataset(db)
    with open_store(db) as store:
        linking.link_spans(store, [1], ids["Jean-Luc Martinet"])
    assert main(["entities", "--db", str(db), "--json"]) == 0
    rows = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["name"], r["kind"], r["mentions"], r["articles"], r["aliases"]) for r in rows] == [
        ("Claire Martinet", "PERSON", 0, 0, ["Martinet"]), ("Jean-Luc Martinet", "PERSON", 1, 1, ["Martinet"]),
        ("Meta", "ORG", 0, 0, ["Facebook"])]
    assert main(["entities", "--db", str(db), "--kind", "GPE"]) == 0
    assert "No entities of kind GPE" in capsys.readouterr().out


def test_link_without_auto_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["link", "--db", str(tmp_path / "x.sqlite")])
    assert exit_.value.code == 2 and "--auto" in capsys.readouterr().err


def test_link_auto_again_links_nothing_more(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "entities.sqlite"
    _dataset(db)
    assert main(["link", "--auto", "--db", str(db)]) == 0
    assert main(["link", "--auto", "--db", str(db)]) == 0
    assert capsys.readouterr().out.count("Linked 0 spans in 0 articles to 0 entities") == 1
    with open_store(db) as store:
        assert sum(r.mentions for r in queries.list_entities(store)) == 2
