"""Every change the GUI makes goes through ``EditGateway``: one undo stack, one writer, one signal.

The signal is ``changes_applied(changes, initiator)``: ``changes`` is the
``Changes`` record of an operation (app.core.changes), ``initiator`` the object
that asked for it (a widget, or None for undo, redo and the gateway itself), so
a view can skip what it already shows. Each record is emitted twice: once
applied (``changes.saved`` False), as soon as the change is shown, and once
saved (True), when the dataset holds it. Views that draw the change itself
(the annotation panel) act on the first; views that read the dataset again
(the library's counts, the window's status bar) on the second.

Each span or status edit becomes a ``QUndoCommand``. Its redo()/undo() *plan*
the edit on the GUI thread: they work out the ``Changes`` it makes (from what
the gateway already knows, or a quick read, which never waits for another
writer) and emit it applied at once, so the views show it in the same key
press. The write itself goes to the ``EditWriter``, one thread that stores the
edits in the order they were made, usually within milliseconds; the saved
emission follows when it is stored. Operations stored before they are
announced (label and settings changes, imports, deletions) go through
``run``/``publish``, which emit both at once.

A span gets its id when the edit is planned: on SQLite (one window per
dataset) ids the window picks count down from below the lowest one in the
dataset (negative), so they never meet the ids SQLite gives to spans other
processes store (one above the highest); on PostgreSQL, where several windows
share a dataset, they come from the table's own sequence.

A write that fails (a locked or full disk) fails every edit made after it too:
they were made on top of it. The gateway takes them off the undo stack (or, if
the history no longer allows that, clears it), tells the views to show what
the dataset holds again (a ``ChangeKind.ROLLED_BACK`` record) and says why in ``edit_failed``.
So the screen and the history never keep an edit that is not stored.

A new kind of edit is one more pair of plans given to ``_push(text, do,
undo)``: ``do()`` returns the ``Changes`` and the write that stores it (a
function of a ``Store``, run on the writer's thread); ``undo(change)`` the
same for taking it back. Several spans in one command are one write (one
transaction), so they are stored, or taken back, together.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.core.changes import ChangeKind, Changes
from app.core.db import span_json
from app.core.db.edit_writer import EditWriter, Write
from app.core.db.store import STORE_ERRORS, Store, describe_db_error
from app.core.errors import InvalidInput
from app.core.ops import span_edits, span_rules
from app.core.settings import Settings
from app.core.suggest import service as suggest_service
from app.core.team import identity, review
from app.widgets.claim_edits import ClaimantEdits
from app.widgets.status_edits import StatusEdits
from app.widgets.tasks import run_task

log = logging.getLogger(__name__)

Planned = tuple[Changes, Write]  # what an edit changes, and the write that stores it
# What refuses an edit: the core's validation, or the dataset.
_REFUSED: tuple[type[BaseException], ...] = (InvalidInput, *STORE_ERRORS)


class _SpanHandle:
    """The current id of one span, shared by every command that edits it."""

    __slots__ = ("id",)

    def __init__(self, span_id: int) -> None:
        self.id = span_id


@dataclass(eq=False)
class _Unsaved:
    """One step of the undo stack whose write is queued: a command done (redo) or undone."""

    command: _Command
    step: str  # "redo" or "undo"
    change: Changes
    initiator: object | None


class _Command(QUndoCommand):
    def __init__(self, gateway: EditGateway, text: str, do: Callable[[], Planned],
                 undo: Callable[[Changes], Planned], initiator: object | None = None) -> None:
        super().__init__(text)
        self.initiator = initiator  # who made the edit; its undo and redo come from the stack (None)
        self.gateway = gateway
        self._do = do
        self._undo = undo
        self.change: Changes | None = None
        self.error: str | None = None

    def redo(self) -> None:
        if self.gateway.rolling_back:
            return  # the edit is still stored: the stack only shows it done again
        try:
            self.change, write = self._do()
        except _REFUSED as exc:
            self.error = self.gateway.describe(exc)
            self.setObsolete(True)  # the stack drops it: it never shows as done
            self.gateway.edit_failed.emit(self.error)
            return
        self.gateway.apply(self, "redo", self.change, write)

    def undo(self) -> None:
        if self.gateway.rolling_back:
            return
        assert self.change is not None
        try:
            reverse, write = self._undo(self.change)
        except _REFUSED as exc:
            self.gateway.edit_failed.emit(self.gateway.describe(exc, undoing=True))
            # The stack now believes the edit undone while it is still stored; start the
            # history afresh (after this call returns) rather than offer a redo that fails.
            stack = self.gateway.undo_stack
            QTimer.singleShot(0, stack, stack.clear)  # with the stack as context: never after it is gone
            return
        self.gateway.apply(self, "undo", reverse, write)


class EditGateway(ClaimantEdits, StatusEdits, QObject):
    changes_applied = Signal(object, object)  # Changes (applied, then saved), the initiator or None
    edit_failed = Signal(str)
    _written = Signal(object, object)  # _Unsaved, the error or None; from the writer's thread

    def __init__(self, store: Store, annotator: str | Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._annotator = annotator  # the window's settings: who annotates follows a change in Settings
        self.layer: str | None = None  # the gold layer while review mode is on
        self.undo_stack = QUndoStack(self)
        self.writer = EditWriter(store)
        self.rolling_back = False
        self.failed_writes = 0  # writes that failed since the window opened (closing asks about new ones)
        self.last_failure = ""  # what the last failed write said
        self._written.connect(self._on_written)
        self._unsaved: list[_Unsaved] = []
        self._generation = 0
        # What the gateway has planned, ahead of the dataset: the state of each span it
        # edited (None once removed) and each article's status. The window is the only
        # writer of existing spans and statuses (one window per dataset), so this is exact.
        self._spans: dict[int, dict[str, Any] | None] = {}
        self._init_statuses()
        self._texts: dict[int, str] = {}  # article texts never change
        self._next_id: int | None = None
        # Undoing a delete (or redoing an add) stores the span again under a new
        # id. Commands hold a handle per span whose id follows the span, and the
        # registry maps only live ids to handles, so a reused id never aliases.
        self._handles: dict[int, _SpanHandle] = {}

        # Span edits drop the export's ready-made span list of their article; it is
        # rebuilt off the GUI thread once the annotator pauses (see app.core.ops.span_edits).
        self.export_lists_delay_ms = 2000
        self._edited_articles: set[int] = set()
        self._export_lists_timer = QTimer(self)
        self._export_lists_timer.setSingleShot(True)
        self._export_lists_timer.timeout.connect(self._rebuild_export_lists)
        self.changes_applied.connect(self._note_span_change)

    @property
    def annotator(self) -> str:
        """The layer edits go to: the gold layer in review mode (``layer``), else the annotator's own."""
        return self.layer or self.own_name

    @property
    def own_name(self) -> str:
        """Whose layer this window writes: the name in Settings, or on a team server the login (the server,
        not a typed name, says who wrote what)."""
        name = self._annotator.annotator if isinstance(self._annotator, Settings) else self._annotator
        return identity.current_annotator(self.store, name)

    # -- the writer ---------------------------------------------------------------------
    def apply(self, command: _Command, step: str, change: Changes, write: Write) -> None:
        """Show a planned edit at once and queue its write."""
        unsaved = _Unsaved(command, step, change, command.initiator)
        command.initiator = None
        self._unsaved.append(unsaved)
        self.writer.submit(write, lambda error: self._written.emit(unsaved, error), self._generation)
        self.changes_applied.emit(change, unsaved.initiator)

    def run(self, operation: Callable[[Store], Changes], initiator: object | None = None) -> Changes:
        """Run a core operation that stores its change at once (labels), then announce it; refusals propagate."""
        changes = operation(self.store)
        self.publish(changes, initiator)
        return changes

    def publish(self, changes: Changes, initiator: object | None = None) -> None:
        """Announce a change already made, in the dataset or in the settings in use: applied, then saved.

        Settings the file could not hold are still in use for the session, so they are announced too.
        """
        if changes.empty:
            return
        self.changes_applied.emit(replace(changes, saved=False), initiator)
        self.changes_applied.emit(replace(changes, saved=True), initiator)

    def unsaved_article_ids(self) -> set[int]:
        return {i for u in self._unsaved for i in u.change.article_ids}

    def wait_until_saved(self, timeout_s: float | None = None) -> bool:
        """Block until every queued write is stored (or failed) and its signal delivered."""
        done = self.writer.wait_until_idle(timeout_s)
        QCoreApplication.sendPostedEvents(self)
        return done

    def close(self, timeout_s: float | None = None) -> bool:
        """Store what is queued, then stop the writer (the window is closing).

        Also stops the export-list timer here, on the GUI thread: a gateway held in
        a reference cycle may be freed later by Python's cycle collector on any
        thread, and a QTimer destroyed off its own thread stays registered and fires
        into freed memory.
        """
        done = self.wait_until_saved(timeout_s)
        self.writer.close(timeout_s)
        self._export_lists_timer.stop()
        # Commands refer back to the gateway: delete them now, while the stack and they are alive.
        # Left to Python's cycle collector, a command's Python half can go before the stack's
        # destructor deletes its C++ half, which then calls into freed memory.
        self.undo_stack.clear()
        self._unsaved.clear()
        self._handles.clear()
        return done

    def _on_written(self, unsaved: _Unsaved, error: BaseException | None) -> None:
        if unsaved not in self._unsaved:
            return  # already rolled back with an earlier failure
        at = self._unsaved.index(unsaved)
        if error is None:
            del self._unsaved[at]
            self._forget_removed(unsaved.change)
            self.changes_applied.emit(replace(unsaved.change, saved=True), unsaved.initiator)
            return
        # This write failed and the writer dropped every one queued after it.
        self.failed_writes += 1
        failed, self._unsaved = self._unsaved[at:], self._unsaved[:at]
        self._generation += 1
        self._spans.clear()
        self._forget_statuses()
        self._unwind(failed)
        ids = tuple(sorted({i for u in failed for i in u.change.article_ids}))
        self.publish(Changes.of(ChangeKind.ROLLED_BACK, article_ids=ids))
        self.last_failure = self.describe(error, undoing=unsaved.step == "undo")
        self.edit_failed.emit(self.last_failure)

    def _unwind(self, failed: list[_Unsaved]) -> None:
        """Take the failed steps back off the undo stack, newest first, without writing anything."""
        stack = self.undo_stack
        self.rolling_back = True
        try:
            for unsaved in reversed(failed):
                command, index = unsaved.command, stack.index()
                if unsaved.step == "redo" and index > 0 and stack.command(index - 1) is command:
                    command.setObsolete(True)  # undo() then deletes it from the stack
                    stack.undo()
                elif unsaved.step == "undo" and index < stack.count() and stack.command(index) is command:
                    stack.redo()  # its undo was not stored: it is still done
                else:  # inside a macro, or history since replaced: it cannot be told apart any more
                    stack.clear()
                    return
        finally:
            self.rolling_back = False

    # -- export lists ----------------------------------------------------------------------
    def _note_span_change(self, change: Changes) -> None:
        if change.has(ChangeKind.CHANGED_ELSEWHERE) and not change.saved:
            # Someone else changed these articles: what this window knew of them is read again, but for those
            # with edits of its own still on their way (their spans and statuses are what the queue says).
            unsaved = self.unsaved_article_ids()
            gone = set(change.article_ids) - unsaved
            self._forget_statuses(tuple(gone))
            self._spans = {i: st for i, st in self._spans.items() if st is None or st["article_id"] not in gone}
        if change.saved and change.touches_spans():
            self._edited_articles.update(change.article_ids)
            self._export_lists_timer.start(self.export_lists_delay_ms)

    def rebuild_export_lists_now(self) -> None:
        """Start the pending rebuild at once (the window is closing: no later pause will come)."""
        self.wait_until_saved()
        if self._export_lists_timer.isActive():
            self._export_lists_timer.stop()
            self._rebuild_export_lists()

    def _rebuild_export_lists(self) -> None:
        ids, self._edited_articles = sorted(self._edited_articles), set()
        store = self.store
        run_task(lambda: span_json.refresh_articles(store, ids),
                 on_error=lambda exc: log.warning("Export span lists of %d articles not rebuilt: %s", len(ids), exc))

    # -- span handles and what the gateway knows ahead of the dataset ------------------------
    def handle(self, span_id: int) -> _SpanHandle:
        return self._handles.setdefault(span_id, _SpanHandle(span_id))

    def _stored(self, handle: _SpanHandle, span_id: int) -> None:
        handle.id = span_id
        self._handles[span_id] = handle

    def _forget_removed(self, change: Changes) -> None:
        """A removal is stored: its ids name no span any more, so no later edit finds a handle by them.

        Only now, not when the removal is planned: if its write fails, the span is
        still stored under that id and the commands that edit it must still find it.
        """
        if change.has(ChangeKind.SPAN_REMOVED, ChangeKind.SPANS_REMOVED):
            for span_id in change.span_ids:
                self._handles.pop(span_id, None)

    def _new_span_ids(self, count: int) -> list[int]:
        if not self.store.is_sqlite:  # a server: other windows add spans too (see reserve_span_ids)
            return span_edits.reserve_span_ids(self.store, count)
        if self._next_id is None:
            self._next_id = min(span_edits.lowest_span_id(self.store), 0) - 1
        ids = list(range(self._next_id, self._next_id - count, -1))
        self._next_id -= count
        return ids

    def _span_state(self, span_id: int) -> dict[str, Any]:
        if span_id not in self._spans:
            return span_edits.read_span(self.store, span_id)
        state = self._spans[span_id]
        if state is None:
            raise InvalidInput(f"Span {span_id} no longer exists.")
        return state

    def _bulk_states(self, article_id: int, span_ids: list[int]) -> list[dict[str, Any]]:
        """The states of many spans of one article. As stored when none of the article's edits is queued:
        the gateway knows its own edits, not the links another window or the command line made since."""
        if article_id in self.unsaved_article_ids():
            return [self._span_state(span_id) for span_id in span_ids]
        stored = span_edits.read_spans(self.store, span_ids)
        gone = [i for i in span_ids if i not in stored or self._spans.get(i, stored[i]) is None]
        if gone:
            raise InvalidInput(f"{len(gone)} of the {len(span_ids)} spans no longer exist.")
        self._spans.update(stored)
        return [stored[span_id] for span_id in span_ids]

    def _article_text(self, article_id: int) -> str:
        if article_id not in self._texts:
            if len(self._texts) > 16:
                self._texts.clear()
            self._texts[article_id] = span_edits.read_article_text(self.store, article_id)
        return self._texts[article_id]

    @staticmethod
    def describe(exc: BaseException, *, undoing: bool = False) -> str:
        if isinstance(exc, InvalidInput):
            return f"Could not undo: {exc}" if undoing else str(exc)
        why = describe_db_error(exc)
        if undoing:
            return f"Could not undo: {why}, so the edit is still stored. Try again once that is resolved."
        return f"The edit was not saved: {why}. Try again once that is resolved."

    def _push(self, text: str, do: Callable[[], Planned], undo: Callable[[Changes], Planned],
              initiator: object | None = None) -> Changes | None:
        if self.store.read_only:
            return None  # the window already says, once, that the dataset cannot be edited
        command = _Command(self, text, do, undo, initiator)
        self.undo_stack.push(command)  # push() calls redo(), which reports a refusal
        if command.error is not None:
            return None
        return command.change

    # -- planning span edits -----------------------------------------------------------------
    def _plan_add(self, handle: _SpanHandle, state: dict[str, Any]) -> Planned:
        self._refuse_duplicate(state)
        [span_id] = self._new_span_ids(1)
        self._stored(handle, span_id)
        self._spans[span_id] = state
        self._touch(state["article_id"])
        s = state

        def write(store: Store) -> object:
            return span_edits.add_span(store, s["article_id"], s["start"], s["end"], s["label"],
                                        annotator=s["annotator"], origin=s["origin"], attributes=s["attributes"],
                                        span_id=span_id, entity_id=s.get("entity_id"),
                                        claimant_id=s.get("claimant_id"))

        return Changes.edit(ChangeKind.SPAN_ADDED, (s["article_id"],), span_id, after=state), write

    def _refuse_duplicate(self, state: dict[str, Any]) -> None:
        """Refuse at once a span the dataset holds, or will once the queued writes are stored."""
        if span_rules.is_repeat(state, span_edits.find_span(self.store, state), self._spans):
            raise InvalidInput(span_edits.already_labelled(state["text"], state["label"]))

    def _plan_remove(self, handle: _SpanHandle) -> Planned:
        span_id = handle.id
        before = self._span_state(span_id)
        self._spans[span_id] = None
        self._touch(before["article_id"])
        return (Changes.edit(ChangeKind.SPAN_REMOVED, (before["article_id"],), span_id, before=before),
                lambda store: span_edits.remove_span(store, span_id))

    def _plan_update(self, handle: _SpanHandle, *, label: str | None = None,
                     attributes: dict[str, Any] | None = None, entity_id: int | None = None,
                     claimant_id: Any = span_edits.KEEP) -> Planned:
        """A new label unlinks the span, or links it to ``entity_id`` (an undone relabel), as ``update_span``."""
        span_id = handle.id
        before = self._span_state(span_id)
        after = dict(before)
        if label is not None and label != before["label"]:
            after["label"], after["entity_id"] = label, entity_id
            self._refuse_duplicate(after)
        if attributes is not None:
            after["attributes"] = dict(attributes)
        if claimant_id is not span_edits.KEEP:
            after["claimant_id"] = claimant_id
        self._spans[span_id] = after
        self._touch(before["article_id"])
        return (Changes.edit(ChangeKind.SPAN_CHANGED, (before["article_id"],), span_id, before=before, after=after),
                lambda store: span_edits.update_span(store, span_id, label=label, attributes=attributes,
                                                      entity_id=entity_id, claimant_id=claimant_id))

    # -- span edits -------------------------------------------------------------
    def add_span(self, article_id: int, start: int, end: int, label: str,
                 attributes: dict[str, Any] | None = None, *, origin: str = "manual") -> Changes | None:
        handle = _SpanHandle(0)
        annotator = self.annotator

        def do() -> Planned:
            state = span_edits.new_span(self._article_text(article_id), article_id, start, end, label,
                                         annotator=annotator, origin=origin, attributes=attributes)
            return self._plan_add(handle, state)

        return self._push(f"Add {label} span", do, lambda _: self._plan_remove(handle))

    def remove_span(self, span_id: int, label: str) -> Changes | None:
        handle = self.handle(span_id)
        return self._push(f"Delete {label} span", lambda: self._plan_remove(handle),
                          lambda change: self._plan_add(handle, change.before))

    def add_spans(self, article_id: int, ranges: list[tuple[int, int]], label: str, what: str,
                  attributes: dict[str, Any] | None = None, *, origin: str = "manual") -> Changes | None:
        """Label many ranges at once (Alt+A): one undo step, one ``changes_applied``, one write."""
        handles: list[_SpanHandle] = []  # one per span, in text order; filled when first done
        removed: list[dict[str, Any]] = []  # the spans as the last undo took them away
        annotator = self.annotator

        def do() -> Planned:
            states = span_edits.new_spans(self._article_text(article_id), article_id, ranges, label,
                                           annotator=annotator, origin=origin, attributes=attributes)
            if not handles:
                handles.extend(_SpanHandle(0) for _ in states)
            # A redo puts back what the undo removed, with each span's entity and claimant links and its
            # attributes (set meanwhile, by another window or the command line), as an undone removal of one
            # span does.
            for state, old in zip(states, removed, strict=False):
                state.update(entity_id=old.get("entity_id"), claimant_id=old.get("claimant_id"),
                             attributes=dict(old["attributes"]))
            again = bool(removed)
            entity_ids = [state["entity_id"] for state in states] if again else None
            claimant_ids = [state["claimant_id"] for state in states] if again else None
            each_attributes = [state["attributes"] for state in states] if again else None
            ids = self._new_span_ids(len(states))
            for handle, state, span_id in zip(handles, states, ids, strict=True):
                self._stored(handle, span_id)
                self._spans[span_id] = state
            self._touch(article_id)
            spans = [(state["start"], state["end"]) for state in states]
            return (Changes.edit(ChangeKind.SPANS_ADDED, (article_id,), span_ids=tuple(ids), after={"spans": states}),
                    lambda store: span_edits.add_spans(store, article_id, spans, label, annotator=annotator,
                                                        origin=origin, attributes=attributes, span_ids=ids,
                                                        entity_ids=entity_ids, claimant_ids=claimant_ids,
                                                        each_attributes=each_attributes))

        def undo(_change: Changes) -> Planned:
            ids = [handle.id for handle in handles]
            before = self._bulk_states(article_id, ids)
            removed[:] = before
            for handle in handles:
                self._spans[handle.id] = None
            self._touch(article_id)
            return (Changes.edit(ChangeKind.SPANS_REMOVED, (article_id,), span_ids=ids, before={"spans": before}),
                    lambda store: span_edits.remove_spans(store, ids))

        return self._push(what, do, undo)

    def relabel_span(self, span_id: int, old_label: str, new_label: str) -> Changes | None:
        handle = self.handle(span_id)
        return self._push(
            f"Change {old_label} span to {new_label}",
            lambda: self._plan_update(handle, label=new_label),
            lambda c: self._plan_update(handle, label=c.before["label"], entity_id=c.before.get("entity_id")),
        )

    def set_attributes(self, span_id: int, attributes: dict[str, Any], what: str = "claim details") -> Changes | None:
        handle = self.handle(span_id)
        return self._push(
            f"Edit {what}",
            lambda: self._plan_update(handle, attributes=attributes),
            lambda c: self._plan_update(handle, attributes=c.before["attributes"]),
        )

    # -- edits stored at once (the entity registry) ---------------------------------------------
    def push_stored(self, text: str, do: Callable[[Store], Changes], undo: Callable[[Store], Changes],
                    initiator: object | None = None) -> Changes | None:
        """An undoable edit whose operations store their change before returning it (entity edits).

        Their records name entities the dataset numbers, so they cannot be planned
        ahead: each step waits for the queued span writes (it may name a span just
        added), runs on the GUI thread and forgets what the gateway knew of the
        spans it names; its saved record follows the writes queued before it. A
        refusal is reported as for span edits.
        """
        def step(operation: Callable[[Store], Changes]) -> Planned:
            # Only the writer is waited for here: its results are delivered once the stack is done with this step.
            self.writer.wait_until_idle()
            if self.writer.has_failed(self._generation):  # those edits are about to be taken back: not this one
                raise InvalidInput("An earlier edit was not saved, so this one was not made either.")
            change = operation(self.store)
            for span_id in change.span_ids:
                self._spans.pop(span_id, None)
            return change, lambda _store: None

        self.wait_until_saved()
        return self._push(text, lambda: step(do), lambda _change: step(undo), initiator)

    # -- suggestions -----------------------------------------------------------------------------
    def reject_suggestion(self, article_id: int, start: int, end: int, label: str) -> Changes | None:
        """Turn a suggested span down for this article: not offered there again; undo takes it back."""
        annotator = self.annotator
        record = suggest_service.rejection_changes
        states: list[dict[str, Any]] = []

        def plan() -> Planned:  # inside the command: an article gone meanwhile is a refused edit
            if not states:
                states.append(suggest_service.rejection_state(
                    article_id, start, end, label, self._article_text(article_id)[start:end], annotator))
            return record(states[0], after=states[0]), lambda store: suggest_service.reject_suggestion(
                store, article_id, start, end, label, annotator=annotator)

        # Undo takes back this annotator's rejection only, never another's of the same suggestion.
        return self._push(
            f"Reject {label} suggestion",
            plan,
            lambda _: (record(states[0], before=states[0]), lambda store: suggest_service.unreject_suggestion(
                store, article_id, start, end, label, annotator=annotator)),
        )

    def reject_for_gold(self, article_id: int, key: tuple[int, int, str]) -> Changes | None:
        """Turn an annotator's span down for the gold layer (review); undo offers it again."""
        reviewer = self.own_name
        return self._push(
            f"Reject {key[2]} span for the gold layer",
            lambda: (review.rejection_changes(article_id, key, rejected_now=True),
                     lambda store: review.reject(store, article_id, key, reviewer=reviewer)),
            lambda _: (review.rejection_changes(article_id, key, rejected_now=False),
                       lambda store: review.unreject(store, article_id, key)),
        )

    # -- articles ----------------------------------------------------------------------------------

    def delete_articles(self, article_ids: list[int], initiator: object | None = None) -> Changes | None:
        """Not undoable (the caller asks first); clears the stack since its edits may refer to them.

        Stored before it returns, after the edits queued before it: a confirmed
        deletion, not a key press, so it may wait for the dataset's lock.
        """
        if self.store.read_only:
            return None
        self.wait_until_saved()
        try:
            change = span_edits.delete_articles(self.store, article_ids)
        except STORE_ERRORS as exc:
            self.edit_failed.emit(self.describe(exc))
            return None
        self.undo_stack.clear()
        self._handles.clear()
        self._spans.clear()
        self._forget_statuses()
        self._texts.clear()
        self.publish(change, initiator)
        return change
