"""Long IN lists run a chunk at a time, within SQLite's limit on bound variables."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app.core.db.in_lists import CHUNK, chunked, execute_in, in_list, select_in

OLD_SQLITE_LIMIT = 999  # bound variables per statement before SQLite 3.32


@pytest.fixture
def conn():  # type: ignore[no-untyped-def]
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        # As strict as an older SQLite build, whatever this one allows.
        connection.connection.driver_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, OLD_SQLITE_LIMIT)
        connection.exec_driver_sql("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, seen INTEGER DEFAULT 0)")
        connection.execute(text("INSERT INTO item (id, name) VALUES (:i, :n)"),
                           [{"i": i, "n": f"item {i}"} for i in range(1, 3001)])
        yield connection
    engine.dispose()


def test_a_list_longer_than_the_variable_limit_is_read_in_chunks(conn) -> None:  # type: ignore[no-untyped-def]
    ids = list(range(1, 2501))
    with pytest.raises(OperationalError, match="too many SQL variables"):
        conn.execute(text(f"SELECT id FROM item WHERE id IN ({','.join(f':v{i}' for i in ids)})"),
                     {f"v{i}": i for i in ids})
    rows = select_in(conn, "SELECT id, name FROM item WHERE id IN :values AND id > :low", ids, {"low": 10})
    assert sorted(r[0] for r in rows) == list(range(11, 2501))
    names = [f"item {i}" for i in range(1, 2001)]
    assert len(select_in(conn, "SELECT id FROM item WHERE name IN :values", names)) == 2000


def test_each_value_counts_once_and_no_values_run_nothing(conn) -> None:  # type: ignore[no-untyped-def]
    twice = list(range(1, CHUNK + 2)) * 2  # a value in two chunks would be counted twice
    assert sum(n for (n,) in select_in(conn, "SELECT count(*) FROM item WHERE id IN :values", twice)) == CHUNK + 1
    assert select_in(conn, "SELECT count(*) FROM item WHERE id IN :values", []) == []
    assert list(chunked([3, 1, 2, 3])) == [[1, 2, 3]]


def test_execute_in_changes_every_listed_row(conn) -> None:  # type: ignore[no-untyped-def]
    execute_in(conn, "UPDATE item SET seen = :seen WHERE id IN :values", range(2, 3001, 2), {"seen": 1})
    assert conn.exec_driver_sql("SELECT count(*), min(id) FROM item WHERE seen = 1").one() == (1500, 2)


def test_in_list_names_its_values_and_matches_nothing_when_empty(conn) -> None:  # type: ignore[no-untyped-def]
    params: dict[str, object] = {}
    sql = f"SELECT id FROM item WHERE name IN ({in_list(params, 'n', ['item 7', 'item 9'])}) " \
          f"OR id IN ({in_list(params, 'none', [])}) ORDER BY id"
    assert conn.execute(text(sql), params).scalars().all() == [7, 9]
