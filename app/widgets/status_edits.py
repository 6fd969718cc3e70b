"""The edit gateway's status edits: marking articles, and undoing it (``EditGateway`` mixes them in).

A mark sets the article's working status and the marking annotator's own status
(app/core/team/status.py). Both earlier values are kept in the command, and the
annotator's layer is taken when the mark is made: its undo gives back that
annotator's own earlier status, not the article's (another annotator may have
marked it since), and in the same layer even when review mode has been left
meanwhile.

What the gateway shows ahead of the dataset (the statuses of queued edits) is
kept here too, so a status read right after an edit sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.core.changes import ChangeKind, Changes
from app.core.ops import span_edits

if TYPE_CHECKING:
    from app.core.db.edit_writer import EditWriter, Write
    from app.core.db.store import Store

    Planned = tuple[Changes, Write]


class StatusEdits:
    if TYPE_CHECKING:
        store: Store
        writer: EditWriter

        @property
        def annotator(self) -> str: ...
        def _push(self, text: str, do: Callable[[], Planned], undo: Callable[[Changes], Planned],
                  initiator: object | None = None) -> Changes | None: ...

    def _init_statuses(self) -> None:
        self._statuses: dict[int, str] = {}  # article -> its status with the queued edits
        self._own: dict[tuple[int, str], str] = {}  # (article, annotator) -> that annotator's own status

    def _forget_statuses(self, article_ids: tuple[int, ...] | None = None) -> None:
        """Read statuses from the dataset again: all, or those of ``article_ids`` (changed elsewhere)."""
        if article_ids is None:
            self._statuses.clear()
            self._own.clear()
            return
        for article_id in article_ids:
            self._statuses.pop(article_id, None)
        self._own = {key: s for key, s in self._own.items() if key[0] not in article_ids}

    def status_of(self, article_id: int) -> str | None:
        """The article's status with the edits made so far, stored or still queued."""
        return self._current_statuses([article_id]).get(article_id)

    def _current_statuses(self, article_ids: list[int]) -> dict[int, str]:
        unknown = [i for i in article_ids if i not in self._statuses]
        if unknown:
            self._statuses.update(span_edits.read_statuses(self.store, unknown))
        return {i: self._statuses[i] for i in article_ids if i in self._statuses}

    def _own_statuses(self, article_ids: list[int], who: str) -> dict[int, str]:
        unknown = [i for i in article_ids if (i, who) not in self._own]
        if unknown:
            self.writer.wait_until_idle(2.0)  # queued edits may start an article: read it after them
            found = span_edits.read_own_statuses(self.store, unknown, who)
            self._own.update({(i, who): s for i, s in found.items()})
        return {i: self._own[(i, who)] for i in article_ids}

    def _touch(self, article_id: int) -> None:
        # As span_edits._touch does when the edit is stored: labelling starts an article.
        if self._current_statuses([article_id]).get(article_id) == "new":
            self._statuses[article_id] = "in_progress"
        if self._own.get((article_id, self.annotator)) == "new":
            self._own[(article_id, self.annotator)] = "in_progress"

    def set_status(self, article_ids: list[int], status: str, initiator: object | None = None) -> Changes | None:
        ids = [int(i) for i in article_ids]
        shown = status.replace("_", " ")
        what = f"Mark {len(ids)} articles {shown}" if len(ids) > 1 else f"Mark article {shown}"
        who = self.annotator  # the layer marked now, undone in the same layer
        return self._push(what, lambda: self._plan_status(ids, status, who),
                          lambda c: self._plan_restore(c.before["status"], who, c.before["own"]), initiator)

    def _plan_status(self, article_ids: list[int], status: str, who: str) -> Planned:
        span_edits.check_status(status)
        before = self._current_statuses(article_ids)
        own = self._own_statuses(article_ids, who)
        self._statuses.update(dict.fromkeys(article_ids, status))
        self._own.update({(i, who): status for i in article_ids})
        return (Changes.edit(ChangeKind.STATUS_CHANGED, article_ids, before={"status": before, "own": own},
                             after={"status": status}),
                lambda store: span_edits.set_status(store, article_ids, status, who))

    def _plan_restore(self, statuses: dict[int, str], who: str, own: dict[int, str]) -> Planned:
        self._statuses.update(statuses)
        self._own.update({(i, who): s for i, s in own.items()})
        return (Changes.edit(ChangeKind.STATUS_CHANGED, tuple(statuses), after={"status": dict(statuses)}),
                lambda store: span_edits.restore_statuses(store, statuses, who, own=own))
