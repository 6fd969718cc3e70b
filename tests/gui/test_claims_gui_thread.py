"""Work that grows with the dataset stays off the GUI thread, or runs once after a burst of edits or keys:
the Claims view's filter choices after saved edits, the claim details' search of the registry as a
claimant is typed."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.core.db.store import open_store
from app.core.entities import claim_links, claims
from app.core.entities.claims import list_claim_ids
from app.core.ops import span_edits
from app.widgets import tasks
from tests.gui.test_claim_details import open_claim, type_text

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


def test_typing_a_claimant_searches_the_registry_once_typing_pauses(qtbot, make_window, claims_path,
                                                                   monkeypatch) -> None:
    window = make_window(open_store(claims_path))
    _claim, details = open_claim(qtbot, window, "its rosters")
    calls: dict[str, int] = {"registry": 0, "kinds": 0}
    real_registry, real_kinds = claim_links.registry_options, claim_links.claimant_kinds

    def registry_options(store, typed, *args, **kwargs):
        calls["registry"] += 1
        return real_registry(store, typed, *args, **kwargs)

    def claimant_kinds(store):
        calls["kinds"] += 1
        return real_kinds(store)

    monkeypatch.setattr(claim_links, "registry_options", registry_options)
    monkeypatch.setattr(claim_links, "claimant_kinds", claimant_kinds)
    type_text(qtbot, window, "felix marchetti")
    popup = details.completer.popup()
    qtbot.waitUntil(popup.isVisible)
    names = [popup.model().index(r, 0).data() for r in range(popup.model().rowCount())]
    assert names[-2:] == ["New PERSON “felix marchetti”", "New ORG “felix marchetti”"]
    assert calls == {"registry": 1, "kinds": 1}
    type_text(qtbot, window, " jr")
    qtbot.waitUntil(lambda: calls["registry"] == 2)
    assert calls["kinds"] == 1  # the kinds are read once for the claim shown
