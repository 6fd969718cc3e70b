"""The import pane and the export dialog: real widgets, a real dataset, a real local HTTP server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from sqlalchemy import text

from app.core.changes import ChangeKind, Changes
from app.core.ingest.importer import ItemOutcome
from app.core.ops import library
from app.core.ops.span_edits import add_span, set_status
from app.core.settings import Settings
from app.widgets.edits import EditGateway
from app.widgets.import_items_model import ImportBatchesModel, ImportItemsModel
from app.widgets.import_pane import ImportPane
from app.widgets.tasks import wait_for_all
from tests.http_server import _page

LEFT = Qt.MouseButton.LeftButton
IMPORT_TIMEOUT_MS = 60_000

# A story of its own, so that it is never a duplicate of the feed's articles.
FLAKY_STORY = _page("Port authority opens night ferry", """<article><h1>Port authority opens night ferry</h1>
<p>The Harbor City port authority will run a night ferry between the riverside district and the old town from
June, its director Ingrid Solberg said on Thursday, after a two-year trial of late buses failed to attract riders.</p>
<p>The service will leave every forty minutes until two in the morning. Solberg said the boats, leased from the
Northern Lines company, run on batteries charged at the terminal during the day.</p>
<p>Shop owners in the old town welcomed the plan. "Half our evening customers come from across the river," said
Tariq Haddad, who chairs the traders' association. Residents near the pier asked for limits on engine noise.</p>
</article>""")


@pytest.fixture
def settings() -> Settings:
    # One extraction process keeps the tests light; a short timeout keeps failures quick.
    return Settings(annotator="tester", fetch_timeout=10.0, fetch_concurrency=4, extract_workers=1)


@pytest.fixture
def gateway(store, qapp) -> Iterator[EditGateway]:
    gateway = EditGateway(store, "tester")
    yield gateway
    gateway.close()


def imported_batches(gateway: EditGateway) -> list[list[int]]:
    """The ids of each announcement of new articles on the gateway's one signal, as they come."""
    batches: list[list[int]] = []

    def note(changes: Changes, _initiator: object) -> None:
        if not changes.saved and changes.has(ChangeKind.ARTICLES_ADDED):
            batches.append(list(changes.article_ids))

    gateway.changes_applied.connect(note)
    return batches


@pytest.fixture
def pane(qtbot, store, settings, gateway) -> Iterator[ImportPane]:
    widget = ImportPane(store, settings, gateway)
    qtbot.addWidget(widget)
    widget.resize(900, 720)
    widget.show()
    yield widget
    if widget.is_busy():
        with qtbot.waitSignal(widget.import_finished, timeout=IMPORT_TIMEOUT_MS):
            widget.cancel()
    assert wait_for_all(10_000)


def run_import(qtbot, pane: ImportPane, click) -> object:
    with qtbot.waitSignal(pane.import_finished, timeout=IMPORT_TIMEOUT_MS) as blocker:
        click()
    return blocker.args[0]


def rows_by_source(model: ImportItemsModel) -> dict[str, object]:
    return {r.source: r for r in model.rows()}


# -- import pane -----------------------------------------------------------------------------


