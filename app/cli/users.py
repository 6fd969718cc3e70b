"""The ``users`` command: the logins of a team server and their roles (``add NAME --role R``, ``list``, ``remove``)."""

from __future__ import annotations

import argparse
import sys

from app.cli import EXIT_OK, EXIT_USAGE


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from app.core.team.identity import ROLES

    p = sub.add_parser("users", help="add, list or remove the users of a team server (PostgreSQL)",
                       description="Logins of a team server and their roles: an annotator reads the articles "
                       "assigned to them and writes their own layer; a reviewer reads every layer and writes the "
                       "gold layer; an admin changes labels, assignment and imports, and manages users.")
    actions = p.add_subparsers(dest="users_action", metavar="ACTION", required=True, parser_class=type(p))
    add = actions.add_parser("add", parents=[common], help="create a login in one of the roles")
    add.add_argument("name", help="the login, also the annotator name on its spans (lower-case letters, digits, _)")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--password-stdin", action="store_true",
                     help="read the new user's password from the first line of standard input (for scripts)")
    actions.add_parser("list", parents=[common], help="the logins and their roles")
    remove = actions.add_parser("remove", parents=[common], help="drop a login (their spans stay, under their name)")
    remove.add_argument("name")


def ask_password(server: str, user: str) -> str | None:
    """The command line's way to ask for a server password the keyring lacks."""
    try:
        import getpass

        return getpass.getpass(f"Password for {user or 'you'} on {server}: ") or None
    except (EOFError, KeyboardInterrupt):
        return None


def _new_password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n") or None
    import getpass

    first = getpass.getpass(f"Password for the new user {args.name}: ")
    if first != getpass.getpass("The same password again: "):
        print("article-curator users: the two passwords differ; no user was added.", file=sys.stderr)
        return None
    return first or None


def cmd_users(store: object, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from app.core.team import access

    try:
        if args.users_action == "list":
            users = access.list_users(store)  # type: ignore[arg-type]
            for user in users:
                print(f"{user.name:<32} {user.role}{'' if user.can_login else '  (cannot log in)'}")
            if not users:
                print(f"No users on {store.where} yet: add one with article-curator users add NAME --role annotator")  # type: ignore[attr-defined]
            return EXIT_OK
        if args.users_action == "remove":
            access.remove_user(store, args.name)  # type: ignore[arg-type]
            print(f"Removed the user {args.name}; their spans and statuses stay, under their name.")
            return EXIT_OK
        access.check_name(args.name)
        access.list_users(store)  # type: ignore[arg-type]  # says so on a dataset file, before asking a password
        password = _new_password(args)
        if password is None:
            print("article-curator users: no password was given; no user was added.", file=sys.stderr)
            return EXIT_USAGE
        access.add_user(store, args.name, args.role, password)  # type: ignore[arg-type]
        print(f"Added {args.name} as {args.role} on {store.where}.")  # type: ignore[attr-defined]
        return EXIT_OK
    except access.AccessError as exc:
        print(f"article-curator users: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DBAPIError as exc:
        if "permission denied" not in str(exc.orig):
            raise
        print(f"article-curator users: only an admin (or the owner of the database) may add or remove users on "
              f"{store.where}.", file=sys.stderr)  # type: ignore[attr-defined]
        return EXIT_USAGE
