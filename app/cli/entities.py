"""The ``entities`` and ``link`` commands: the registry of people and organisations."""

from __future__ import annotations

import argparse

from app.cli import EXIT_OK, _count


def cmd_entities(store: object, args: argparse.Namespace) -> int:
    import orjson

    from app.core.entities import queries

    page, offset, shown = 1000, 0, 0
    while rows := queries.list_entities(store, kind=args.kind, offset=offset, limit=page):  # type: ignore[arg-type]
        for row in rows:
            if args.json:
                print(orjson.dumps({"id": row.id, "kind": row.kind, "name": row.name, "aliases": list(row.aliases),
                                    "external_id": row.external_id, "note": row.note, "mentions": row.mentions,
                                    "articles": row.articles}).decode())
            else:
                aliases = f"  (also {', '.join(row.aliases)})" if row.aliases else ""
                extra = f"  {row.external_id}" if row.external_id else ""
                print(f"{row.id:>6}  {row.kind:<10}{row.mentions:>8} mentions{row.articles:>7} articles  "
                      f"{row.name}{aliases}{extra}")
        offset, shown = offset + len(rows), shown + len(rows)
    if not shown and not args.json:
        print(f"No entities{f' of kind {args.kind}' if args.kind else ''} in {store.where}.")  # type: ignore[attr-defined]
    return EXIT_OK


def cmd_link(store: object, args: argparse.Namespace) -> int:
    from app.core.entities import linking

    report = linking.auto_link(store)  # type: ignore[arg-type]
    print(f"Linked {_count(report.linked, 'span')} in {_count(len(report.changes.article_ids), 'article')} "
          f"to {_count(len(report.changes.entity_ids), 'entity', 'entities')}"
          f"   Dataset: {store.where}")  # type: ignore[attr-defined]
    if report.ambiguous:
        print(f"Left unlinked, naming more than one entity: {_count(len(report.ambiguous), 'text')}")
        for (label, seen, spans), ids in report.ambiguous.items():
            print(f"  {label} “{seen}” ({_count(spans, 'span')}): entities {', '.join(map(str, ids))}")
    return EXIT_OK
