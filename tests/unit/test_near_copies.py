"""Near copies: signatures stored on import, clusters kept current, the import's report, and the upgrade."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest
from sqlalchemy import text

from app.core.db import migrations
from app.core.db.store import create_store_engine, open_store
from app.core.ingest import storing
from app.core.ingest.importer import ImportOptions, import_sources
from app.core.paths import resolve_dataset
from app.core.quality import clustering
from app.core.quality import near_copies as nc
from app.core.validation import NewArticle
from benchmarks.near_copies_bench import Generator, precision_recall, stored_pairs, truth_pairs

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu"]


def story(n: int, offset: int = 0) -> str:
    return " ".join(f"{WORDS[(i * 7 + offset) % len(WORDS)]}{i}" for i in range(n)) + "."


BASE = story(200)
COPY = BASE.replace("alpha", "omega", 1) + " Subscribe to the Daily Planet for more."  # a few shingles differ
OTHER = story(200, offset=3).replace("0", "x")


def _art(body: str, title: str, key: str) -> NewArticle:
    return NewArticle(text=body, title=title, source_kind="paste", source=key)


def _clusters(store: object) -> dict[int, int | None]:
    with store.begin() as conn:  # type: ignore[attr-defined]
        return dict(conn.execute(text("SELECT article_id, cluster_id FROM article_signature")).all())


def test_shingles_ignore_case_spacing_and_punctuation():
    assert (nc.shingle_hashes("The  Mayor said, on Monday: yes.") == nc.shingle_hashes("the mayor said on monday yes")
            ).all()
    assert nc.shingle_hashes("").size == 0
    assert nc.shingle_hashes("two words").size == 1
    a, b = nc.shingle_hashes(BASE), nc.shingle_hashes(COPY)
    assert 0.8 < nc.jaccard(a, b) < 1
    assert abs(nc.estimated_jaccard(nc.signature(a), nc.signature(b)) - nc.jaccard(a, b)) < 0.12
    assert len(nc.signature(a)) == nc.NUM_PERM * 4


@pytest.mark.parametrize("body", [BASE, COPY, "two words", "", "Ünïcode wörds, ÉMOJI 🎉 and digits 12345 " * 40])
def test_signature_is_datasketchs_minhash_byte_for_byte(body):
    # Signatures stored by earlier versions (datasketch's update_batch) must compare with new ones.
    from datasketch import MinHash

    hashes = nc.shingle_hashes(body)
    mh = MinHash(num_perm=nc.NUM_PERM, seed=nc.SEED, hashfunc=lambda v: v, scheme=nc.SCHEME)
    mh.update_batch(hashes)
    assert nc.signature(hashes) == mh.hashvalues.astype("<u4").tobytes()


def test_lsh_bands_favour_recall():
    bands, rows = nc.lsh_params(0.8)
    assert bands * rows <= nc.NUM_PERM
    assert 1 - (1 - 0.8**rows) ** bands >= 0.995


def test_an_article_stored_is_signed_and_a_near_copy_joins_its_cluster(store):
    first, other = storing.store_articles(store, [_art(BASE, "Mayor wins", "a"), _art(OTHER, "Weather", "b")])
    assert first.near_copy_of is None and first.reason == ""
    assert _clusters(store) == {first.article_id: None, other.article_id: None}
    [copy] = storing.store_articles(store, [_art(COPY, "Mayor wins again", "c")])
    assert copy.outcome == "imported" and copy.near_copy_of == first.article_id
    assert copy.reason.startswith("Near copy of ‘Mayor wins’ (") and copy.reason.endswith("% similar).")
    assert _clusters(store) == {first.article_id: first.article_id, other.article_id: None,
                                copy.article_id: first.article_id}


def test_copies_within_one_batch_are_found(store):
    a, b = storing.store_articles(store, [_art(BASE, "One", "a"), _art(COPY, "Two", "b")])
    assert b.near_copy_of == a.article_id and "‘One’" in b.reason
    assert set(_clusters(store).values()) == {a.article_id}


def test_a_bridging_article_joins_two_clusters_under_the_smallest_id(store):
    left = story(120)
    right = story(120, offset=5).replace("1", "q")
    x1, x2 = storing.store_articles(store, [_art(left, "L", "1"), _art(left + " Extra words here now.", "L2", "2")])
    y1, y2 = storing.store_articles(store, [_art(right, "R", "3"), _art(right + " More words over there.", "R2", "4")])
    assert _clusters(store)[y2.article_id] == y1.article_id
    # Not similar enough to either at 0.8, but at 0.3 a text made of both halves bridges them.
    bridge = " ".join(left.split()[60:]) + " " + " ".join(right.split()[:60])
    [b] = storing.store_articles(store, [_art(bridge, "B", "5")], near_copy_threshold=0.3)
    assert b.near_copy_of is not None
    assert set(_clusters(store).values()) == {x1.article_id}


def test_the_threshold_decides(store):
    storing.store_articles(store, [_art(BASE, "One", "a")])
    [copy] = storing.store_articles(store, [_art(COPY, "Two", "b")], near_copy_threshold=0.99)
    assert copy.near_copy_of is None


def test_the_import_reports_near_copies(store, tmp_path: Path):
    path = tmp_path / "wire.jsonl"
    import orjson

    path.write_bytes(b"\n".join(orjson.dumps({"text": t, "title": title}) for t, title in
                                ((BASE, "Mayor wins"), (COPY, "Mayor wins again"), (OTHER, "Weather"))))
    report = import_sources(store, [path], ImportOptions())
    assert report.imported == 3
    [near] = report.near_copies
    assert near.title == "Mayor wins again" and near.reason.startswith("Near copy of ‘Mayor wins’")
    with store.begin() as conn:
        logged = conn.execute(text("SELECT reason FROM import_log WHERE title = 'Mayor wins again'")).scalar_one()
    assert logged == near.reason


def test_a_deleted_candidate_is_dropped(store):
    [a] = storing.store_articles(store, [_art(BASE, "One", "a")])
    with store.begin() as conn:
        conn.execute(text("DELETE FROM article WHERE id = :i"), {"i": a.article_id})
    [b] = storing.store_articles(store, [_art(COPY, "Two", "b")])
    assert b.near_copy_of is None


def test_import_and_re_cluster_agree_with_exact_jaccard(store):
    articles = Generator(seed=3).articles(25, unrelated=25)
    for i in range(0, len(articles), 16):
        storing.store_articles(store, articles[i : i + 16])
    truth = truth_pairs(articles, nc.DEFAULT_THRESHOLD)
    assert len(truth) > 20
    p, r = precision_recall(stored_pairs(store), truth)
    assert p >= 0.95 and r >= 0.95
    with store.begin() as conn:
        report = clustering.recluster(conn)
    assert report.signed == 0
    assert stored_pairs(store) == truth or min(precision_recall(stored_pairs(store), truth)) >= 0.95


GENERATED = Generator(seed=8).articles(20, unrelated=20)


@pytest.fixture
def old_dataset(db_path: Path) -> Path:
    """A dataset at 0011, before signatures: a story, its near copy, an unrelated one, then generated stories."""
    engine = create_store_engine(resolve_dataset(db_path))
    migrations.upgrade(engine, "0011")
    bodies = [BASE, OTHER, COPY, *(a.text for a in GENERATED)]
    with engine.begin() as conn:
        for i, body in enumerate(bodies, 1):
            conn.execute(text(
                "INSERT INTO article (id, uid, title, text, text_hash, source_kind, status, created_at, updated_at) "
                "VALUES (:i, :u, :ti, :t, :h, 'paste', 'new', '2026-11-30', '2026-11-30')"),
                {"i": i, "u": f"a{i}", "ti": f"T{i}", "t": body, "h": f"{i:064d}"})
    engine.dispose()
    return db_path


def _signed(store) -> int:
    with store.begin() as conn:
        return conn.execute(text("SELECT count(*) FROM article_signature")).scalar_one()


def test_the_version_before_signatures_opens_at_once_then_is_signed_and_clustered(old_dataset: Path):
    with open_store(old_dataset) as store:
        assert migrations.current_revision(store.engine) == migrations.head_revision()
        assert _signed(store) == 0  # opening signs nothing: that is background work
        report = clustering.sign_and_cluster_missing(store)
        assert report is not None and report.signed == len(GENERATED) + 3
        upgraded = _clusters(store)
        assert {k: upgraded[k] for k in (1, 2, 3)} == {1: 1, 2: None, 3: 1}
        assert len(set(upgraded.values())) > 10
        assert clustering.sign_and_cluster_missing(store) is None  # nothing left to do
        with store.begin() as conn:
            blobs = dict(conn.execute(text("SELECT article_id, signature FROM article_signature")).all())
            texts = dict(conn.execute(text("SELECT id, text FROM article")).all())
            assert all(blobs[i] == nc.signature_of(texts[i]) for i in texts)
            clustering.recluster(conn)
        assert _clusters(store) == upgraded
        [again] = storing.store_articles(store, [_art(COPY + " And one more line.", "T4", "d")])
        assert again.near_copy_of in (1, 3)


def test_an_export_right_after_the_upgrade_keeps_clusters_together(old_dataset: Path, tmp_path: Path):
    from app.core.export.exporter import ExportOptions, export_jsonl

    with open_store(old_dataset) as store:
        summary = export_jsonl(store, tmp_path / "out.jsonl", ExportOptions(split=(0.5, 0.25, 0.25)))
        clusters = _clusters(store)
    lines = (tmp_path / "out.jsonl").read_bytes().splitlines()
    split_of = {line["id"]: line["split"] for line in map(orjson.loads, lines)}
    uid_cluster = {f"a{i}": c for i, c in clusters.items() if c is not None}
    splits: dict[int, set[str]] = {}
    for uid, cluster in uid_cluster.items():
        splits.setdefault(cluster, set()).add(split_of[uid])
    assert len(splits) > 10 and all(len(s) == 1 for s in splits.values())
    assert summary.straddling_groups == 0 and sum(summary.per_split_groups.values()) < len(split_of)


def test_importing_into_the_upgraded_version_finds_near_copies_of_unsigned_articles(old_dataset: Path):
    with open_store(old_dataset) as store:
        [again] = storing.store_articles(store, [_art(COPY + " And one more line.", "T4", "d")])
        assert again.near_copy_of in (1, 3)
        assert _signed(store) == len(GENERATED) + 4


def test_the_upgrade_can_be_taken_back(old_dataset: Path):
    from alembic import command

    engine = create_store_engine(resolve_dataset(old_dataset))
    migrations.upgrade(engine)
    with engine.begin() as conn:
        config = migrations.alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, "0011")
    with engine.connect() as conn:
        tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    engine.dispose()
    assert "article_signature" not in tables


def _sharing_a_band(blobs: dict[int, bytes], query: bytes, threshold: float = 0.8) -> set[int]:
    """The LSH candidates by definition: the articles whose signatures equal the query's on all rows of a band."""
    bands, rows = nc.lsh_params(threshold)
    q = np.frombuffer(query, dtype="<u4")[: bands * rows].reshape(bands, rows)
    return {a for a, blob in blobs.items()
            if (np.frombuffer(blob, dtype="<u4")[: bands * rows].reshape(bands, rows) == q).all(axis=1).any()}


