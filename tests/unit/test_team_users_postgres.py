"""Users of a team server (``article-curator users``) and their passwords: asked once, kept in the keyring,
never shown; on a real PostgreSQL server that asks the test's login for a password."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest
from sqlalchemy.engine import make_url

pytest.importorskip("psycopg")

SECRET = "Pat's s3cret pass"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring in a dict, so that no test reads or writes the machine's own."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.kept: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.kept.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.kept[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.kept.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    from app.core.team import credentials

    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    credentials._known.clear()
    try:
        yield ring
    finally:
        keyring.set_keyring(before)
        credentials._known.clear()
        credentials.set_password_prompt(None)


def _cli(argv: list[str], monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> tuple[int, str, str]:
    import contextlib

    from app.cli import main

    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def _as(url: str, user: str, password: str | None = None) -> str:
    return make_url(url).set(username=user, **({"password": password} if password else {})).render_as_string(
        hide_password=False)


@pytest.fixture(scope="module")
def server(pg_url: str) -> str:
    """The server with the dataset; the logins pat and pam must give a password (SCRAM), every other is trusted."""
    import psycopg

    from app.core.db.store import open_store
    from app.core.team import access

    store = open_store(pg_url)
    try:  # pam, the login of the password tests, made here: each test may run in a process of its own
        access.add_user(store, "pam", "annotator", SECRET)
    finally:
        store.close()
    conninfo = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        hba = Path(conn.execute("SHOW hba_file").fetchone()[0])  # type: ignore[index]
        hba.write_text("host all pat 127.0.0.1/32 scram-sha-256\nhost all pam 127.0.0.1/32 scram-sha-256\n"
                       + hba.read_text())
        conn.execute("SELECT pg_reload_conf()")
    return pg_url


def test_users_add_list_and_remove(server, monkeypatch):
    status, out, err = _cli(["users", "add", "pat", "--role", "annotator", "--password-stdin", "--db", server],
                            monkeypatch, stdin=SECRET + "\n")
    assert (status, err) == (0, ""), err
    assert "Added pat as annotator" in out and SECRET not in out
    assert _cli(["users", "add", "rex", "--role", "reviewer", "--password-stdin", "--db", server], monkeypatch,
                stdin="another one\n")[0] == 0
    status, out, _err = _cli(["users", "list", "--db", server], monkeypatch)
    assert status == 0
    assert [line.split() for line in out.splitlines()] == [["pam", "annotator"], ["pat", "annotator"], ["rex", "reviewer"]]
    import psycopg

    conninfo = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:  # the server holds a SCRAM hash, never the password
        [(stored,)] = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'pat'").fetchall()
    assert stored.startswith("SCRAM-SHA-256$") and SECRET not in stored
    status, _out, err = _cli(["users", "add", "eve", "--role", "admin", "--password-stdin", "--db", _as(server, "rex")],
                             monkeypatch, stdin="x\n")
    assert status == 2 and "only an admin" in err
    assert _cli(["users", "remove", "rex", "--db", server], monkeypatch)[0] == 0
    status, _out, err = _cli(["users", "remove", "postgres", "--db", server], monkeypatch)
    assert status == 2 and "kept for the server" in err


@pytest.mark.parametrize("name, why", [("gold", "the gold layer"), ("Bad-Name", "not a simple name"),
                                       ("curator_admin", "kept for the server"), ("1st", "not a simple name")])
def test_users_add_refuses_names_that_are_not_simple_or_are_kept(server, monkeypatch, name, why):
    status, _out, err = _cli(["users", "add", name, "--role", "annotator", "--password-stdin", "--db", server],
                             monkeypatch, stdin="x\n")
    assert status == 2 and why in err


def test_users_on_a_dataset_file_say_they_need_a_team_server(tmp_path, monkeypatch):
    status, _out, err = _cli(["users", "add", "ana", "--role", "annotator", "--password-stdin",
                              "--db", str(tmp_path / "one.sqlite")], monkeypatch, stdin="x\n")
    assert status == 2 and "team server" in err


def test_a_server_password_is_asked_once_then_comes_from_the_keyring(server, memory_keyring, caplog):
    from app.core.db.store import open_store
    from app.core.team import credentials, identity

    caplog.set_level(logging.DEBUG)
    asked: list[tuple[str, str]] = []
    answers = iter(["wrong", SECRET])

    def prompt(where: str, user: str) -> str | None:
        asked.append((where, user))
        return next(answers)

    credentials.set_password_prompt(prompt)
    store = open_store(_as(server, "pam"))
    try:
        assert identity.current_annotator(store, "typed") == "pam"
    finally:
        store.close()
    assert [user for _where, user in asked] == ["pam", "pam"]  # a wrong password is asked again
    assert SECRET not in asked[0][0]
    assert list(memory_keyring.kept.values()) == [SECRET]
    credentials._known.clear()  # a new process: the keyring answers, nobody is asked
    credentials.set_password_prompt(lambda *_: pytest.fail("asked although the keyring has it"))
    open_store(_as(server, "pam")).close()
    assert all(SECRET not in record.getMessage() for record in caplog.records)


def test_a_password_in_the_address_is_never_shown(server, memory_keyring, caplog):
    from app.core.db.store import StoreError, open_store
    from app.core.settings import Settings

    caplog.set_level(logging.DEBUG)
    store = open_store(_as(server, "pam", SECRET) + "?sslmode=disable")
    try:
        assert SECRET not in store.where and SECRET not in store.location
        assert "sslmode=disable" in store.location  # the TLS settings pass through
        settings = Settings()
        settings.remember_dataset(store.location)
        assert SECRET not in repr(settings)
    finally:
        store.close()
    assert memory_keyring.kept == {}  # given in the address, not kept
    with pytest.raises(StoreError) as refused:
        open_store(_as(server, "pam", "not-" + SECRET))
    with pytest.raises(StoreError) as no_tls:  # sslmode reaches the driver: this server has no TLS
        open_store(_as(server, "pam", SECRET) + "?sslmode=require")
    assert "SSL" in str(no_tls.value) or "ssl" in str(no_tls.value)
    for message in (str(refused.value), str(no_tls.value), *(r.getMessage() for r in caplog.records)):
        assert SECRET not in message


def test_the_command_line_never_prints_a_password_from_an_address(capsys):
    from app.cli import main

    first, second = "postgresql+psycopg://ana:TopSecret1@db.example.org/a", "postgresql+psycopg://ana:TopSecret1@x/b"
    with pytest.raises(SystemExit):
        main(["--db", first, "stats", "--db", second])
    err = capsys.readouterr().err
    assert "given twice" in err and "ana:***@db.example.org/a" in err and "TopSecret1" not in err
