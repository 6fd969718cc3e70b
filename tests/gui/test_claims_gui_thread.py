"""Work that grows with the dataset stays off the GUI thread, and runs once after a burst of edits: the
Claims view's filter choices after saved edits."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.core.db.store import open_store
from app.core.entities import claims
from app.core.entities.claims import list_claim_ids
from app.core.ops import span_edits
from app.widgets import tasks

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def test_saved_claim_edits_refresh_the_claims_view_choices_once_off_the_gui_thread(
        qtbot, make_window, claims_path, monkeypatch) -> None:
    window = make_window(open_store(claims_path))
    qtbot.keyClick(window.windowHandle(), Qt.Key.Key_C, CTRL | SHIFT)
    QApplication.processEvents()
    view = window.claims_view
    qtbot.waitUntil(lambda: not view.model.loading and view.model.rowCount() > 0)
    threads: list[bool] = []
    real, real_claimants = claims.verdicts_in_use, claims.claimants_in_use

    def counted(store):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(store)

    monkeypatch.setattr(claims, "verdicts_in_use", counted)
    ids = list_claim_ids(window.store, claims.ClaimFilter())[:5]
    claimant = real_claimants(window.store)[0][0]
    for n, span_id in enumerate(ids):  # five claimants set in a row, each saved, with a new verdict
        state = span_edits.read_span(window.store, span_id)
        window.gateway.set_claimant(span_id, {**state["attributes"], "verdict": f"checked {n}"}, claimant)
        window.gateway.wait_until_saved()
    assert threads == []  # nothing read on the GUI thread while editing
    verdicts = lambda: [view.verdict.itemText(i) for i in range(view.verdict.count())]  # noqa: E731
    qtbot.waitUntil(lambda: "checked 4" in verdicts(), timeout=5000)
    assert tasks.wait_for_all()
    assert threads == [False]  # read once, in the background
