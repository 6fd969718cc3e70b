"""A dataset with pages overwritten in the middle: every command says so in one sentence, and
``article-curator repair`` copies every readable article into a new dataset and lists the rest."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest

from app.core.db.store import check_integrity, open_store
from app.core.ops import library
from tests.unit.test_cli import run_cli

pytestmark = pytest.mark.slow  # every test runs the command line in its own process

PAGE = 4096
ARTICLES = 400


def native_record(i: int) -> dict[str, object]:
    text = (f"Mayor Ada Lind{i} said the harbour of Town{i} will reopen in spring. "
            f"The council of Town{i} agreed on Tuesday, and the Port Authority {i} paid for the repairs.")
    person = text.index(f"Ada Lind{i}")
    claim_end = text.index(" in spring") + len(" in spring")
    return {
        "id": f"art{i:05d}", "url": f"https://news.example.org/town/{i}", "title": f"Harbour of Town{i} reopens",
        "text": text,
        "meta": {"author": "Jane Doe", "date": "2025-05-27", "site_name": "Example News", "language": "en"},
        "status": ("new", "in_progress", "done", "skipped")[i % 4],
        "spans": [
            {"start": person, "end": person + len(f"Ada Lind{i}"), "label": "PERSON", "text": f"Ada Lind{i}",
             "annotator": "ana", "attributes": {}},
            {"start": 0, "end": claim_end, "label": "CLAIM", "text": text[:claim_end], "annotator": "ana",
             "attributes": {"claimant": f"Ada Lind{i}", "note": "", "verdict": "unverified"}},
        ],
    }


def exported(path: Path, home: Path, out: Path) -> dict[str, bytes]:
    result = run_cli("export", str(out), "--db", str(path), home=home)
    assert result.returncode == 0, result.stderr
    return {orjson.loads(line)["id"]: line for line in out.read_bytes().splitlines()}


def leaf_pages(path: Path, table: str) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", (table,))]
    finally:
        conn.close()


def damage(tmp_path: Path, home: Path, table: str, pages: int) -> tuple[Path, dict[str, bytes]]:
    """A dataset of 400 imported articles with ``pages`` of ``table``'s pages overwritten, and its export from before."""
    source = tmp_path / "articles.jsonl"
    source.write_bytes(b"".join(orjson.dumps(native_record(i)) + b"\n" for i in range(ARTICLES)))
    path = tmp_path / "damaged.sqlite"
    result = run_cli("import", str(source), "--db", str(path), home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    before = exported(path, home, tmp_path / "before.jsonl")
    assert len(before) == ARTICLES
    leaves = leaf_pages(path, table)
    assert len(leaves) > 20
    # Pages of this table only: the pages after one of its leaves may belong to another table.
    middle = len(leaves) // 2
    with path.open("r+b") as f:
        for page in leaves[middle : middle + pages]:
            f.seek((page - 1) * PAGE)  # pages are numbered from 1
            f.write(b"\xa5" * PAGE)
    return path, before


@pytest.fixture
def damaged(tmp_path: Path, isolated_home: Path) -> tuple[Path, dict[str, bytes]]:
    return damage(tmp_path, isolated_home, "article", pages=2)


def assert_one_sentence_about_damage(stderr: str, path: Path) -> None:
    assert "Traceback" not in stderr and "sqlite3" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if "damaged" in line]
    assert len(lines) == 1, stderr
    assert f"The dataset {path} is damaged: run `article-curator repair {path} " in lines[0]
    assert "to copy every readable article into a new dataset." in lines[0]


def test_export_of_a_damaged_dataset_is_a_sentence(damaged: tuple[Path, dict[str, bytes]], tmp_path: Path,
                                                   isolated_home: Path) -> None:
    path, _ = damaged
    out = tmp_path / "out.jsonl"
    result = run_cli("export", str(out), "--db", str(path), home=isolated_home)
    assert result.returncode == 1
    assert_one_sentence_about_damage(result.stderr, path)
    assert not out.exists()


