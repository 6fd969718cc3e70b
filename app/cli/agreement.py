"""``article-curator agreement``: how far the annotators' layers agree, as tables or JSON."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the agreement core loads when the command runs, not with every command line
    from app.core.team.agreement import AgreementReport, PairAgreement

LOWEST = 10  # articles listed under "lowest agreement"


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("agreement", parents=[common], help="agreement between annotators (F1, kappa, alpha)",
                       description="For every pair of annotators, on the articles both marked done: strict span F1 "
                       "(same start, end and label), relaxed span F1 (overlapping, same label) and Cohen's kappa "
                       "over tokens (in or out of a span of the label), per label and overall; Krippendorff's "
                       "alpha across all annotators; and the articles with the lowest agreement. The gold layer "
                       "is left out unless --gold is given.")
    p.add_argument("--label", action="append", default=[], help="only this label (repeatable)")
    p.add_argument("--annotators", metavar="A,B,...", help="only these annotators, separated by commas")
    p.add_argument("--gold", action="store_true", help="count the gold layer as an annotator")
    p.add_argument("--json", action="store_true", help="every figure as one JSON object")


def cmd_agreement(store: object, args: argparse.Namespace) -> int:
    from app.core.team.agreement import AgreementOptions, compute

    names = tuple(n.strip() for n in (args.annotators or "").split(",") if n.strip())
    options = AgreementOptions(labels=tuple(args.label), annotators=names, include_gold=args.gold)
    report = compute(store, options)  # type: ignore[arg-type]
    if args.json:
        import json

        json.dump(report.to_json(LOWEST), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    for line in describe(report, getattr(store, "where", "")):
        print(line)
    return 0


def _shown(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _table(pairs: list[PairAgreement], label: str) -> list[str]:
    from app.core.team.agreement import MEASURES

    width = max((len(f"{p.a} – {p.b}") for p in pairs), default=4)
    header = f"  {'Pair':<{width}}  {'Shared':>6}" + "".join(f"  {title:>13}" for title in MEASURES.values())
    rows = [f"  {p.a + ' – ' + p.b:<{width}}  {p.shared:>6}"
            + "".join(f"  {_shown(p.figure(m, label)):>13}" for m in MEASURES) for p in pairs]
    return [header, *rows]


def describe(report: AgreementReport, where: str = "") -> list[str]:
    """The report as the terminal shows it."""
    from app.core.team.agreement import OVERALL

    lines = [f"Agreement on the articles both annotators of a pair marked done{' (' + where + ')' if where else ''}"]
    done = ", ".join(f"{who or '(no name)'} {n}" for who, n in report.finished.items())
    lines.append(f"Articles done per annotator: {done or 'none'}")
    if not report.pairs:
        lines.append("No two annotators to compare: agreement needs two annotators who marked articles done.")
        return lines
    lines += ["", "All labels" if len(report.labels) != 1 else f"Label {report.labels[0]}",
              *_table(report.pairs, OVERALL)]
    if len(report.labels) > 1:
        for label in report.labels:
            lines += ["", f"Label {label}", *_table(report.pairs, label)]
    alpha = "   ".join(f"{label} {_shown(report.alpha.get(label))}" for label in report.labels)
    lines += ["", f"Krippendorff's alpha (tokens of the {report.alpha_articles} articles done by two or more "
                  f"annotators): overall {_shown(report.alpha.get(OVERALL))}" + (f"   {alpha}" if alpha else "")]
    lowest = [art for art in report.lowest("strict_f1", LOWEST) if art.figures["strict_f1"] < 1]
    if lowest:
        lines += ["", "Lowest agreement (strict F1, relaxed F1, kappa; mean over the article's pairs):"]
        lines += [f"  {art.uid}  {art.figures['strict_f1']:.2f}  {art.figures['relaxed_f1']:.2f}  "
                  f"{art.figures['kappa']:.2f}  {', '.join(art.annotators)}  {art.title or '(untitled)'}"
                  for art in lowest]
    return lines