def test_the_candidates_are_those_sharing_a_band_and_the_most_alike_first():
    index = nc.CandidateIndex(0.8)
    texts = [BASE, COPY, OTHER, COPY + " One more sentence at the end.", BASE[: len(BASE) // 2]]
    blobs = {i: nc.signature_of(body) for i, body in enumerate(texts, 1)}
    for i, blob in blobs.items():
        index.add(i, blob)
    query = nc.signature_of(BASE)
    assert set(index.candidates(query)) == _sharing_a_band(blobs, query) >= {1, 2, 4}
    assert index.candidates(query, limit=1) == [1]


def test_sorted_arrays_and_the_tail_give_the_same_candidates():
    """Thousands of signatures, sorted into the arrays in batches, and a tail of the latest not yet."""
    rng = np.random.default_rng(3)
    noise = {i: rng.integers(0, 2**32, nc.NUM_PERM, dtype=np.uint32).astype("<u4").tobytes() for i in range(1, 3001)}
    story_blob = nc.signature_of(BASE)
    copies = {3000 + i: nc.signature_of(f"{COPY} Edition {i}.") for i in range(1, 5)}
    blobs = noise | {5000: story_blob} | copies
    index = nc.CandidateIndex(0.8)
    pairs = sorted(blobs.items())
    for first in range(0, len(pairs), 700):
        index.add_all(pairs[first : first + 700])
    assert len(index) == len(blobs) and index.last_id == 5000
    assert index.sorted_articles >= 2800 and len(index) - index.sorted_articles > 0  # both parts searched
    assert set(index.candidates(story_blob)) == _sharing_a_band(blobs, story_blob) >= {5000, *copies}
    for article_id in (7, 2999, 3002):
        assert set(index.candidates(blobs[article_id])) == _sharing_a_band(blobs, blobs[article_id])
    # A bucket of many: its oldest members, as many as asked for.
    same = {6000 + i: story_blob for i in range(50)}
    index.add_all(sorted(same.items()))
    assert index.candidates(story_blob, limit=8)[0] == 5000 and len(index.candidates(story_blob, limit=8)) == 8


def test_an_index_read_from_the_table_is_the_one_built_article_by_article(store, monkeypatch):
    monkeypatch.setattr(nc.CandidateIndex, "CATCH_UP_BATCH", 7)  # read in several batches
    arts = Generator(seed=4).articles(10, unrelated=10)
    outcomes = storing.store_articles(store, arts)
    built = nc.CandidateIndex(0.8)
    read = nc.CandidateIndex(0.8)
    with store.begin() as conn:
        blobs = dict(conn.execute(text("SELECT article_id, signature FROM article_signature")).all())
        read.catch_up(conn)
    for art_id, blob in blobs.items():
        built.add(art_id, blob)
    assert read.last_id == built.last_id == max(o.article_id for o in outcomes)
    for blob in blobs.values():
        assert sorted(read.candidates(blob)) == sorted(built.candidates(blob))
        assert set(read.candidates(blob)) == _sharing_a_band(blobs, blob)


def test_the_command_line_counts_and_clusters_again(store, db_path, capsys):
    from app.cli import main

    storing.store_articles(store, [_art(BASE, "One", "a"), _art(COPY, "Two", "b"), _art(OTHER, "Three", "c")])
    store.close()
    assert main(["near-copies", "--db", str(db_path)]) == 0
    assert capsys.readouterr().out.startswith("2 articles in 1 cluster of near copies (the largest has 2)")
    assert main(["near-copies", "--db", str(db_path), "--recluster", "--threshold", "0.99"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Clustered 3 articles again at 0.99: 0 pairs of near copies among ")
    assert "0 articles in 0 clusters of near copies" in printed
    assert main(["near-copies", "--db", str(db_path), "--recluster", "--threshold", "80"]) == 0  # as the settings say
    assert capsys.readouterr().out.startswith("Clustered 3 articles again at 0.8: 1 pair of near copies among ")


@pytest.mark.parametrize("threshold", ["0", "-0.5", "101", "1000", "x"])
def test_a_threshold_that_is_no_similarity_is_a_usage_error(tmp_path, threshold):
    from app.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["near-copies", "--db", str(tmp_path / "x.sqlite"), "--recluster", "--threshold", threshold])
    assert stop.value.code == 2


def test_the_command_line_signs_an_upgraded_dataset_before_counting(old_dataset: Path, capsys):
    from app.cli import main

    assert main(["near-copies", "--db", str(old_dataset)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"Signed {len(GENERATED) + 3} articles that had no signature, and clustered them.")
    assert "0 articles in 0 clusters" not in printed


def test_signing_an_upgraded_dataset_cancelled_keeps_its_batches_and_is_finished_later(old_dataset: Path,
                                                                                         monkeypatch):
    from app.core.cancel import Cancelled, CancelToken

    monkeypatch.setattr(clustering, "BATCH", 10)
    token = CancelToken()

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "clusters":
            token.cancel()  # once every article is signed

    with open_store(old_dataset) as store:
        with pytest.raises(Cancelled):
            clustering.sign_and_cluster_missing(store, progress=progress, cancel=token)
        # The batches but the last were committed one by one; the last waits for the clusters.
        assert _signed(store) == (len(GENERATED) + 3) // 10 * 10
        report = clustering.sign_and_cluster_missing(store)
        assert report is not None and report.signed == (len(GENERATED) + 3) % 10
        assert {k: _clusters(store)[k] for k in (1, 2, 3)} == {1: 1, 2: None, 3: 1}
