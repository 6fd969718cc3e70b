"""``article-curator suggest`` stores a layer of suggestions to review; ``stats`` shows how many were accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from app.core.db.store import Store, open_store
from app.core.ingest.storing import store_articles
from app.core.ops import span_edits
from app.core.suggest import service
from app.core.validation import NewArticle
from tests.unit.test_cli import run_cli

LEARNED = "Hugo Touvron left Meta for Mistral."


def _dataset(path: Path, new: int = 3) -> None:
    with open_store(path) as store:
        store_articles(store, [NewArticle(uid="done", text=LEARNED)] + [
            NewArticle(uid=f"new{i}", text=f"Meta hired {i} people, Hugo Touvron said.") for i in range(new)])
        span_edits.add_span(store, 1, 0, 12, "PERSON", annotator="ana")
        span_edits.add_span(store, 1, 18, 22, "ORG", annotator="ana")
        span_edits.add_span(store, 1, 27, 34, "ORG", annotator="ana")
        span_edits.set_status(store, [1], "done")


def _layer(store: Store) -> dict[int, list[tuple[int, int, str, str]]]:
    with store.begin() as conn:
        rows = conn.execute(text(
            'SELECT s.article_id, s.start, s."end", label.name, s.source FROM suggestion s '
            "JOIN label ON label.id = s.label_id ORDER BY s.article_id, s.start")).all()
    layer: dict[int, list[tuple[int, int, str, str]]] = {}
    for article_id, *rest in rows:
        layer.setdefault(article_id, []).append(tuple(rest))  # type: ignore[arg-type]
    return layer


def test_suggest_stores_a_layer_for_new_articles_as_a_user_runs_it(tmp_path: Path, isolated_home: Path) -> None:
    db = tmp_path / "suggest.sqlite"
    _dataset(db)
    result = run_cli("suggest", "--db", str(db), home=isolated_home)
    assert result.returncode == 0, result.stderr
    assert "Suggested 6 spans in 3 articles (new)" in result.stdout
    assert "  ORG: 3 suggestions" in result.stdout and "  PERSON: 3 suggestions" in result.stdout
    assert "Learning from the done articles" in result.stderr and "Suggesting: 3/3" in result.stderr
    with open_store(db) as store:
        layer = _layer(store)
        assert sorted(layer) == [2, 3, 4]
        assert layer[2] == [(0, 4, "ORG", "dataset"), (21, 33, "PERSON", "dataset")]
        assert span_edits.count_spans(store, [2, 3, 4]) == 0  # a layer to review, not labels
        assert span_edits.read_statuses(store, [2, 3, 4]) == {2: "new", 3: "new", 4: "new"}
        # Reviewed in the window: one accepted, one rejected.
        span_edits.add_span(store, 2, 0, 4, "ORG", annotator="ana", origin="suggested")
        service.reject_suggestion(store, 2, 21, 33, "PERSON", annotator="ana")
    stats = run_cli("stats", "--db", str(db), home=isolated_home)
    assert stats.returncode == 0, stats.stderr
    assert "Suggestions accepted per label:" in stats.stdout
    assert "  PERSON            0%   (0 accepted, 1 rejected)" in stats.stdout
    assert "  ORG             100%   (1 accepted, 0 rejected)" in stats.stdout


def test_a_second_run_replaces_the_layer_of_the_articles_it_covers(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from app.cli import main

    db = tmp_path / "again.sqlite"
    _dataset(db)
    assert main(["suggest", "--db", str(db)]) == 0
    with open_store(db) as store:
        service.reject_suggestion(store, 2, 0, 4, "ORG", annotator="ana")
        span_edits.set_status(store, [3], "in_progress")
    capsys.readouterr()
    assert main(["suggest", "--db", str(db), "--status", "new", "--limit", "1"]) == 0
    assert "Suggested 1 span in 1 article (new)" in capsys.readouterr().out
    with open_store(db) as store:
        layer = _layer(store)
        assert layer[2] == [(21, 33, "PERSON", "dataset")]  # recomputed without the rejected one
        assert len(layer[3]) == 2 and len(layer[4]) == 2  # not covered: kept
    assert main(["suggest", "--db", str(db), "--status", "done"]) == 0
    assert "Suggested 0 spans in 1 article (done)" in capsys.readouterr().out  # its names are labelled


@pytest.mark.parametrize("args", [["--limit", "0"], ["--limit", "x"], ["--status", "open"]])
def test_bad_arguments_are_usage_errors(tmp_path: Path, args: list[str], capsys) -> None:  # type: ignore[no-untyped-def]
    from app.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["suggest", "--db", str(tmp_path / "x.sqlite"), *args])
    assert stop.value.code == 2


def test_ctrl_c_keeps_whole_batches_and_the_old_layer_of_the_rest(tmp_path: Path, capsys,  # type: ignore[no-untyped-def]
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import main

    db = tmp_path / "interrupted.sqlite"
    _dataset(db, new=service.PRECOMPUTE_BATCH + 10)
    everything = range(2, service.PRECOMPUTE_BATCH + 12)
    with open_store(db) as store:
        service.store_suggestions(store, {i: [{"start": 0, "end": 4, "label": "ORG", "score": 0.1}] for i in everything},
                                  source="old")
    real = service.suggestions_for

    def interrupted(store, suggester, article_id):  # type: ignore[no-untyped-def]
        if article_id == service.PRECOMPUTE_BATCH + 5:  # in the second batch
            raise KeyboardInterrupt
        return real(store, suggester, article_id)

    monkeypatch.setattr(service, "suggestions_for", interrupted)
    assert main(["suggest", "--db", str(db)]) == 1
    assert "Interrupted: what was finished is kept." in capsys.readouterr().err
    with open_store(db) as store:
        layer = _layer(store)
        first = range(2, service.PRECOMPUTE_BATCH + 2)
        assert all({source for *_, source in layer[i]} == {"dataset"} and len(layer[i]) == 2 for i in first)
        assert all(layer[i] == [(0, 4, "ORG", "old")] for i in everything if i not in first)


def test_a_pipeline_that_cannot_be_used_is_named_and_the_dataset_suggests_alone(tmp_path: Path, capsys,  # type: ignore[no-untyped-def]
                                                                               isolated_home: Path) -> None:
    from app.cli import main
    from app.core.settings import Settings, save_settings

    db = tmp_path / "pipeline.sqlite"
    _dataset(db, new=1)
    save_settings(Settings(suggestion_source=f"spacy:{tmp_path / 'gone'}"))
    assert main(["suggest", "--db", str(db)]) == 0
    out, err = capsys.readouterr()
    assert "Suggested 2 spans in 1 article (new)" in out
    assert "suggesting from this dataset's labels alone" in err and str(tmp_path / "gone") in err
    with open_store(db) as store:
        assert {source for *_, source in _layer(store)[2]} == {"dataset"}  # what did suggest them
