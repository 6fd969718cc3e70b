"""Import-log queries (history, items, retry list) and dataset facts, on a real SQLite dataset."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from app.core.ingest.import_log import batch_items, failed_sources, recent_batches
from app.core.ingest.importer import ImportOptions, import_sources
from app.core.ingest.storing import store_articles
from app.core.ops.dataset_info import list_annotators
from app.core.ops.span_edits import add_span
from app.core.validation import NewArticle

OPTS = ImportOptions(workers=1)
BODY = "Mayor Elena Vasquez said on Tuesday that Harbor City Council approved the riverside library. " * 4


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_batches_are_listed_newest_first_with_counts(store, tmp_path):
    good = write(tmp_path / "good.txt", "Library vote\n\n" + BODY)
    missing = tmp_path / "missing.txt"
    odd = write(tmp_path / "notes.xyz", "whatever")
    first = import_sources(store, [good, missing, odd], OPTS)
    second = import_sources(store, [good], OPTS)

    batches = recent_batches(store)
    assert [b.batch for b in batches] == [second.batch, first.batch]
    newest, oldest = batches
    assert (oldest.total, oldest.imported, oldest.duplicates, oldest.failed) == (3, 1, 0, 2)
    assert (newest.total, newest.imported, newest.duplicates, newest.failed) == (1, 0, 1, 0)
    assert oldest.started.tzinfo == UTC and oldest.started <= oldest.finished <= newest.started
    assert recent_batches(store, limit=1) == [newest]


def test_batch_items_keep_outcome_reason_title_and_article(store, tmp_path):
    good = write(tmp_path / "good.txt", "Library vote\n\n" + BODY)
    missing = tmp_path / "missing.txt"
    report = import_sources(store, [good, missing], OPTS)

    items = batch_items(store, report.batch)
    by_source = {i.source: i for i in items}
    assert by_source[str(good)].outcome == "imported"
    assert by_source[str(good)].article_id == report.imported and by_source[str(good)].title == "Library vote"
    assert by_source[str(missing)].outcome == "failed"
    assert "No such file" in by_source[str(missing)].reason
    assert batch_items(store, "no-such-batch") == []


def test_failed_sources_of_a_batch_are_listed_once_each(store, tmp_path, http_server):
    missing = tmp_path / "later.txt"
    broken = http_server.url("/404")
    report = import_sources(store, [missing, broken, broken], OPTS)
    assert report.count("failed") == 2  # the repeat is "listed twice", a duplicate, not a failure
    # A file that is still missing is not offered: retrying could only fail the same way.
    assert failed_sources(store, report.batch) == [broken]
    write(missing, "Arrived later\n\n" + BODY)
    assert sorted(failed_sources(store, report.batch)) == sorted([str(missing), broken])


def test_failed_sources_without_a_batch_skip_what_succeeded_later(store, tmp_path):
    later = tmp_path / "later.txt"
    first = import_sources(store, [later], OPTS)
    assert failed_sources(store, first.batch) == []  # the file does not exist: nothing to retry yet

    write(later, "Arrived later\n\n" + BODY)
    assert failed_sources(store) == [str(later)]
    second = import_sources(store, failed_sources(store, first.batch), OPTS)
    assert second.imported == 1
    assert failed_sources(store) == []
    assert failed_sources(store, first.batch) == [str(later)]  # the batch itself still lists it


def test_a_failed_jsonl_record_retries_its_file(store, tmp_path):
    records = write(tmp_path / "records.jsonl", '{"text": "' + BODY + '"}\n{"title": "no text"}\n')
    report = import_sources(store, [records], OPTS)
    assert report.imported == 1 and len(report.failures) == 1
    assert report.failures[0].source == f"{records}:2"
    assert failed_sources(store, report.batch) == [str(records)]
    assert failed_sources(store) == [str(records)]


def test_list_annotators_is_distinct_sorted_and_skips_blank(store):
    body = "Priya Raman leads Solvane Robotics."
    [outcome] = store_articles(store, [NewArticle(text=body, source_kind="paste")])
    aid = outcome.article_id
    assert list_annotators(store) == []
    add_span(store, aid, 0, 11, "PERSON", annotator="zoe")
    add_span(store, aid, 18, 35, "ORG", annotator="adam")
    add_span(store, aid, 18, 35, "ORG", annotator="zoe")
    add_span(store, aid, 0, 11, "ORG", annotator="")
    assert list_annotators(store) == ["adam", "zoe"]


# --- a log that cannot be written ----------------------------------------------------------------

FULL_DISK = """
import resource, signal, sys
# The operating system refuses every write past this size, to every file, as a full disk does
# (SIGXFSZ ignored: the write then fails with EFBIG instead of ending the process).
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.argv = ["article-curator", *sys.argv[2:]]
from app.cli import main
sys.exit(main())
"""


@pytest.mark.slow
def test_a_log_that_cannot_be_written_is_said_once_in_words(tmp_path, isolated_home):
    import os
    import subprocess
    import sys

    from app.core.db.store import open_store

    root = Path(__file__).resolve().parents[2]
    db = tmp_path / "ds.sqlite"
    open_store(db).close()
    folder = tmp_path / "empty"
    folder.mkdir()
    for i in range(300):  # each fails on its own, and each failure is logged in its own write
        (folder / f"{i:03d}.txt").touch()
    # Room for the -shm file and a few log writes in the -wal file, then no more.
    limit = max(db.stat().st_size, 32768) + 4 * 4096
    env = {**os.environ, "ARTICLE_CURATOR_HOME": str(isolated_home), "PYTHONPATH": str(root)}
    result = subprocess.run([sys.executable, "-c", FULL_DISK, str(limit), "import", str(folder), "--db", str(db),
                             "--workers", "1"], capture_output=True, text=True, env=env, cwd=root, timeout=300,
                            check=False)
    assert result.returncode == 1
    assert "Failed: 300" in result.stdout  # the report still has every item
    assert "Traceback" not in result.stderr
    said = [line for line in result.stderr.splitlines() if "import log" in line]
    # SQLite calls a write refused past the size limit "disk full" or an I/O error, depending on where it falls.
    reasons = ("the disk is full", "the disk could not be read or written (a failing or disconnected drive)")
    assert said in ([f"Could not write the import log of {db}: {reason}. This import's articles are kept, but its "
                     "history in the import pane will miss some items."] for reason in reasons), result.stderr
    with open_store(db) as store:
        logged = sum(b.total for b in recent_batches(store))
    assert 0 < logged < 300  # the first writes fit, the rest really failed
