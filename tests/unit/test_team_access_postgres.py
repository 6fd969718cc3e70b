"""What each role may read and change on a team server, enforced by PostgreSQL itself (migration 0019).

Every rule is tried with plain SQL through a plain connection as that role (what
a modified client or ``psql`` would send), the forbidden cases too, and the
app's own core calls are run as an annotator. The test server trusts every
local connection, so a connection as a login needs no password.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

psycopg = pytest.importorskip("psycopg")

ARTICLES = (
    ("a1", "Hugo Touvron stays at Meta. He said Llama remains central."),
    ("a2", "Mistral, founded by Guillaume Lample, raised money in Paris."),
    ("a3", "Sam Altman left OpenAI, then came back a week later."),
)


def _conninfo(pg_url: str, user: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(pg_url).set(username=user, drivername="postgresql")
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def team(pg_url: str) -> Iterator[str]:
    """A dataset on the server with an admin, a reviewer and two annotators; ana is assigned article 1,
    ben articles 1 and 2, and each has labelled article 1."""
    from app.core.db.store import open_store
    from app.core.ingest.storing import store_articles
    from app.core.ops import span_edits
    from app.core.team import access
    from app.core.validation import NewArticle

    store = open_store(pg_url)
    try:
        store_articles(store, [NewArticle(uid=uid, text=body, title=uid, source_kind="paste")
                               for uid, body in ARTICLES])
        for name, role in (("adam", "admin"), ("rita", "reviewer"), ("ana", "annotator"), ("ben", "annotator")):
            access.add_user(store, name, role, f"{name}-secret")
        with store.begin() as conn:
            conn.exec_driver_sql("INSERT INTO assignment (article_id, annotator, created_at) VALUES "
                                 "(1, 'ana', now()), (1, 'ben', now()), (2, 'ben', now())")
            conn.exec_driver_sql("INSERT INTO article_source (article_id, compression, data) "
                                 "VALUES (1, 'zlib', '\\x00'), (3, 'zlib', '\\x00')")
        span_edits.add_span(store, 1, 0, 12, "PERSON", annotator="ana")
        span_edits.add_span(store, 1, 0, 12, "PERSON", annotator="ben")
        span_edits.add_span(store, 1, 22, 26, "ORG", annotator="gold")
    finally:
        store.close()
    yield pg_url


def _sql(team: str, user: str, statement: str, params: tuple[Any, ...] = ()) -> Any:
    """Run one statement as ``user`` and commit: its rows for a query, else how many rows it changed."""
    with psycopg.connect(_conninfo(team, user), autocommit=True) as conn:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description is not None else cur.rowcount


def _denied(team: str, user: str, statement: str, params: tuple[Any, ...] = ()) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _sql(team, user, statement, params)


def _span(annotator: str, article: int = 1, start: int = 28, end: int = 30) -> tuple[str, tuple[Any, ...]]:
    return ('INSERT INTO span (article_id, start, "end", label_id, text, annotator, origin, attributes, '
            "created_at, updated_at) SELECT %s, %s, %s, id, %s, %s, 'manual', '{}', now(), now() FROM label "
            "WHERE name = 'PERSON'", (article, start, end, ARTICLES[article - 1][1][start:end], annotator))


def _owner(team: str, statement: str, params: tuple[Any, ...] = ()) -> Any:
    return _sql(team, "postgres", statement, params)


def test_an_annotator_reads_only_their_assigned_articles_and_their_own_layer(team):
    assert _sql(team, "ana", "SELECT id FROM article ORDER BY id") == [(1,)]
    assert _sql(team, "ben", "SELECT id FROM article ORDER BY id") == [(1,), (2,)]
    assert _sql(team, "ana", "SELECT article_id FROM article_source") == [(1,)]
    assert _sql(team, "ana", "SELECT DISTINCT article_id FROM article_signature") in ([(1,)], [])
    assert _sql(team, "ana", "SELECT DISTINCT annotator FROM span") == [("ana",)]
    assert _sql(team, "ana", "SELECT annotator FROM assignment") == [("ana",)]
    assert _sql(team, "ana", "SELECT count(*) FROM label")[0][0] >= 3  # labels are read by everyone
    _denied(team, "ana", "SELECT * FROM article_span_json")  # a cache of every layer


def test_an_annotator_writes_their_own_layer_only(team):
    statement, params = _span("ana")
    assert _sql(team, "ana", statement, params) == 1
    assert _sql(team, "ana", "UPDATE span SET attributes = '{\"note\": \"x\"}' WHERE annotator = 'ana' "
                              "AND start = 28") == 1
    assert _sql(team, "ana", "DELETE FROM span WHERE annotator = 'ana' AND start = 28") == 1
    for other in ("ben", "gold"):  # another's layer, the gold layer
        _denied(team, "ana", *_span(other))
    _denied(team, "ana", *_span("ana", article=3))  # an article not assigned to her
    # Another's spans are invisible, so an update or delete of them changes nothing.
    assert _sql(team, "ana", "UPDATE span SET start = 1 WHERE annotator = 'ben'") == 0
    assert _sql(team, "ana", "DELETE FROM span") == 1  # her own one span only
    assert _owner(team, "SELECT annotator, count(*) FROM span GROUP BY annotator ORDER BY 1") == [
        ("ben", 1), ("gold", 1)]
    _sql(team, "ana", *_span("ana", start=0, end=12))
    # Her span cannot be handed to another layer.
    _denied(team, "ana", "UPDATE span SET annotator = 'ben' WHERE annotator = 'ana'")
    _denied(team, "ana", "UPDATE span SET article_id = 3 WHERE annotator = 'ana'")  # nor into another article


def test_an_annotator_may_not_change_labels_assignment_or_articles(team):
    _denied(team, "ana", "UPDATE label SET color = '#000000'")
    _denied(team, "ana", "INSERT INTO label (name, kind, color, description, position) "
                         "VALUES ('X', 'entity', '#000000', '', 9)")
    _denied(team, "ana", "DELETE FROM label WHERE name = 'ORG'")
    _denied(team, "ana", "INSERT INTO assignment (article_id, annotator, created_at) VALUES (3, 'ana', now())")
    _denied(team, "ana", "DELETE FROM assignment")
    _denied(team, "ana", "UPDATE article SET status = 'done'")
    _denied(team, "ana", "UPDATE article SET title = 'mine'")
    _denied(team, "ana", "DELETE FROM article")
    _denied(team, "ana", "INSERT INTO import_log (batch, source, outcome, reason, created_at) "
                         "VALUES ('b', 's', 'failed', '', now())")
    _denied(team, "ana", "UPDATE entity SET name = 'x'")
    _denied(team, "ana", "CREATE ROLE mallory LOGIN")
    assert _owner(team, "SELECT count(*) FROM assignment")[0][0] == 3


def test_an_annotator_keeps_their_own_statuses_and_rejections(team):
    upsert = ("INSERT INTO article_status (article_id, annotator, status, updated_at) VALUES (%s, %s, 'done', "
              "now()) ON CONFLICT (article_id, annotator) DO UPDATE SET status = excluded.status")
    assert _sql(team, "ana", upsert, (1, "ana")) == 1
    _denied(team, "ana", upsert, (1, "ben"))
    _denied(team, "ana", upsert, (3, "ana"))  # not assigned
    _owner(team, upsert, (2, "ben"))
    assert _sql(team, "ana", "SELECT annotator FROM article_status") == [("ana",)]
    assert _sql(team, "ana", "UPDATE article_status SET status = 'new' WHERE annotator = 'ben'") == 0
    reject = ('INSERT INTO suggestion_rejection (article_id, start, "end", label_id, text, annotator, created_at) '
              "SELECT 1, 0, 4, id, 'Hugo', %s, now() FROM label WHERE name = 'ORG'")
    assert _sql(team, "ana", reject, ("ana",)) == 1
    _denied(team, "ana", reject, ("ben",))


def test_a_reviewer_reads_everything_and_writes_gold_and_the_review_status(team):
    assert _sql(team, "rita", "SELECT count(*) FROM article")[0][0] == 3
    assert {r[0] for r in _sql(team, "rita", "SELECT annotator FROM span")} >= {"ana", "ben", "gold"}
    assert _sql(team, "rita", *_span("gold")) == 1
    assert _sql(team, "rita", *_span("rita")) == 1
    _denied(team, "rita", *_span("ana", start=31, end=35))
    assert _sql(team, "rita", "UPDATE span SET start = 1 WHERE annotator = 'ana'") == 0
    assert _sql(team, "rita", "DELETE FROM span WHERE annotator IN ('ana', 'ben')") == 0
    assert _sql(team, "rita", "DELETE FROM span WHERE annotator IN ('gold', 'rita') AND start = 28") == 2
    assert _sql(team, "rita", "UPDATE article SET status = 'done', updated_at = now() WHERE id = 1") == 1
    _denied(team, "rita", "UPDATE article SET title = 'x'")
    _denied(team, "rita", "DELETE FROM article WHERE id = 3")
    _denied(team, "rita", "UPDATE label SET color = '#000000'")
    _denied(team, "rita", "INSERT INTO assignment (article_id, annotator, created_at) VALUES (3, 'ana', now())")
    _denied(team, "rita", "DELETE FROM assignment")
    _denied(team, "rita", "CREATE ROLE mallory LOGIN")
    assert _sql(team, "rita", "SELECT count(*) FROM assignment")[0][0] == 3
    _sql(team, "rita", "UPDATE article SET status = 'new' WHERE id = 1")


def test_an_admin_changes_labels_assignment_articles_and_every_layer(team):
    assert _sql(team, "adam", "UPDATE label SET description = 'People' WHERE name = 'PERSON'") == 1
    assert _sql(team, "adam", "INSERT INTO assignment (article_id, annotator, created_at) "
                              "VALUES (3, 'ana', now())") == 1
    assert _sql(team, "ana", "SELECT id FROM article ORDER BY id") == [(1,), (3,)]  # assignment shows at once
    assert _sql(team, "adam", *_span("ben", article=2, start=0, end=7)) == 1
    assert _sql(team, "adam", "DELETE FROM span WHERE article_id = 2") == 1
    assert _sql(team, "adam", "DELETE FROM assignment WHERE article_id = 3") == 1
    assert _sql(team, "adam", "INSERT INTO import_log (batch, source, outcome, reason, created_at) "
                              "VALUES ('b', 's', 'failed', '', now())") == 1


def _as(team: str, user: str):  # type: ignore[no-untyped-def]
    from sqlalchemy.engine import make_url

    from app.core.db.store import open_store

    return open_store(make_url(team).set(username=user).render_as_string(hide_password=False))


def test_the_apps_own_edits_work_as_an_annotator(team, tmp_path):
    from app.core.export.exporter import ExportOptions, export_jsonl
    from app.core.ops import library, span_edits
    from app.core.team import identity

    store = _as(team, "ana")
    try:
        assert identity.team_role(store) == "annotator"
        assert identity.current_annotator(store, "typed name") == "ana"
        status_before = _owner(team, "SELECT status FROM article WHERE id = 1")
        added = span_edits.add_span(store, 1, 28, 30, "PERSON", annotator="ana")
        span_id = added.span_id
        assert span_id is not None
        assert span_edits.read_statuses(store, [1]) == {1: "done"}  # her own, marked earlier
        change = span_edits.set_status(store, [1], "skipped", "ana")
        assert change.before == {"status": {1: "done"}}
        span_edits.restore_statuses(store, change.before["status"], "ana")  # undo
        assert span_edits.read_statuses(store, [1]) == {1: "done"}
        removed = span_edits.remove_span(store, span_id)
        span_edits.add_span(store, 1, 28, 30, "PERSON", annotator="ana", span_id=span_edits.reserve_span_ids(
            store, 1)[0])  # undo of the removal, under a fresh id from the sequence
        assert removed.before["annotator"] == "ana"
        assert _owner(team, "SELECT status FROM article WHERE id = 1") == status_before  # the reviewers'
        [row] = library.article_rows(store, [1, 2, 3]).values()
        assert (row.id, row.status, row.finished) == (1, "done", None)
        assert library.get_article(store, 1).status == "done"  # type: ignore[union-attr]
        # The library filters and counts by her own status too, not the review status ("new").
        assert library.list_article_ids(store, library.ArticleFilter(statuses=("done",))) == [1]
        assert library.list_article_ids(store, library.ArticleFilter(statuses=("new",)), sort="status") == []
        assert library.status_counts(store) == {"done": 1}
        out = tmp_path / "ana.jsonl"
        export_jsonl(store, out, ExportOptions())
        [line] = [orjson.loads(x) for x in out.read_bytes().splitlines()]
        assert {s["annotator"] for s in line["spans"]} == {"ana"}
    finally:
        store.close()


def test_a_reviewer_sees_every_layer_and_how_many_finished(team, tmp_path):
    from app.core.export.exporter import ExportOptions, export_jsonl
    from app.core.ops import library, span_edits
    from app.core.team import identity

    store = _as(team, "rita")
    try:
        assert identity.team_role(store) == "reviewer"
        rows = library.article_rows(store, [1, 2, 3])
        assert {i: (r.status, r.finished) for i, r in rows.items()} == {
            1: ("new", 1), 2: ("new", 1), 3: ("new", 0)}
        span_edits.add_span(store, 1, 28, 30, "PERSON", annotator=identity.GOLD_LAYER)
        span_edits.set_status(store, [1], "done", identity.current_annotator(store, ""))
        out = tmp_path / "all.jsonl"
        export_jsonl(store, out, ExportOptions(all_layers=True))
        layers = {s["annotator"] for x in out.read_bytes().splitlines() for s in orjson.loads(x)["spans"]}
        assert layers == {"ana", "ben", "gold"}
    finally:
        store.close()
    assert _owner(team, "SELECT status FROM article WHERE id = 1") == [("done",)]


def test_the_owner_and_a_dataset_file_have_every_right(team, tmp_path):
    from app.core.db.store import open_store
    from app.core.team import identity

    for location in (team, str(tmp_path / "one.sqlite")):
        store = open_store(location)
        try:
            assert identity.team_role(store) == "owner"
        finally:
            store.close()


def test_the_windows_edits_are_written_as_the_login_not_the_typed_name(team, qapp):
    from app.widgets.article_table_model import _status
    from app.widgets.edits import EditGateway

    store = _as(team, "ben")
    failures: list[str] = []
    try:
        gateway = EditGateway(store, "someone else")
        gateway.edit_failed.connect(failures.append)
        assert gateway.annotator == "ben"
        span = "SELECT annotator FROM span WHERE article_id = 2 AND start = 0"
        own = "SELECT status FROM article_status WHERE article_id = 2 AND annotator = 'ben'"
        gateway.add_span(2, 0, 7, "ORG")
        assert gateway.wait_until_saved(10)
        [(started,)] = _owner(team, own)
        assert started in ("in_progress", "done")  # labelling started it, unless he had finished it
        gateway.set_status([2], "skipped")
        assert gateway.wait_until_saved(10)
        assert _owner(team, span) == [("ben",)]
        assert _owner(team, own) == [("skipped",)]
        gateway.undo_stack.undo()
        gateway.undo_stack.undo()
        assert gateway.wait_until_saved(10)
        assert _owner(team, span) == []
        assert _owner(team, own) == [(started,)]
        assert _owner(team, "SELECT status FROM article WHERE id = 2") == [("new",)]  # the reviewers' own
        assert failures == []
        gateway.close(10)
    finally:
        store.close()
    from app.core.ops.library import ArticleRow

    row = ArticleRow(id=1, uid="a1", title="t", site_name=None, published=None, status="done", url=None,
                     updated_at=None, finished=2)  # type: ignore[arg-type]
    assert _status(row) == "Done · 2 finished"


def test_an_annotator_creates_entities_and_takes_back_only_unlinked_ones(team):
    from app.core.entities import registry

    store = _as(team, "ana")
    try:
        made = registry.create_entity(store, "PERSON", "Hugo Touvron", aliases=["H. Touvron"])
        [entity_id] = made.entity_ids
        registry.delete_entity(store, entity_id)  # the undo of creating it
        assert _owner(team, "SELECT count(*) FROM entity WHERE id = %s", (entity_id,)) == [(0,)]
        [used] = registry.create_entity(store, "PERSON", "Guillaume Lample").entity_ids
    finally:
        store.close()
    _owner(team, "UPDATE span SET entity_id = %s WHERE annotator = 'ben'", (used,))
    assert _sql(team, "ana", "DELETE FROM entity WHERE id = %s", (used,)) == 0  # ben's span links to it
    _denied(team, "ana", "UPDATE entity SET name = 'Someone else'")
    assert _sql(team, "rita", "UPDATE entity SET note = 'checked' WHERE id = %s", (used,)) == 1


def test_the_access_rules_go_away_with_a_downgrade_and_come_back(team):
    from alembic import command
    from sqlalchemy import create_engine

    from app.core.db import migrations

    _sql(team, "postgres", "CREATE DATABASE downgraded")
    engine = create_engine(team.rsplit("/", 1)[0] + "/downgraded")
    try:
        migrations.upgrade(engine)  # the group roles exist already: made by the first dataset on the server
        cfg = migrations.alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0015")
        policies = "SELECT count(*) FROM pg_policies"
        with engine.connect() as conn:
            assert conn.exec_driver_sql(policies).scalar_one() == 0
        migrations.upgrade(engine)
        with engine.connect() as conn:
            assert conn.exec_driver_sql(policies).scalar_one() > 0
    finally:
        engine.dispose()


def test_an_admins_login_manages_users_and_a_reviewers_may_not(team):
    from sqlalchemy.exc import ProgrammingError

    from app.core.team import access

    store = _as(team, "adam")
    try:
        access.add_user(store, "cho", "annotator", "cho-secret")
        assert ("cho", "annotator") in {(u.name, u.role) for u in access.list_users(store)}
        access.remove_user(store, "cho")
        assert "cho" not in {u.name for u in access.list_users(store)}
    finally:
        store.close()
    store = _as(team, "rita")
    try:
        with pytest.raises(ProgrammingError, match="permission denied"):
            access.add_user(store, "cho", "admin", "cho-secret")
        with pytest.raises(ProgrammingError, match="permission denied"):
            access.remove_user(store, "ana")
    finally:
        store.close()
