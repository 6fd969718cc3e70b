"""A cancelled import reports every item it did not finish as "cancelled", in the report and the log."""

from __future__ import annotations

import threading
from pathlib import Path

from app.core.cancel import CancelToken
from app.core.ingest import import_log
from app.core.ingest.fetch_options import FetchOptions
from app.core.ingest.importer import ImportOptions, import_sources
from app.core.ops import library

OPTIONS = ImportOptions(fetch=FetchOptions(timeout=60.0), workers=1)


def test_items_not_finished_at_the_cancel_are_cancelled_and_can_be_retried(store, http_server, tmp_path: Path,
                                                                          sample_text: str) -> None:
    text_file = tmp_path / "llama.txt"
    text_file.write_text(sample_text, encoding="utf-8")
    hanging = [http_server.url("/hang") + f"?n={i}" for i in range(3)]
    token = CancelToken()
    # Cancel once the text file is stored and the three downloads hang.
    threading.Timer(1.5, token.cancel).start()
    report = import_sources(store, [str(text_file), *hanging], OPTIONS, cancel=token)

    assert report.cancelled
    outcomes = {o.source: o for o in report.outcomes}
    assert outcomes[str(text_file)].outcome == "imported"
    assert [(outcomes[u].outcome, "retry" in outcomes[u].reason) for u in hanging] == [("cancelled", True)] * 3
    assert len(report.outcomes) == 4  # every item has exactly one outcome
    assert library.count_articles(store) == 1

    # The import log has them, counted apart from failures, and Retry takes exactly them.
    [batch] = import_log.recent_batches(store)
    assert (batch.total, batch.imported, batch.failed, batch.cancelled) == (4, 1, 0, 3)
    assert [i.outcome for i in import_log.batch_items(store, report.batch)].count("cancelled") == 3
    assert import_log.failed_sources(store, report.batch) == hanging


def test_a_feed_cancelled_before_it_is_read_is_cancelled_itself(store, http_server) -> None:
    token = CancelToken()
    token.cancel()
    feed = http_server.url("/feed.xml")
    report = import_sources(store, [feed], OPTIONS, cancel=token)
    assert [(o.source, o.outcome) for o in report.outcomes] == [(feed, "cancelled")]
