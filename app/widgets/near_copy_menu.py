"""The library's near-copy actions: show an article's near copies, compare two, copy spans over.

Comparing and copying spans load their modules when first used: the span transfer
brings near-copy signing (numpy, datasketch), which the library's start does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu, QMessageBox

from app.core.db.store import STORE_ERRORS, describe_db_error
from app.core.errors import InvalidInput
from app.core.ops.library import article_rows

if TYPE_CHECKING:
    from app.widgets.compare_view import CompareView
    from app.widgets.library_view import LibraryView


def add_near_copy_actions(menu: QMenu, view: LibraryView, ids: list[int]) -> None:
    """Add what applies to the selected ``ids``: one article in a cluster, or any two articles."""
    if len(ids) == 2:
        menu.addAction("Compare the Two…", lambda: open_compare(view, ids[0], ids[1]))
        return
    if len(ids) != 1:
        return
    row = article_rows(view.store, ids).get(ids[0])
    if row is None or row.cluster_id is None or row.near_copies < 1:
        return  # in no cluster, or in one its copies have left (deleted)
    n = row.near_copies
    menu.addAction(f"Show Its {n} Near Cop{'y' if n == 1 else 'ies'}",
                   lambda: view.show_cluster(row.cluster_id, row.title))  # type: ignore[arg-type]
    menu.addAction("Compare with Near Copy…", lambda: _compare_closest(view, row.id))
    if not view.store.read_only:  # it stores suggestions
        menu.addAction("Copy Spans from Near Copy", lambda: _copy_from_closest(view, row.id))


def open_compare(view: LibraryView, left_id: int, right_id: int) -> CompareView | None:
    from app.widgets.compare_view import CompareView

    try:
        dialog = CompareView(view.store, left_id, right_id, view)
    except LookupError as exc:
        QMessageBox.warning(view, "Compare Near Copies", str(exc))
        return None
    dialog.copy_spans_requested.connect(lambda target, source: copy_spans(view, target, source))
    dialog.setModal(False)
    dialog.show()
    return dialog


def _compare_closest(view: LibraryView, article_id: int) -> None:
    from app.core.quality.span_transfer import closest_near_copy

    other = closest_near_copy(view.store, article_id)
    if other is not None:
        open_compare(view, other, article_id)


def _copy_from_closest(view: LibraryView, article_id: int) -> None:
    from app.core.quality.span_transfer import closest_near_copy

    other = closest_near_copy(view.store, article_id)
    if other is not None:
        copy_spans(view, article_id, other)


def copy_spans(view: LibraryView, target_id: int, source_id: int) -> None:
    """Offer ``source_id``'s spans on ``target_id`` as suggestions, and say what could not be placed."""
    from app.core.quality.span_transfer import copy_spans_from

    try:
        report = copy_spans_from(view.store, target_id, source_id)
    except InvalidInput as exc:
        QMessageBox.warning(view, "Copy Spans from Near Copy", str(exc))
        return
    except STORE_ERRORS as exc:
        QMessageBox.warning(view, "Copy Spans from Near Copy",
                            f"The spans could not be offered: {describe_db_error(exc)}.")
        return
    view.gateway.publish(report.changes, view)
    box = QMessageBox(QMessageBox.Icon.Information, "Copy Spans from Near Copy", report.summary(),
                      QMessageBox.StandardButton.Ok, view)
    if report.placed:
        box.setInformativeText("Open the article to accept or reject them.")
    if report.unplaced:
        box.setDetailedText("\n".join(f"“{u.text}” ({u.label}): {u.reason}." for u in report.unplaced))
    box.exec()