def test_stats_search_and_import_say_so_too(damaged: tuple[Path, dict[str, bytes]], tmp_path: Path,
                                            isolated_home: Path) -> None:
    path, _ = damaged
    before = path.read_bytes()
    stats = run_cli("stats", "--db", str(path), home=isolated_home)
    assert stats.returncode == 1
    assert_one_sentence_about_damage(stats.stderr, path)
    search = run_cli("search", "harbour", "--limit", str(ARTICLES), "--db", str(path), home=isolated_home)
    assert search.returncode == 1  # every match is read, some from the damaged pages
    assert_one_sentence_about_damage(search.stderr, path)
    text = tmp_path / "more.txt"
    text.write_text("Ferry timetable\n\nThe ferry runs every hour from May.\n", encoding="utf-8")
    imported = run_cli("import", str(text), "--db", str(path), home=isolated_home)
    assert imported.returncode == 1
    assert_one_sentence_about_damage(imported.stderr, path)
    assert "Nothing was imported." in imported.stderr
    assert path.read_bytes() == before  # nothing written into the damaged file


def test_the_sentence_names_the_backup_made_before_the_last_upgrade(damaged: tuple[Path, dict[str, bytes]],
                                                                     tmp_path: Path, isolated_home: Path) -> None:
    path, _ = damaged
    backup = path.with_name(path.name + ".before-0003.bak")
    backup.write_bytes(b"")  # where migrations.backup_sqlite puts its copy
    result = run_cli("export", str(tmp_path / "out.jsonl"), "--db", str(path), home=isolated_home)
    assert result.returncode == 1
    assert f"open the copy made before its last upgrade, {backup}, or run `article-curator repair" in result.stderr


def test_repair_saves_every_readable_article(damaged: tuple[Path, dict[str, bytes]], tmp_path: Path,
                                             isolated_home: Path) -> None:
    path, before = damaged
    dest = tmp_path / "repaired.sqlite"
    result = run_cli("repair", str(path), str(dest), home=isolated_home)
    assert result.returncode == 1, result.stdout + result.stderr  # something was lost
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Repaired {path} into {dest}: saved ")
    assert lines[1] == "Could not be saved:"

    after = exported(dest, isolated_home, tmp_path / "after.jsonl")  # the new dataset exports cleanly
    lost = set(before) - set(after)
    assert set(after) <= set(before)
    assert 0 < len(lost) <= ARTICLES // 10  # two pages hold a few articles: most are saved
    for uid, line in after.items():
        assert line == before[uid]  # text, metadata, status, spans with their attributes: all as they were
    with open_store(dest) as store:
        assert check_integrity(store) is None
        assert library.count_articles(store) == len(after)
        some = int(min(after)[3:])  # search finds the saved articles (their index is rebuilt)
        assert [r.title for r in library.search(store, f"Town{some}")] == [f"Harbour of Town{some} reopens"]
        with store.begin() as conn:
            log_rows = conn.exec_driver_sql("SELECT count(*), count(article_id) FROM import_log").one()
    assert log_rows == (ARTICLES, len(after))  # every import record; those of lost articles unlinked

    # The report lists the lost articles by id and uid, and the counts agree with what arrived.
    assert f"saved {len(after)} articles, {2 * len(after)} spans, 3 labels and {ARTICLES} import records." \
        in lines[0]
    listed = next(line for line in lines if "articles, by id (uid):" in line)
    assert listed.strip().startswith(f"{len(lost)} articles, by id (uid): ")
    for uid in lost:
        assert f"({uid})" in listed
    assert not path.with_name("damaged.repaired.sqlite").exists()  # only the name the user gave


def test_repair_names_the_articles_that_lost_spans(tmp_path: Path, isolated_home: Path) -> None:
    path, before = damage(tmp_path, isolated_home, "span", pages=1)
    dest = tmp_path / "repaired.sqlite"
    result = run_cli("repair", str(path), str(dest), home=isolated_home)
    assert result.returncode == 1, result.stdout + result.stderr
    after = exported(dest, isolated_home, tmp_path / "after.jsonl")
    assert set(after) == set(before)  # every article saved
    fewer = sorted(int(uid[3:]) + 1 for uid in after if after[uid] != before[uid])  # ids are 1-based
    assert fewer
    for uid, line in after.items():
        was, now = orjson.loads(before[uid]), orjson.loads(line)
        assert {k: v for k, v in now.items() if k != "spans"} == {k: v for k, v in was.items() if k != "spans"}
        assert all(span in was["spans"] for span in now["spans"])
    assert f"  some spans of {len(fewer)} saved articles, ids: {', '.join(map(str, fewer))}" in result.stdout


