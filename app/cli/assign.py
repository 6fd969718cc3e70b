"""The ``assign`` command: queue the articles for annotators, a share of them for several (agreement)."""

from __future__ import annotations

import argparse

from app.cli import EXIT_OK, EXIT_USAGE


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from app.models import ARTICLE_STATUSES

    p = sub.add_parser("assign", parents=[common], help="assign articles to annotators, some to several",
                       description="Give every article not assigned yet to one annotator, and a share of them "
                       "(--overlap) to --per-article annotators, so agreement can be measured on those. Counts "
                       "stay balanced; the same seed gives the same assignment, and articles imported later are "
                       "assigned by running it again.")
    p.add_argument("--annotators", required=True, metavar="A,B,C",
                   help="the annotators, comma-separated (on a team server: their user names)")
    p.add_argument("--per-article", type=int, default=2, metavar="N",
                   help="annotators for each shared article (default %(default)s)")
    p.add_argument("--overlap", type=float, default=0.2, metavar="SHARE",
                   help="share of the articles given to --per-article annotators, 0.2 for 20%% (default %(default)s)")
    p.add_argument("--status", choices=[*ARTICLE_STATUSES, "any"], default="new",
                   help="assign the articles with this status (default %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="the seed of the order (default %(default)s)")


def cmd_assign(store: object, args: argparse.Namespace) -> int:
    import sys

    from app.core.team import assignment
    from app.core.validation import InvalidInput

    try:
        report = assignment.assign(store, args.annotators.split(","), per_article=args.per_article,  # type: ignore[arg-type]
                                   overlap=args.overlap, status=None if args.status == "any" else args.status,
                                   seed=args.seed)
    except InvalidInput as exc:
        print(f"article-curator assign: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print("\n".join(report.lines()))
    return EXIT_OK