def test_paste_urls_and_a_feed_import_retry_and_history(qtbot, pane, store, http_server, screenshot):
    http_server.add_route("/gui/flaky.html", 503, "<html><body>Busy, try later</body></html>")
    article, missing, feed = (http_server.url(p) for p in ("/article.html", "/404", "/feed.xml"))
    flaky = http_server.url("/gui/flaky.html")
    batches = imported_batches(pane.gateway)

    pane.box.setPlainText(f"{article}\n{missing}\n\n{feed}\n{flaky}\n")
    report = run_import(qtbot, pane, lambda: qtbot.mouseClick(pane.import_button, LEFT))

    # The feed is replaced by its three stories; each item has a row with its outcome.
    rows = rows_by_source(pane.items_model)
    news = [http_server.url(f"/news/{i}.html") for i in (1, 2, 3)]
    assert set(rows) == {article, missing, flaky, *news}
    assert all(rows[u].outcome == "imported" and rows[u].title for u in [article, *news])
    assert rows[missing].outcome == "failed" and "404" in rows[missing].reason
    assert rows[flaky].outcome == "failed" and "503" in rows[flaky].reason
    index = pane.items_model.index(list(pane.items_model.rows()).index(rows[missing]), ImportItemsModel.OUTCOME)
    assert index.data() == "Failed" and not index.data(Qt.ItemDataRole.DecorationRole).isNull()
    assert pane.summary.text() == "Imported 4 · 0 duplicates · 2 failed"
    assert pane.box.toPlainText() == ""  # done with; the failures stay reachable below

    # The dataset has the articles, and the library heard about each one once.
    assert library.count_articles(store) == 4
    assert sorted(i for ids in batches for i in ids) == sorted(o.article_id for o in report.outcomes if o.outcome == "imported")

    # The run is in the history, selected; retrying re-imports only its failed items.
    assert pane.batches_model.rowCount() == 1
    assert pane.batches_model.batch_at(0).batch == report.batch
    assert pane.history_view.selectionModel().isRowSelected(0)
    assert pane.retry_button.isEnabled() and pane.retry_button.text() == "Retry 2 failed"

    http_server.add_route("/gui/flaky.html", body=FLAKY_STORY)  # the server is back
    hits_404, hits_article = http_server.hits("/404"), http_server.hits("/article.html")
    retry = run_import(qtbot, pane, lambda: qtbot.mouseClick(pane.retry_button, LEFT))
    assert {(o.source, o.outcome) for o in retry.outcomes} == {(flaky, "imported"), (missing, "failed")}
    assert http_server.hits("/404") == hits_404 + 1 and http_server.hits("/article.html") == hits_article
    assert library.count_articles(store) == 5
    assert [pane.batches_model.batch_at(i).batch for i in range(2)] == [retry.batch, report.batch]

    # Selecting the earlier run shows its items again, from the import log.
    pane.history_view.selectRow(1)
    assert {r.source for r in pane.items_model.rows()} == {article, missing, flaky, *news}
    assert pane.summary.text() == "Imported 4 · 0 duplicates · 2 failed"
    pane.history_view.selectRow(0)
    screenshot(pane, "import_pane")


def test_cancel_while_a_server_hangs_returns_promptly(qtbot, pane, settings, http_server):
    settings.fetch_timeout = 120.0  # only the cancel can end this import soon
    hang = http_server.url("/hang")
    before = http_server.hits("/hang")
    assert pane.start_import([hang])
    assert pane.is_busy() and not pane.import_button.isEnabled() and pane.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: http_server.hits("/hang") > before, timeout=20_000)
    assert not pane.start_import([http_server.url("/article.html")])  # one import at a time
    assert "already running" in pane.summary.text()

    started = time.monotonic()
    report = run_import(qtbot, pane, lambda: qtbot.mouseClick(pane.cancel_button, LEFT))
    assert time.monotonic() - started < 5
    assert report.cancelled
    assert not pane.is_busy() and pane.import_button.isEnabled() and not pane.cancel_button.isEnabled()
    assert pane.summary.text().endswith("cancelled")


def test_start_import_with_a_folder_as_a_drop_would(qtbot, pane, store, tmp_path):
    folder = tmp_path / "dropped"
    (folder / "more").mkdir(parents=True)
    body = "Priya Raman starts as chief executive of Solvane Robotics on April 1, the board said. " * 4
    (folder / "raman.txt").write_text("Solvane names CEO\n\n" + body, encoding="utf-8")
    (folder / "more" / "copy.txt").write_text("Solvane names CEO\n\n" + body, encoding="utf-8")
    (folder / "more" / "empty.txt").write_text("   \n", encoding="utf-8")

    report = run_import(qtbot, pane, lambda: pane.start_import([str(folder)]))
    outcomes = {Path(o.source).name: o.outcome for o in report.outcomes}
    assert outcomes == {"raman.txt": "imported", "copy.txt": "duplicate", "empty.txt": "failed"}
    assert pane.summary.text() == "Imported 1 · 1 duplicate · 1 failed"
    assert library.count_articles(store) == 1
    assert pane.items_model.rowCount() == 3


