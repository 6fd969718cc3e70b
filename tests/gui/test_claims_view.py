"""View ▸ Claims in the main window, driven with keys sent to the window: what the table shows, its filters and
orders, opening the article at a claim, and following edits made in the claim details."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QWidget

from app.core.db.store import open_store
from app.core.entities.claims import list_claim_ids
from app.core.ops import span_edits
from app.widgets.claim_table_model import COLUMNS, ClaimTableModel
from app.widgets.main_window import MainWindow
from tests.gui.claims_data import article_id

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
SHOTS = Path(__file__).resolve().parents[1] / "screenshots"  # docs/screenshots holds copies

def press(qtbot, window: QWidget, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window.windowHandle(), key, modifiers)
    QApplication.processEvents()


def type_text(qtbot, window: QWidget, text: str) -> None:
    """Type lower-case letters, digits, spaces and hyphens as key presses sent to the window."""
    keys = {" ": Qt.Key.Key_Space, "-": Qt.Key.Key_Minus}
    for char in text:
        qtbot.keyClick(window.windowHandle(), keys.get(char) or Qt.Key(ord(char.upper())))
    QApplication.processEvents()


def shown_rows(window: MainWindow) -> list[tuple[str, ...]]:
    model = window.claims_view.model
    return [tuple(model.index(r, c).data() for c in range(len(COLUMNS))) for r in range(model.rowCount())]


def open_claims(qtbot, window: MainWindow) -> None:
    press(qtbot, window, Qt.Key.Key_C, CTRL | SHIFT)
    view = window.claims_view
    qtbot.waitUntil(lambda: not view.model.loading and view.model.rowCount() > 0)
    assert window.tabs.currentWidget() is view and view.table.hasFocus()


def click_header(qtbot, window: MainWindow, column: int) -> None:
    header = window.claims_view.table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(header.sectionViewportPosition(column) + 20, header.height() // 2))
    qtbot.waitUntil(lambda: not window.claims_view.model.loading)


def test_the_table_shows_every_claim(qtbot, make_window, claims_path) -> None:
    window = make_window(open_store(claims_path))
    open_claims(qtbot, window)
    rows = shown_rows(window)
    assert len(rows) == 10 and window.claims_view.count.text() == "10 claims"
    # By article (import order) and their text, as the library lists articles.
    assert rows[0][0].startswith("only three, research scientist") and rows[0][5].startswith("High turnover")
    assert [r[0][:12] for r in rows[1:5]] == ["the six turb", "This is the ", "the turbines", "the channel "]
    # The date column's header: newest first.
    click_header(qtbot, window, 4)
    rows = shown_rows(window)
    assert window.claims_view.model.sort_key == ("date", True)
    assert [r[4] for r in rows] == sorted((r[4] for r in rows), reverse=True)
    by_claim = {r[0][:30]: r for r in rows}
    assert by_claim["two customers with nut allergi"][1:5] == ("Northvale Food Standards Office", "true",
                                                               "The Sample Gazette (fictional)",
                                                               "2025-06-13")
    assert by_claim["Every other product we make is"][5].startswith("Brindlecombe Foods recalls")
    assert by_claim["This is the cheapest clean pow"][1:3] == ("Imogen Thackeray", "misleading")
    # View ▸ Claims lists the action with its key.
    action = window.actions_by_id["show_claims"]
    assert action.shortcut().toString() == "Ctrl+Shift+C"
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert action in view_menu.actions()


def test_filters_and_orders(qtbot, make_window, claims_path) -> None:
    window = make_window(open_store(claims_path))
    open_claims(qtbot, window)
    view = window.claims_view
    # Words of the claim or its claimant, typed into the search box.
    qtbot.mouseClick(view.search, Qt.MouseButton.LeftButton)
    type_text(qtbot, window, "thackeray")
    qtbot.waitUntil(lambda: view.model.rowCount() == 2 and not view.model.loading)
    assert {r[1] for r in shown_rows(window)} == {"Imogen Thackeray"}
    assert view.count.text() == "2 of 10 claims"
    press(qtbot, window, Qt.Key.Key_A, CTRL)
    press(qtbot, window, Qt.Key.Key_Backspace)
    qtbot.waitUntil(lambda: view.model.rowCount() == 10 and not view.model.loading)
    # The verdict box, with the keys: "false" claims only.
    view.verdict.setFocus()
    for _ in range(view.verdict.count()):
        if view.verdict.currentText() == "false":
            break
        press(qtbot, window, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: view.model.rowCount() == 2 and not view.model.loading)
    assert {r[2] for r in shown_rows(window)} == {"false"}
    # The claimant box: one entity's claims.
    view.verdict.setCurrentIndex(0)
    view.verdict.activated.emit(0)
    view.claimant.setFocus()
    for _ in range(view.claimant.count()):
        if view.claimant.currentText().startswith("Seacrest Tidal"):
            break
        press(qtbot, window, Qt.Key.Key_Down)
    assert view.claimant.currentText() == "Seacrest Tidal (1)"
    qtbot.waitUntil(lambda: view.model.rowCount() == 1 and not view.model.loading)
    assert shown_rows(window)[0][0].startswith("the channel would stay")
    view.claimant.setCurrentIndex(0)
    view.claimant.activated.emit(0)
    # A date range: the claim's own date, or its article's.
    qtbot.mouseClick(view.date_from, Qt.MouseButton.LeftButton)
    type_text(qtbot, window, "2025-05-01")
    press(qtbot, window, Qt.Key.Key_Tab)
    type_text(qtbot, window, "2025-05-31")
    press(qtbot, window, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.model.rowCount() == 3 and not view.model.loading)
    assert sorted(r[4] for r in shown_rows(window)) == ["2025-05-05", "2025-05-05", "2025-05-27"]
    # Sorting by a column: a click on its header, in SQL.
    view.date_from.clear()
    view.date_to.clear()
    view.date_to.editingFinished.emit()
    qtbot.waitUntil(lambda: view.model.rowCount() == 10 and not view.model.loading)
    click_header(qtbot, window, 1)
    assert view.model.sort_key == ("claimant", False)
    claimants = [r[1] for r in shown_rows(window)]
    assert claimants == sorted(claimants, key=str.lower)
    click_header(qtbot, window, 1)
    assert view.model.sort_key == ("claimant", True)
    assert [r[1] for r in shown_rows(window)] == sorted(claimants, key=str.lower, reverse=True)


def test_return_opens_the_article_at_the_claim(qtbot, make_window, claims_path) -> None:
    window = make_window(open_store(claims_path))
    open_claims(qtbot, window)
    view = window.claims_view
    target = next(r for r in range(view.model.rowCount()) if view.model.index(r, 0).data().startswith("its rosters"))
    press(qtbot, window, Qt.Key.Key_Home, CTRL)
    for _ in range(target):
        press(qtbot, window, Qt.Key.Key_Down)
    assert view.table.currentIndex().row() == target
    press(qtbot, window, Qt.Key.Key_Return)
    panel = window.panes.annotation
    assert window.tabs.currentWidget() is panel
    claim = panel.selected_span()
    assert claim is not None and claim.text == "its rosters met every legal limit"
    assert panel.article() is not None and panel.article().title.startswith("Aldermoor")
    # The claim details show it, linked to its claimant.
    details = panel.claim_details
    assert details.claimant.text() == "Aldermoor Air" and details.verdict.currentText() == "false"
    assert details.claimant_link.text().startswith("Linked to Aldermoor Air (ORG")
    assert details.date.text() == "2025-05-05"
    # The claim is in view: its start is inside the text's visible rectangle.
    text_view = panel.view
    cursor = text_view.textCursor()
    cursor.setPosition(text_view.to_qt(claim.start))
    assert text_view.viewport().rect().contains(text_view.cursorRect(cursor).center())


def test_an_edit_in_the_claim_details_shows_in_the_table(qtbot, make_window, claims_path) -> None:
    window = make_window(open_store(claims_path))
    open_claims(qtbot, window)
    view = window.claims_view
    row = next(r for r in range(view.model.rowCount()) if view.model.index(r, 0).data().startswith("Every other"))
    view.table.setCurrentIndex(view.model.index(row, 0))
    press(qtbot, window, Qt.Key.Key_Return)
    details = window.panes.annotation.claim_details
    # A new verdict with the keys, and the claim's date typed.
    details.verdict.setFocus()
    assert details.verdict.currentText() == "misleading"
    press(qtbot, window, Qt.Key.Key_Up)  # the one before it in the verdict list
    assert details.verdict.currentText() == "false"
    qtbot.mouseClick(details.date, Qt.MouseButton.LeftButton)
    type_text(qtbot, window, "2025-06-14")
    press(qtbot, window, Qt.Key.Key_Return)
    window.gateway.wait_until_saved()
    open_claims(qtbot, window)
    qtbot.waitUntil(lambda: not view.model.loading)
    shown = next(r for r in shown_rows(window) if r[0].startswith("Every other"))
    assert (shown[1], shown[2], shown[4]) == ("Marcus Ilunga", "false", "2025-06-14")
    # A new claim labelled elsewhere joins the table once stored.
    art = article_id(window.store, "Greywick")
    text = span_edits.read_article_text(window.store, art)
    start = text.index("the board should publish its final budget")
    window.gateway.add_span(art, start, start + 41, "CLAIM", {"claimant": "", "verdict": "unverified", "note": ""})
    window.gateway.wait_until_saved()
    qtbot.waitUntil(lambda: view.model.rowCount() == 11 and not view.model.loading)
    assert view.count.text() == "11 claims"


def test_the_model_passes_qtmodeltester(qtmodeltester, claims_path) -> None:
    store = open_store(claims_path)
    try:
        model = ClaimTableModel(store)
        model.query()
        assert model.span_ids() == list_claim_ids(store, sort="article")
        qtmodeltester.check(model)
    finally:
        store.close()


def test_screenshot_of_the_claims_view(qtbot, make_window, claims_path) -> None:
    window = make_window(open_store(claims_path))
    window.resize(1500, 560)
    window.panes.import_dock.hide()
    open_claims(qtbot, window)
    click_header(qtbot, window, 4)
    view = window.claims_view
    view.table.selectRow(1)
    QApplication.processEvents()
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SHOTS / "claims_view.png"))


def test_screenshot_of_the_claim_details(qtbot, make_window, claims_path) -> None:
    window = make_window(open_store(claims_path))
    window.panes.import_dock.hide()
    open_claims(qtbot, window)
    view = window.claims_view
    row = next(r for r in range(view.model.rowCount()) if view.model.index(r, 0).data().startswith("the turbines"))
    view.table.setCurrentIndex(view.model.index(row, 0))
    press(qtbot, window, Qt.Key.Key_Return)
    details = window.panes.annotation.claim_details
    qtbot.mouseClick(details.claimant, Qt.MouseButton.LeftButton)
    press(qtbot, window, Qt.Key.Key_Down)
    popup = details.completer.popup()
    assert popup.isVisible()
    # The speaker next to "warned" comes first, then the article's other names.
    assert [o.name for o in details.options.options][:2] == ["Brenna Okafor", "Allerton Harbour Pilots’ Association"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    # The list is a window of its own: drawn where it opens, under the claimant box.
    shot = window.grab()
    painter = QPainter(shot)
    under = details.claimant.mapTo(window, details.claimant.rect().bottomRight()) - QPoint(popup.width() - 1, 0)
    painter.drawPixmap(under, popup.grab())
    painter.end()
    assert shot.save(str(SHOTS / "claim_details.png"))
