"""Every edit the GUI makes goes through ``EditGateway``: one undo stack, one signal.

Each user action becomes a ``QUndoCommand`` whose redo()/undo() call the core's
edit functions (``app.core.annotations``), which commit at once. Views refresh
from ``changes_applied``, never from each other. A save that fails (disk full,
locked dataset) is reported through ``edit_failed`` and the command is dropped
from the stack, so the screen never shows an edit that is not stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.core import annotations, span_json
from app.core.annotations import Change
from app.core.store import STORE_ERRORS, Store, describe_db_error
from app.core.validation import InvalidInput
from app.widgets.tasks import run_task

log = logging.getLogger(__name__)


class _SpanHandle:
    """The current id of one span, shared by every command that edits it."""

    __slots__ = ("id",)

    def __init__(self, span_id: int) -> None:
        self.id = span_id


class _Command(QUndoCommand):
    def __init__(self, gateway: EditGateway, text: str, do: Callable[[], Change],
                 undo: Callable[[Change], Change]) -> None:
        super().__init__(text)
        self.gateway = gateway
        self._do = do
        self._undo = undo
        self.change: Change | None = None
        self.error: str | None = None

    def redo(self) -> None:
        try:
            self.change = self._do()
        except (InvalidInput, *STORE_ERRORS) as exc:
            self.error = self.gateway.describe(exc)
            self.setObsolete(True)  # the stack drops it: it never shows as done
            self.gateway.edit_failed.emit(self.error)
            return
        self.gateway.changes_applied.emit(self.change)

    def undo(self) -> None:
        assert self.change is not None
        try:
            reverse = self._undo(self.change)
        except (InvalidInput, *STORE_ERRORS) as exc:
            self.gateway.edit_failed.emit(f"Could not undo: {self.gateway.describe(exc)}")
            # The stack now believes the edit undone while it is still stored; start the
            # history afresh (after this call returns) rather than offer a redo that fails.
            QTimer.singleShot(0, self.gateway.undo_stack.clear)
            return
        self.gateway.changes_applied.emit(reverse)


class EditGateway(QObject):
    changes_applied = Signal(object)  # Change
    edit_failed = Signal(str)

    def __init__(self, store: Store, annotator: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.annotator = annotator
        self.undo_stack = QUndoStack(self)
        # Undoing a delete (or redoing an add) stores the span again under a new
        # id. Commands hold a handle per span whose id follows the span, and the
        # registry maps only live ids to handles, so a reused id never aliases.
        self._handles: dict[int, _SpanHandle] = {}

        # Span edits drop the export's ready-made span list of their article; it is
        # rebuilt off the GUI thread once the annotator pauses (see app.core.annotations).
        self.export_lists_delay_ms = 2000
        self._edited_articles: set[int] = set()
        self._export_lists_timer = QTimer(self)
        self._export_lists_timer.setSingleShot(True)
        self._export_lists_timer.timeout.connect(self._rebuild_export_lists)
        self.changes_applied.connect(self._note_span_change)

    def _note_span_change(self, change: Change) -> None:
        if change.kind.startswith(("span_", "spans_")):
            self._edited_articles.update(change.article_ids)
            self._export_lists_timer.start(self.export_lists_delay_ms)

    def rebuild_export_lists_now(self) -> None:
        """Start the pending rebuild at once (the window is closing: no later pause will come)."""
        if self._export_lists_timer.isActive():
            self._export_lists_timer.stop()
            self._rebuild_export_lists()

    def _rebuild_export_lists(self) -> None:
        ids, self._edited_articles = sorted(self._edited_articles), set()
        store = self.store
        run_task(lambda: span_json.refresh_articles(store, ids),
                 on_error=lambda exc: log.warning("Export span lists of %d articles not rebuilt: %s", len(ids), exc))

    def handle(self, span_id: int) -> _SpanHandle:
        return self._handles.setdefault(span_id, _SpanHandle(span_id))

    def _stored(self, handle: _SpanHandle, span_id: int) -> None:
        handle.id = span_id
        self._handles[span_id] = handle

    def _removed(self, handle: _SpanHandle) -> None:
        self._handles.pop(handle.id, None)

    @staticmethod
    def describe(exc: BaseException) -> str:
        if isinstance(exc, InvalidInput):
            return str(exc)
        why = describe_db_error(exc)
        return f"The edit was not saved: {why}. Try again once that is resolved."

    def _push(self, text: str, do: Callable[[], Change], undo: Callable[[Change], Change]) -> Change | None:
        if self.store.read_only:
            return None  # the window already says, once, that the dataset cannot be edited
        command = _Command(self, text, do, undo)
        self.undo_stack.push(command)  # push() calls redo(), which reports a failure
        if command.error is not None:
            return None
        return command.change

    # -- span edits -------------------------------------------------------------
    def add_span(self, article_id: int, start: int, end: int, label: str,
                 attributes: dict[str, Any] | None = None) -> Change | None:
        handle = _SpanHandle(0)

        def do() -> Change:
            change = annotations.add_span(self.store, article_id, start, end, label, annotator=self.annotator,
                                          attributes=attributes)
            self._stored(handle, change.span_id or 0)
            return change

        def undo(_: Change) -> Change:
            change = annotations.remove_span(self.store, handle.id)
            self._removed(handle)
            return change

        return self._push(f"Add {label} span", do, undo)

    def remove_span(self, span_id: int, label: str) -> Change | None:
        handle = self.handle(span_id)

        def do() -> Change:
            change = annotations.remove_span(self.store, handle.id)
            self._removed(handle)
            return change

        def undo(change: Change) -> Change:
            b = change.before
            again = annotations.add_span(self.store, b["article_id"], b["start"], b["end"], b["label"],
                                         annotator=b["annotator"], origin=b["origin"], attributes=b["attributes"])
            self._stored(handle, again.span_id or 0)
            return again

        return self._push(f"Delete {label} span", do, undo)

    def add_spans(self, article_id: int, ranges: list[tuple[int, int]], label: str, what: str,
                  attributes: dict[str, Any] | None = None) -> Change | None:
        """Label many ranges at once (Alt+A): one core call, one undo step, one ``changes_applied``."""
        handles: dict[tuple[int, int], _SpanHandle] = {}

        def do() -> Change:
            change = annotations.add_spans(self.store, article_id, ranges, label, annotator=self.annotator,
                                           attributes=attributes)
            for span_id, state in zip(change.span_ids, change.after["spans"], strict=True):
                self._stored(handles.setdefault((state["start"], state["end"]), _SpanHandle(0)), span_id)
            return change

        def undo(change: Change) -> Change:
            spans = [handles[(state["start"], state["end"])] for state in change.after["spans"]]
            reverse = annotations.remove_spans(self.store, [handle.id for handle in spans])
            for handle in spans:
                self._removed(handle)
            return reverse

        return self._push(what, do, undo)

    def relabel_span(self, span_id: int, old_label: str, new_label: str) -> Change | None:
        handle = self.handle(span_id)
        return self._push(
            f"Change {old_label} span to {new_label}",
            lambda: annotations.update_span(self.store, handle.id, label=new_label),
            lambda c: annotations.update_span(self.store, handle.id, label=c.before["label"]),
        )

    def set_attributes(self, span_id: int, attributes: dict[str, Any], what: str = "claim details") -> Change | None:
        handle = self.handle(span_id)
        return self._push(
            f"Edit {what}",
            lambda: annotations.update_span(self.store, handle.id, attributes=attributes),
            lambda c: annotations.update_span(self.store, handle.id, attributes=c.before["attributes"]),
        )

    def set_status(self, article_ids: list[int], status: str) -> Change | None:
        shown = status.replace("_", " ")
        what = f"Mark {len(article_ids)} articles {shown}" if len(article_ids) > 1 else f"Mark article {shown}"
        return self._push(
            what,
            lambda: annotations.set_status(self.store, article_ids, status),
            lambda c: annotations.restore_statuses(self.store, c.before["status"]),
        )

    def delete_articles(self, article_ids: list[int]) -> Change | None:
        """Not undoable (the caller asks first); clears the stack since its edits may refer to them."""
        if self.store.read_only:
            return None
        try:
            change = annotations.delete_articles(self.store, article_ids)
        except STORE_ERRORS as exc:
            self.edit_failed.emit(self.describe(exc))
            return None
        self.undo_stack.clear()
        self._handles.clear()
        self.changes_applied.emit(change)
        return change