def test_add_files_imports_what_the_file_dialog_returns(qtbot, pane, store, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    story = tmp_path / "ferry.txt"
    story.write_text("Night ferry\n\n" + "The port authority will run a night ferry from June. " * 5, encoding="utf-8")
    odd = tmp_path / "notes.xyz"
    odd.write_text("not an article", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames",
                        staticmethod(lambda *a, **k: ([str(story), str(odd)], "")))
    report = run_import(qtbot, pane, lambda: qtbot.mouseClick(pane.files_button, LEFT))
    assert {(Path(o.source).name, o.outcome) for o in report.outcomes} == {("ferry.txt", "imported"),
                                                                          ("notes.xyz", "failed")}
    assert "Unsupported file type" in rows_by_source(pane.items_model)[str(odd)].reason


def test_a_dataset_error_ends_the_import_with_a_message(qtbot, pane, monkeypatch):
    import app.core.ingest.importer as importer  # the pane loads the importer when an import starts

    def broken(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(importer, "import_sources", broken)
    report = run_import(qtbot, pane, lambda: pane.start_import(["https://example.org/a"]))
    assert report.outcomes == [] and not report.cancelled
    assert pane.summary.text().startswith("The import stopped:") and "No space left" in pane.summary.text()
    assert not pane.is_busy() and pane.import_button.isEnabled()


def test_a_thousand_items_reach_the_table_in_few_inserts(qtbot, pane, store, tmp_path):
    path = tmp_path / "many.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i in range(1000):
            f.write(json.dumps({"title": f"Story {i}", "text": f"Story number {i} about the harbour ferry."}) + "\n")
    inserts: list[int] = []
    pane.items_model.rowsInserted.connect(lambda _p, first, last: inserts.append(last - first + 1))
    announced = imported_batches(pane.gateway)

    report = run_import(qtbot, pane, lambda: pane.start_import([str(path)]))
    assert report.imported == 1000
    assert sum(inserts) == 1000 and len(inserts) < 50  # batched by the timer, not one insert per item
    assert sorted(i for ids in announced for i in ids) == sorted(o.article_id for o in report.outcomes)
    assert pane.progress.value() == pane.progress.maximum() == 1000


def test_progress_is_gathered_until_the_timer_flushes(qtbot, pane):
    items = [ItemOutcome(f"https://example.org/{i}", "failed", "Server error 500.") for i in range(300)]
    for n, item in enumerate(items, 1):
        pane._on_progress(n, 300, item.source, item)
    assert pane.items_model.rowCount() == 0  # nothing touched the view yet
    pane._flush()
    assert pane.items_model.rowCount() == 300


def test_new_articles_are_announced_during_an_import_at_most_once_a_second(qtbot, pane):
    announced = imported_batches(pane.gateway)
    first = [ItemOutcome(f"https://example.org/{i}", "imported", "", i, f"u{i}", f"T{i}") for i in (1, 2)]
    pane._last_announce = time.monotonic() - 5  # the previous announcement was long ago
    for item in first:
        pane._on_progress(item.article_id, 10, item.source, item)
    pane._flush()
    assert announced == [[1, 2]]
    later = ItemOutcome("https://example.org/3", "imported", "", 3, "u3", "T3")
    pane._on_progress(3, 10, later.source, later)
    pane._flush()
    assert announced == [[1, 2]]  # too soon: kept for the next announcement
    pane._announce()
    assert announced == [[1, 2], [3]]


def test_empty_box_explains_instead_of_importing(qtbot, pane):
    pane.box.setPlainText("   \n# just a comment\n")
    qtbot.mouseClick(pane.import_button, LEFT)
    assert not pane.is_busy()
    assert "at least one web address" in pane.summary.text()


def test_item_models_pass_the_model_tester(qtmodeltester, store, tmp_path):
    from app.core.ingest import import_log
    from app.core.ingest.importer import ImportOptions, import_sources

    items = ImportItemsModel()
    items.append([ItemOutcome("https://example.org/a", "imported", "", 1, "u1", "A"),
                  ItemOutcome("/tmp/b.txt", "failed", "The file is empty.")])
    qtmodeltester.check(items)
    # The tester stays attached: appends and resets are checked as they happen.
    items.append([ItemOutcome("https://example.org/c", "duplicate", "Already in the dataset.", 1, "u1", "A")])
    items.append([])
    items.clear()
    assert items.rowCount() == 0

    import_sources(store, [tmp_path / "missing.txt"], ImportOptions(workers=1))
    batches = ImportBatchesModel()
    batches.set_batches(import_log.recent_batches(store))
    qtmodeltester.check(batches)
    assert batches.rowCount() == 1 and batches.index(0, 4).data() == 1


# -- export dialog ---------------------------------------------------------------------------


@pytest.fixture
def labelled_store(sample_store):
    """The sample dataset with spans by two annotators on the two short articles, both done."""
    with sample_store.begin() as conn:
        ids = dict(conn.execute(text("SELECT title, id FROM article")).all())
    harbor, solvane = ids["Harbor City library"], ids["Solvane names CEO"]
    for aid, needle, label, who in [
        (harbor, "Elena Vasquez", "PERSON", "tester"),
        (harbor, "Harbor City Council", "ORG", "tester"),
        (harbor, "Northgate Builders", "ORG", "alice"),
        (solvane, "Priya Raman", "PERSON", "alice"),
        (solvane, "Solvane Robotics", "ORG", "tester"),
    ]:
        body = library.get_article(sample_store, aid).text
        start = body.index(needle)
        add_span(sample_store, aid, start, start + len(needle), label, annotator=who)
    set_status(sample_store, [harbor, solvane], "done")
    return sample_store


@pytest.fixture
def export_dialog(qtbot, labelled_store, settings):
    from app.widgets.export_dialog import ExportDialog

    dialog = ExportDialog(labelled_store, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    yield dialog
    assert wait_for_all(10_000)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_export_spacy_done_articles_with_a_split(qtbot, export_dialog, tmp_path, screenshot, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    dialog = export_dialog
    assert dialog.annotator_combo.count() == 3  # all, alice, tester
    dialog.format_buttons["spacy"].setChecked(True)
    for status, check in dialog.status_checks.items():
        check.setChecked(status == "done")
    dialog.split_box.setChecked(True)
    for name, value in zip(("train", "dev", "test"), (0.5, 0.25, 0.25), strict=True):
        dialog.ratio_spins[name].setValue(value)
    out = tmp_path / "spacy.jsonl"
    dialog.path_edit.setText(str(out))

    with qtbot.waitSignal(dialog.export_finished, timeout=30_000) as blocker:
        qtbot.mouseClick(dialog.export_button, LEFT)
    summary = blocker.args[0]

    lines = read_jsonl(out)
    assert len(lines) == summary.articles == 2
    assert {line["meta"]["status"] for line in lines} == {"done"}
    assert {line["split"] for line in lines} <= {"train", "dev", "test"}
    spans = [(line["text"], s) for line in lines for s in line["spans"]]
    assert len(spans) == 5
    for body, s in spans:
        assert body[s["start"]:s["end"]] == s["text"]
    result = dialog.result_label.text()
    assert "Exported 2 articles to 1 file." in result
    assert "Spans: ORG 3 · PERSON 2" in result
    assert f"Saved as spacy.jsonl in {tmp_path}" in result
    assert dialog.result_box.isVisible() and not dialog.message.isVisible()

    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url) or True))
    qtbot.mouseClick(dialog.open_folder_button, LEFT)
    assert [Path(u.toLocalFile()) for u in opened] == [tmp_path]
    screenshot(dialog, "export_dialog")


def test_export_one_annotator_as_doccano_one_file_per_split(qtbot, export_dialog, tmp_path):
    dialog = export_dialog
    dialog.format_buttons["doccano"].setChecked(True)
    dialog.annotator_combo.setCurrentIndex(dialog.annotator_combo.findData("alice"))
    dialog.split_box.setChecked(True)
    dialog.split_files_check.setChecked(True)
    dialog.path_edit.setText(str(tmp_path / "alice.jsonl"))
    with qtbot.waitSignal(dialog.export_finished, timeout=30_000) as blocker:
        assert dialog.export()
    paths = blocker.args[0].paths
    assert {p.name for p in paths} == {"alice.train.jsonl", "alice.dev.jsonl", "alice.test.jsonl"}
    lines = [line for p in paths for line in read_jsonl(p)]
    assert len(lines) == 3  # every status
    labels = sorted(lab[2] for line in lines for lab in line["label"])
    assert labels == ["ORG", "PERSON"]  # alice's spans only
    for line in lines:
        for start, end, _label in line["label"]:
            assert line["text"][start:end] in ("Northgate Builders", "Priya Raman")


def test_closing_while_exporting_cancels_or_finishes_cleanly(qtbot, export_dialog, tmp_path):
    dialog = export_dialog
    folder = tmp_path / "exports"
    folder.mkdir()
    dialog.path_edit.setText(str(folder / "out.jsonl"))
    assert dialog.export()
    dialog.reject()  # the export may already be done; either way nothing half-written stays
    qtbot.waitUntil(lambda: not dialog.isVisible() and not dialog.is_busy(), timeout=30_000)
    assert sorted(p.name for p in folder.iterdir()) in ([], ["out.README.md", "out.jsonl", "out.manifest.json"])


def test_an_existing_file_is_replaced_only_when_confirmed(qtbot, export_dialog, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    dialog = export_dialog
    out = tmp_path / "existing.jsonl"
    out.write_text("keep me\n", encoding="utf-8")
    dialog.path_edit.setText(str(out))
    answers = iter([QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes])
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: next(answers)))
    assert not dialog.export()
    assert out.read_text(encoding="utf-8") == "keep me\n"
    with qtbot.waitSignal(dialog.export_finished, timeout=30_000):
        assert dialog.export()
    assert len(read_jsonl(out)) == 3


def test_invalid_split_shows_a_message_and_does_not_export(qtbot, export_dialog, tmp_path):
    dialog = export_dialog
    dialog.split_box.setChecked(True)
    for name, value in zip(("train", "dev", "test"), (0.5, 0.3, 0.1), strict=True):
        dialog.ratio_spins[name].setValue(value)
    folder = tmp_path / "exports"
    folder.mkdir()
    dialog.path_edit.setText(str(folder / "never.jsonl"))
    qtbot.mouseClick(dialog.export_button, LEFT)
    assert not dialog.is_busy()
    assert dialog.message.isVisible() and "add up to 1" in dialog.message.text()
    assert list(folder.iterdir()) == []  # not even a temporary file

    dialog.split_box.setChecked(False)
    dialog.path_edit.setText(str(tmp_path / "no-such-folder" / "out.jsonl"))
    qtbot.mouseClick(dialog.export_button, LEFT)
    assert "does not exist" in dialog.message.text() and not dialog.is_busy()

    for check in dialog.status_checks.values():
        check.setChecked(False)
    qtbot.mouseClick(dialog.export_button, LEFT)
    assert dialog.message.text() == "Tick at least one status."
