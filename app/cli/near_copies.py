"""The ``near-copies`` command: how many articles are near copies, and clustering them all again."""

from __future__ import annotations

import argparse

from app.cli import EXIT_OK, _count


def cmd_near_copies(store: object, args: argparse.Namespace) -> int:
    from sqlalchemy import text

    from app.core.quality import clustering, near_copies
    from app.core.settings import load_settings

    if args.recluster:
        threshold = args.threshold if args.threshold is not None else load_settings().near_copy_threshold
        with store.begin() as conn:  # type: ignore[attr-defined]
            report = clustering.recluster(conn, threshold)
        near_copies.forget_index(store)  # type: ignore[arg-type]
        print(f"Clustered {_count(report.articles, 'article')} again at {threshold:g}: "
              f"{_count(report.near_pairs, 'pair')} of near copies among {report.candidate_pairs} candidates"
              + (f"; signed {_count(report.signed, 'article')} that had no signature" if report.signed else "")
              + ".")
    else:
        signed = clustering.sign_and_cluster_missing(store, load_settings().near_copy_threshold)  # type: ignore[arg-type]
        if signed is not None:
            print(f"Signed {_count(signed.signed, 'article')} that had no signature, and clustered them.")
    with store.begin() as conn:  # type: ignore[attr-defined]
        sizes = [n for (n,) in conn.execute(text(
            f"SELECT count(*) FROM {near_copies.TABLE} WHERE cluster_id IS NOT NULL GROUP BY cluster_id "
            "HAVING count(*) > 1"))]
    print(f"{_count(sum(sizes), 'article')} in {_count(len(sizes), 'cluster')} of near copies"
          + (f" (the largest has {max(sizes)})" if sizes else "")
          + f"   Dataset: {store.where}")  # type: ignore[attr-defined]
    return EXIT_OK
