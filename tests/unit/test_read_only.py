"""A dataset on read-only media (a USB stick, a shared drive): read, searched and exported, never changed.

Each test mounts the dataset's folder read-only (see tests/read_only_mount.py)
and runs the real command line inside that mount.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from app.core.db.store import open_store
from app.core.ingest.storing import store_articles
from app.core.validation import NewArticle
from tests.read_only_mount import ROOT, run_with_read_only_folder

pytestmark = pytest.mark.slow  # every test runs the command line in a process under a read-only mount

# Runs each command line given as JSON and prints every outcome; started inside the read-only mount.
DRIVER = """
import json, subprocess, sys
runs = json.loads(sys.argv[1])
out = []
for args in runs:
    r = subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True)
    out.append([r.returncode, r.stdout, r.stderr])
print(json.dumps(out))
"""

LEFT_OPEN = """
import os, sys
from app.core.ingest.storing import store_articles
from app.core.db.store import open_store
from app.core.validation import NewArticle
store = open_store(sys.argv[1])
with store.engine.connect() as conn:  # keep what follows in the -wal file, as after a crash
    conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
    store_articles(store, [NewArticle(text="The lighthouse keeper retired after forty years on the island.",
                                      title="Lighthouse keeper retires", source_kind="paste")])
    os._exit(0)
"""


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def run_cli_read_only(folder: Path, home: Path, *runs: list[str]) -> list[tuple[int, str, str]]:
    env = {"ARTICLE_CURATOR_HOME": str(home)}
    result = run_with_read_only_folder(folder, [sys.executable, "-c", DRIVER, json.dumps(runs)], env=env)
    assert result.returncode == 0, result.stderr
    return [tuple(r) for r in json.loads(result.stdout)]


@pytest.fixture
def disk(tmp_path: Path) -> Path:
    folder = tmp_path / "usb-stick"
    folder.mkdir()
    with open_store(folder / "ds.sqlite") as store:
        store_articles(store, [NewArticle(text=f"Harbour story {i}: the pier reopened. " * 10,
                                          title=f"Harbour story {i}", source_kind="paste") for i in range(5)])
    return folder


@pytest.mark.parametrize("state", ["closed cleanly", "left with a -wal file"])
def test_read_search_and_export_work_but_import_is_refused(state: str, disk: Path, tmp_path: Path,
                                                           isolated_home: Path) -> None:
    db = disk / "ds.sqlite"
    expected = 5
    if state == "left with a -wal file":
        subprocess.run([sys.executable, "-c", LEFT_OPEN, str(db)], check=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert (disk / "ds.sqlite-wal").stat().st_size > 0 and (disk / "ds.sqlite-shm").exists()
        expected = 6  # the article only the -wal file holds is read too
    before = snapshot(disk)
    text = tmp_path / "story.txt"
    text.write_text("Ferry timetable\n\nThe ferry runs every hour from May.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    stats, search, export, imported, entities, linked = run_cli_read_only(
        disk, isolated_home,
        ["stats", "--db", str(db)],
        ["search", "harbour", "--db", str(db)],
        ["export", str(out), "--db", str(db)],
        ["--db", str(db), "import", str(text)],
        ["entities", "--db", str(db)],
        ["link", "--auto", "--db", str(db)],
    )
    assert stats[0] == 0 and f"Articles: {expected}" in stats[1], stats
    assert search[0] == 0 and "Harbour story 3" in search[1], search
    assert export[0] == 0 and f"Exported {expected} articles (native) from {db}." in export[1], export
    assert len(out.read_bytes().splitlines()) == expected
    assert imported[0] == 2
    assert imported[2].strip() == (f"article-curator import: The dataset {db} is read-only: "
                                   "copy it to a writable folder to edit it.")
    assert entities[0] == 0 and "No entities in" in entities[1], entities
    assert linked[0] == 2 and linked[2].strip() == (f"article-curator link: The dataset {db} is read-only: "
                                                    "copy it to a writable folder to edit it.")
    for _status, _out, err in (stats, search, export, imported, entities, linked):
        assert "Traceback" not in err
    assert snapshot(disk) == before  # not a byte changed, no file added


def test_repair_into_a_read_only_folder_is_refused_and_out_of_one_works(disk: Path, tmp_path: Path, isolated_home: Path) -> None:
    source = tmp_path / "elsewhere.sqlite"
    with open_store(source):
        pass
    before = snapshot(disk)
    copy = tmp_path / "copy.sqlite"
    repair, out_of_it = run_cli_read_only(disk, isolated_home, ["repair", str(source), str(disk / "repaired.sqlite")],
                                          ["repair", str(disk / "ds.sqlite"), str(copy)])
    assert repair[0] == 2
    assert (f"Cannot create the dataset {disk / 'repaired.sqlite'}: its folder {disk} is read-only."
            in repair[2]), repair
    assert "Traceback" not in repair[2]
    # A dataset on read-only media can be repaired into a writable folder.
    assert out_of_it[0] == 0, out_of_it
    assert out_of_it[1].splitlines() == [f"Repaired {disk / 'ds.sqlite'} into {copy}: saved 5 articles, 0 spans, "
                                         "3 labels and 0 import records.", "Nothing was lost."]
    assert snapshot(disk) == before


def test_a_read_only_dataset_exports_the_same_lines(disk: Path, tmp_path: Path, isolated_home: Path) -> None:
    db = disk / "ds.sqlite"
    writable = tmp_path / "writable.jsonl"
    with open_store(db) as store:
        from app.core.export.exporter import export_jsonl

        export_jsonl(store, writable)
    out = tmp_path / "ro.jsonl"
    (export,) = run_cli_read_only(disk, isolated_home, ["export", str(out), "--db", str(db)])
    assert export[0] == 0, export
    assert [orjson.loads(x) for x in out.read_bytes().splitlines()] == \
        [orjson.loads(x) for x in writable.read_bytes().splitlines()]
