"""``article-curator stats --json``: the figures of View ▸ Overview, for scripts."""

from __future__ import annotations

import argparse

from app.cli import EXIT_OK


def cmd_stats_json(store: object, _args: argparse.Namespace) -> int:
    import orjson

    from app.core.ops.overview import overview

    figures = overview(store).to_json()  # type: ignore[arg-type]
    print(orjson.dumps({"dataset": getattr(store, "where", ""), **figures}, option=orjson.OPT_INDENT_2).decode())
    return EXIT_OK
