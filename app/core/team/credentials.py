"""The password of a team server: asked once, kept in the platform's keyring, never written anywhere else.

A server address without a password is the normal case. When the server asks
for one, it is looked up in the keyring (``keyring``: the macOS Keychain, the
Windows Credential Locker, the Secret Service on Linux) under the server's
address and the user; when it is not there (or the server refuses it) the
person is asked, through the prompt the command line or the window sets
(``set_password_prompt``), and the password that worked is kept in the keyring
for next time. A server that needs no password (trust, a ``.pgpass`` file,
``PGPASSWORD``, a client certificate) is never asked about, and the keyring
is not touched.

An address that carries a password is accepted: ``without_password`` takes it
out at once, so the dataset's location (shown in titles, messages, logs, crash
reports and remembered in the settings) never holds it; the connections get it
from here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

log = logging.getLogger(__name__)

SERVICE = "article-curator"
# (the server as shown, without a password; the user) -> the password, or None when the person cancels.
PasswordPrompt = Callable[[str, str], "str | None"]

_prompt: PasswordPrompt | None = None
_known: dict[tuple[str, str], str] = {}  # passwords that worked (or were given in an address), this process only
_lock = threading.Lock()  # one question at a time, however many connections open at once


def set_password_prompt(prompt: PasswordPrompt | None) -> None:
    """How to ask for a password the keyring lacks (``getpass`` on the command line, a dialog in the window)."""
    global _prompt
    _prompt = prompt


def server_key(url: URL) -> tuple[str, str]:
    """The keyring's service and user name for the server ``url`` points at (its address without the password)."""
    # URL.set leaves a part it is given None for as it was: _replace drops it.
    bare = url._replace(drivername=url.get_backend_name(), password=None, username=None).difference_update_query(
        list(url.query))
    server = bare.render_as_string(hide_password=True)
    return f"{SERVICE} {server}", url.username or ""


def shown(location: str) -> str:
    """``location`` as it may be shown or logged: a database address without its password."""
    try:
        return make_url(location).render_as_string(hide_password=True)
    except ArgumentError:
        return location


def without_password(location: str) -> str:
    """A database address without its password; the password goes to this process's connections (and, once it
    worked, to the keyring) instead."""
    try:
        url = make_url(location)
    except ArgumentError:
        return location
    if url.password is None:
        return location
    _known[server_key(url)] = str(url.password)
    return url._replace(password=None).render_as_string(hide_password=False)


def attach(engine: Engine) -> None:
    """Give the connections of a server's engine the password, from memory, the keyring or the person."""
    if engine.dialect.name != "sqlite":
        event.listen(engine, "do_connect", _connect)


def _connect(dialect: Any, _record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> Any:
    if cparams.get("password"):
        return None  # given some other way: SQLAlchemy connects as usual
    key = server_key(URL.create(dialect.name, username=cparams.get("user"), host=cparams.get("host"),
                                port=cparams.get("port"), database=cparams.get("dbname")))
    known = _known.get(key)
    if known is not None:
        try:
            return dialect.connect(*cargs, **cparams, password=known)
        except dialect.loaded_dbapi.OperationalError as exc:
            if not _password_refused(exc):
                raise
            _known.pop(key, None)
    try:
        return dialect.connect(*cargs, **cparams)
    except dialect.loaded_dbapi.OperationalError as exc:
        if not _password_refused(exc):
            raise
        return _connect_with_password(dialect, cargs, cparams, key, exc)


def _password_refused(exc: BaseException) -> bool:
    """Whether the server wants a (another) password: libpq's "no password supplied" or "authentication failed"."""
    message = str(exc).lower()
    return "no password supplied" in message or "password authentication failed" in message


def _connect_with_password(dialect: Any, cargs: tuple[Any, ...], cparams: dict[str, Any], key: tuple[str, str],
                           refused: BaseException) -> Any:
    with _lock:
        if key in _known:  # another connection asked meanwhile
            return dialect.connect(*cargs, **cparams, password=_known[key])
        def attempt(password: str, keep: bool) -> Any:
            """The connection the password opens, or the server's refusal of it."""
            try:
                return _worked(key, dialect.connect(*cargs, **cparams, password=password), password, keep=keep)
            except dialect.loaded_dbapi.OperationalError as exc:
                if not _password_refused(exc):
                    raise
                return exc

        stored = _stored(key)
        answer = attempt(stored, keep=False) if stored is not None else refused
        for _asked in range(3):
            if not isinstance(answer, BaseException):
                return answer
            password = _prompt(key[0].removeprefix(f"{SERVICE} "), key[1]) if _prompt is not None else None
            if password is None:
                raise answer
            answer = attempt(password, keep=True)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def _worked(key: tuple[str, str], conn: Any, password: str, *, keep: bool) -> Any:
    _known[key] = password
    if keep:
        _keep(key, password)
    return conn


def _stored(key: tuple[str, str]) -> str | None:
    try:
        import keyring

        return keyring.get_password(*key)
    except Exception as exc:  # noqa: BLE001 - no keyring on this machine (or a locked one): ask instead
        log.info("No password from the keyring for %s (%s).", key[0], type(exc).__name__)
        return None


def _keep(key: tuple[str, str], password: str) -> None:
    try:
        import keyring

        keyring.set_password(*key, password)
    except Exception as exc:  # noqa: BLE001 - without a keyring the password is asked again next time
        log.warning("The password for %s could not be kept in the keyring (%s); it will be asked again.",
                    key[0], type(exc).__name__)


def forget(location: str) -> None:
    """Drop the password of ``location``'s server and user from memory and the keyring."""
    key = server_key(make_url(location))
    _known.pop(key, None)
    try:
        import keyring

        keyring.delete_password(*key)
    except Exception as exc:  # noqa: BLE001 - nothing kept, or no keyring
        log.info("Nothing to forget in the keyring for %s (%s).", key[0], type(exc).__name__)
