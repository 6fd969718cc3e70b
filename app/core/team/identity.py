"""Who is annotating, and what they may do.

On a dataset file (SQLite) the annotator is the name in Settings and its one
user has every right. On a team server (PostgreSQL) the annotator is the
logged-in database role (``current_user``), never a name the client types: the
server decides who wrote what, and its grants and row-level security policies
(migration 0019) decide what each role may change. The role is read once per
open dataset; a connection keeps its login for its whole life.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # the gold layer's name and check are read by the command line's quick reads too
    from app.core.db.reader import Dataset
    from app.core.db.store import Store

GOLD_LAYER = "gold"  # the reviewers' layer: the adjudicated spans of an article

Role = Literal["owner", "admin", "reviewer", "annotator"]
# The group roles of a team server, most rights first (migration 0019 creates them).
GROUP_ROLES: dict[Role, str] = {"admin": "curator_admin", "reviewer": "curator_reviewer",
                                "annotator": "curator_annotator"}
ROLES = tuple(GROUP_ROLES)  # admin, reviewer, annotator

_users: weakref.WeakKeyDictionary[Store, str] = weakref.WeakKeyDictionary()
_roles: weakref.WeakKeyDictionary[Store, Role] = weakref.WeakKeyDictionary()


def current_annotator(store: Store, settings_name: str) -> str:
    """The annotator whose layer this window writes: the Settings name, or the server's login."""
    if store.is_sqlite:
        return settings_name
    user = _users.get(store)
    if user is None:
        with store.engine.connect() as conn:
            from sqlalchemy import text

            user = str(conn.execute(text("SELECT current_user")).scalar_one())
        _users[store] = user
    return user


# The owner of the dataset's tables (who ran the migrations) or a superuser has every right;
# pg_has_role also answers true for a superuser, so the owner is asked first.
_ROLE_SQL = (
    "SELECT pg_has_role(current_user, c.relowner, 'MEMBER') OR r.rolsuper, "
    + ", ".join(f"to_regrole('{group}') IS NOT NULL AND pg_has_role(current_user, '{group}', 'MEMBER')"
                for group in GROUP_ROLES.values())
    + " FROM pg_class c, pg_roles r WHERE c.oid = 'public.article'::regclass AND r.rolname = current_user"
)


def team_role(store: Store) -> Role:
    """What the current user may do: "owner" on a dataset file; on a server, by their group role.

    A login in none of the groups gets the narrowest reading ("annotator"): the
    server grants it nothing anyway.
    """
    if store.is_sqlite:
        return "owner"
    known = _roles.get(store)
    if known is not None:
        return known
    with store.engine.connect() as conn:
        from sqlalchemy import text

        owner, *members = conn.execute(text(_ROLE_SQL)).one()
    held = [name for name, member in zip(GROUP_ROLES, members, strict=True) if member]
    role: Role = "owner" if owner else (held[0] if held else "annotator")
    _roles[store] = role
    return role


def sees_every_layer(store: Store) -> bool:
    """Whether the current user reads every annotator's layer (all but an annotator on a server)."""
    return team_role(store) != "annotator"


def may_change_articles(store: Store) -> bool:
    """Whether the current user may import, delete or re-cluster articles (the owner or an admin)."""
    return team_role(store) in ("owner", "admin")


def has_gold(store: Dataset) -> bool:
    """Whether a reviewer made a gold layer (of any article)."""
    with store.reader() as reader:
        return reader.scalar("SELECT 1 FROM span WHERE annotator = :g LIMIT 1", {"g": GOLD_LAYER}) is not None
