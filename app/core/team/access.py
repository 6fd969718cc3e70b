"""The users of a team server: login roles in one of the group roles of migration 0019.

``add_user`` creates a PostgreSQL LOGIN role that is a member of
``curator_annotator``, ``curator_reviewer`` or ``curator_admin``; the server's
grants and row-level security then decide what that login may read and change.
A login's name is the annotator name its spans carry, so it must be a simple
identifier (no quoting, the same name everywhere) and never the gold layer's.
The password goes to the server already hashed (SCRAM), so it is in no
statement a server log could keep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text

from app.core.db.store import Store
from app.core.team.identity import GOLD_LAYER, GROUP_ROLES, ROLES

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# Names PostgreSQL keeps for itself, and the groups: never made into logins here.
_RESERVED = {GOLD_LAYER, "public", "postgres", "none", "current_user", "session_user", "user", "current_role",
             *GROUP_ROLES.values()}


class AccessError(Exception):
    """A user cannot be added, listed or removed; ``str()`` is a sentence for the user."""


@dataclass(frozen=True)
class TeamUser:
    name: str
    role: str  # admin, reviewer or annotator
    can_login: bool


def check_name(name: str) -> str:
    if name in _RESERVED or name.startswith("pg_"):
        raise AccessError(f"“{name}” cannot be a user's name: it is kept for "
                          f"{'the gold layer' if name == GOLD_LAYER else 'the server'}. Choose another.")
    if not _NAME.fullmatch(name):
        raise AccessError(f"“{name}” is not a simple name: use lower-case letters, digits and _ (starting with "
                          "a letter or _), at most 63 characters.")
    return name


def _team_server(store: Store) -> None:
    if store.is_sqlite:
        raise AccessError(f"{store.where} is a dataset file, which has one user (the annotator name in Settings). "
                          "Users are added on a team server: a PostgreSQL database (--db postgresql+psycopg://…).")


def _group(role: str) -> str:
    if role not in GROUP_ROLES:
        raise AccessError(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")
    return GROUP_ROLES[role]


def add_user(store: Store, name: str, role: str, password: str) -> None:
    """Create the login ``name`` with ``password``, a member of ``role``'s group (an admin may add users)."""
    _team_server(store)
    check_name(name)
    group = _group(role)
    if not password or "\x00" in password:
        raise AccessError("The password is empty or holds a NUL character; choose another.")
    with store.begin() as conn:
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first():
            raise AccessError(f"There is already a user (or role) called {name} on this server.")
        pgconn = conn.connection.dbapi_connection.pgconn  # type: ignore[union-attr]
        hashed = pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256").decode()
        # CREATEROLE is an attribute, not inherited from the group: an admin's login needs it of its own.
        create_role = " CREATEROLE" if role == "admin" else ""
        conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN{create_role} PASSWORD '{hashed}'")
        conn.exec_driver_sql(f"GRANT {group} TO {name}")


_MEMBERS_SQL = (
    "SELECT m.rolname, g.rolname, m.rolcanlogin FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.member "
    "JOIN pg_roles g ON g.oid = am.roleid WHERE g.rolname IN ('curator_admin', 'curator_reviewer', "
    "'curator_annotator') ORDER BY m.rolname"
)


def list_users(store: Store) -> list[TeamUser]:
    """Every member of the groups, with their strongest role (admin before reviewer before annotator)."""
    _team_server(store)
    roles_by_group = {group: role for role, group in GROUP_ROLES.items()}
    found: dict[str, TeamUser] = {}
    with store.begin() as conn:
        for member, group, can_login in conn.execute(text(_MEMBERS_SQL)):
            role = roles_by_group[group]
            held = found.get(member)
            if held is None or ROLES.index(role) < ROLES.index(held.role):
                found[member] = TeamUser(member, role, bool(can_login))
    return list(found.values())


def remove_user(store: Store, name: str) -> None:
    """Drop the login ``name``; its spans and statuses stay, under its name. Only members of the groups."""
    _team_server(store)
    check_name(name)
    if name not in {user.name for user in list_users(store)}:
        raise AccessError(f"{name} is not a user of this team server (see article-curator users list).")
    with store.begin() as conn:
        conn.exec_driver_sql(f"DROP ROLE {name}")