def test_repairing_a_sound_dataset_loses_nothing(tmp_path: Path, isolated_home: Path) -> None:
    source = tmp_path / "articles.jsonl"
    source.write_bytes(b"".join(orjson.dumps(native_record(i)) + b"\n" for i in range(30)))
    path, dest = tmp_path / "sound.sqlite", tmp_path / "copy.sqlite"
    assert run_cli("import", str(source), "--db", str(path), home=isolated_home).returncode == 0
    result = run_cli("repair", str(path), str(dest), home=isolated_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"Repaired {path} into {dest}: saved 30 articles, 60 spans, 3 labels and 30 import records.",
        "Nothing was lost.",
    ]
    assert exported(dest, isolated_home, tmp_path / "b.jsonl") == exported(path, isolated_home, tmp_path / "a.jsonl")


@pytest.mark.parametrize("case", ["dest exists", "no source", "same file", "not a dataset"])
def test_repair_usage_errors(case: str, tmp_path: Path, isolated_home: Path) -> None:
    src, dest = tmp_path / "src.sqlite", tmp_path / "dest.sqlite"
    if case != "no source":
        assert run_cli("stats", "--db", str(src), home=isolated_home).returncode == 0  # a new, empty dataset
    if case == "not a dataset":
        src.write_bytes(b"These are notes, not a dataset.\n" * 100)
    if case == "dest exists":
        dest.write_bytes(b"keep me")
    if case == "same file":
        dest = src
    result = run_cli("repair", str(src), str(dest), home=isolated_home)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    expected = {"dest exists": f"{dest} already exists; give the name of a new file",
                "no source": f"There is no dataset file {src}.",
                "same file": "must be a new file, not the damaged one itself",
                "not a dataset": f"{src} is not a dataset file"}[case]
    assert expected in result.stderr
    if case == "dest exists":
        assert dest.read_bytes() == b"keep me"


def test_repair_refuses_another_programs_database_with_an_article_table(tmp_path: Path, isolated_home: Path) -> None:
    """Tables named like ours but holding something else: one sentence, exit 2, no traceback, no new file."""
    foreign = tmp_path / "other.sqlite"
    conn = sqlite3.connect(foreign)
    conn.executescript("CREATE TABLE article (id INTEGER PRIMARY KEY, foo TEXT);"
                       "CREATE TABLE span (id INTEGER PRIMARY KEY, article_id INTEGER);"
                       "INSERT INTO article (foo) VALUES ('x');")
    conn.close()
    dest = tmp_path / "out.sqlite"
    result = run_cli("repair", str(foreign), str(dest), home=isolated_home)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"{foreign} is not an Article Curator dataset" in result.stderr
    assert not dest.exists()


def test_repair_keeps_each_annotators_status_the_assignment_and_review_decisions(tmp_path: Path,
                                                                                  isolated_home: Path) -> None:
    from app.core.db.store import open_store
    from app.core.ops import span_edits
    from app.core.team import assignment, review

    source = tmp_path / "articles.jsonl"
    source.write_bytes(b"".join(orjson.dumps(native_record(i)) + b"\n" for i in range(6)))
    path, dest = tmp_path / "team.sqlite", tmp_path / "copy.sqlite"
    assert run_cli("import", str(source), "--db", str(path), home=isolated_home).returncode == 0
    store = open_store(path)
    span_edits.set_status(store, [1, 2], "done", "ana")
    span_edits.set_status(store, [2], "skipped", "ben")
    assignment.assign(store, ["ana", "ben"], per_article=2, overlap=0.5, status=None, seed=1)
    review.reject(store, 1, (0, 4, "PERSON"), reviewer="rita")
    store.close()
    tables = ("article_status", "assignment", "review_rejection")

    def rows(where: Path) -> dict[str, list[tuple[object, ...]]]:
        conn = sqlite3.connect(where)
        try:
            return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}
        finally:
            conn.close()

    result = run_cli("repair", str(path), str(dest), home=isolated_home)
    assert result.returncode == 0, result.stdout + result.stderr
    before = rows(path)
    assert all(before[t] for t in tables)
    assert rows(dest) == before
