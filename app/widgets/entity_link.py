"""Linking spans to entities at keyboard speed, in the annotation panel.

When an entity span is selected (a new one is selected as it is made), the strip
above the span list says what L would do: "Link to Meta (ORG) — L" when its
words name one entity, "New entity ‘Meta’ (ORG) — L" when they name none. When
they name several, all are listed, numbered, and none is picked: L (or a click)
opens the choice, then a number key picks one, N makes a new entity, Esc
cancels. A linked span shows its entity. Every link is one undoable command
(``EntityCommands``), and the span list shows the entity each span names.

A label whose key is L keeps it: the strip then names no key, and a click links.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from PySide6.QtCore import QKeyCombination, QObject, Qt
from PySide6.QtGui import QPalette, QTextDocument
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QWidget

from app.core.changes import ChangeKind, Changes
from app.core.entities import queries
from app.core.entities.matching import propose
from app.core.ops.labels import LabelInfo
from app.core.ops.library import SpanRecord
from app.widgets.edits import EditGateway
from app.widgets.entity_commands import EntityCommands
from app.widgets.palette import Styled, mix, tinted
from app.widgets.span_list import SpanList, preview

NONE = Qt.KeyboardModifier.NoModifier
LINK_KEY = QKeyCombination(NONE, Qt.Key.Key_L).toCombined()
NEW_KEY = QKeyCombination(NONE, Qt.Key.Key_N).toCombined()
ESC_KEY = QKeyCombination(NONE, Qt.Key.Key_Escape).toCombined()
DIGITS = {QKeyCombination(NONE, Qt.Key(int(Qt.Key.Key_1) + i)).toCombined(): i for i in range(9)}
KEY_ROWS = [
    ("L", "Link the selected entity span to the entity its words name, or to a new one"),
    ("L, then 1–9 / N", "Pick one of several entities the words name / make a new one"),
]


class Candidate(NamedTuple):
    id: int
    name: str
    kind: str


class LinkStrip(Styled, QFrame):
    """One line of rich text above the span list; its links pick a choice."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("linkStrip")
        self.message = QLabel()
        self.message.setObjectName("linkMessage")
        self.message.setTextFormat(Qt.TextFormat.RichText)  # built from escaped parts
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 5, 8, 5)
        row.addWidget(self.message, 1)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # Its line stays reserved while hidden: selecting an entity span must not move the span list, nor
        # raise the panel's least height (which would squeeze the dock below the text for good).
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        self.restyle()
        self.hide()

    def plain_text(self) -> str:
        """What the strip says, without its styling."""
        shown = QTextDocument()
        shown.setHtml(self.message.text())
        return " ".join(shown.toPlainText().split())

    def style_sheet(self) -> str:
        pal = QApplication.palette()
        back, fore, _edge = tinted(pal.color(QPalette.ColorRole.Highlight), 0.16, 0.07)
        border = mix(pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text), 0.22).name()
        return (f"#linkStrip {{ background: {back}; border: 1px solid {border}; border-radius: 4px; }}"
                f" #linkStrip QLabel {{ color: {fore}; background: transparent; }}")


def _cap(key: str) -> str:
    pal = QApplication.palette()
    back = mix(pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text), 0.14).name()
    return f'<span style="background-color:{back}; font-weight:600;">&nbsp;{html.escape(key)}&nbsp;</span>'


def _entity(candidate: Candidate) -> str:
    return f"<b>{html.escape(candidate.name)}</b> ({html.escape(candidate.kind)})"


class EntityLinker(QObject):
    """The selected span's link proposal, its strip and its keys; the names of linked entities in the span list."""

    def __init__(self, gateway: EditGateway, span_list: SpanList, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self.commands = EntityCommands(gateway)
        self.span_list = span_list
        self.strip = LinkStrip()
        self.strip.message.linkActivated.connect(self._on_link)
        self._labels: dict[str, LabelInfo] = {}
        self._label_keys: set[int] = set()
        self._span: SpanRecord | None = None
        self._linked: Candidate | None = None
        self.candidates: list[Candidate] = []
        self.choosing = False  # L was pressed with several candidates: a number picks one
        self._names: dict[int, Candidate] = {}
        self._shown: Sequence[SpanRecord] = ()
        gateway.changes_applied.connect(self._on_changes)

    # -- what the panel tells it ---------------------------------------------------------------
    def set_labels(self, labels: Iterable[LabelInfo], keys: Iterable[int]) -> None:
        self._labels = {lb.name: lb for lb in labels}
        self._label_keys = set(keys)

    def show_spans(self, spans: Sequence[SpanRecord]) -> None:
        """The article's spans as shown: the span list names the entities they link to."""
        self._shown = spans
        wanted = {s.entity_id for s in spans if s.entity_id is not None}
        self._load_names(wanted)
        self.span_list.set_entity_names({i: self._names[i].name for i in wanted if i in self._names})

    def _load_names(self, entity_ids: Iterable[int]) -> None:
        """Read the names of these entities, unless known (the cache empties when the registry changes)."""
        missing = [i for i in entity_ids if i not in self._names]
        if missing:
            found = queries.entity_names(self.gateway.store, missing)
            self._names.update({i: Candidate(i, name, kind) for i, (name, kind) in found.items()})

    def show_span(self, span: SpanRecord | None) -> None:
        """The selected span (None: no span selected): what L would do with it."""
        self.choosing = False
        info = self._labels.get(span.label) if span is not None else None
        if span is None or info is None or info.kind != "entity" or self.gateway.store.read_only:
            self._span, self.candidates, self._linked = None, [], None
            self.strip.hide()
            return
        self._span = span
        self._linked = None
        if span.entity_id is not None:
            self._load_names([span.entity_id])
            self._linked = self._names.get(span.entity_id)
        self.candidates = [] if span.entity_id is not None else self._propose(span)
        self._fill()

    def _propose(self, span: SpanRecord) -> list[Candidate]:
        ids = propose(self.gateway.store, span.text, span.label)
        found = queries.entity_names(self.gateway.store, ids)
        return [Candidate(i, *found[i]) for i in ids if i in found]

    # -- the strip -----------------------------------------------------------------------
    def _key(self) -> str:
        return "" if LINK_KEY in self._label_keys else f" — {_cap('L')}"

    def _fill(self) -> None:
        span = self._span
        assert span is not None
        words = html.escape(preview(span.text, 40))
        new = f"<a href='new'>New entity ‘{words}’</a> ({html.escape(span.label)})"
        if self._linked is not None:
            text = f"Linked to {_entity(self._linked)} · <a href='unlink'>unlink</a>"
        elif not self.candidates:
            text = new + self._key()
        elif len(self.candidates) == 1:
            text = f"<a href='0'>Link to</a> {_entity(self.candidates[0])}{self._key()}"
        else:
            choices = " · ".join(f"{_cap(str(n + 1))} <a href='{n}'>{html.escape(c.name)}</a>"
                                 for n, c in enumerate(self.candidates[:9]))
            if self.choosing:
                text = f"Link ‘{words}’ to: {choices} · {_cap('N')} {new} · {_cap('Esc')} cancels"
            else:
                then = f"{self._key()} then a number" if self._key() else ""
                text = f"‘{words}’ names {len(self.candidates)} entities: {choices}{then}"
        self.strip.message.setText(text)
        self.strip.restyle()
        self.strip.show()

    def _on_link(self, href: str) -> None:
        if href == "unlink" and self._span is not None:
            self.commands.unlink([self._span.id], f"Unlink “{preview(self._span.text, 30)}”")
        elif href == "new":
            self.accept(None)
        elif href.isdigit():
            self.accept(int(href))

    # -- keys ------------------------------------------------------------------------------
    def wants(self, combo: int) -> bool:
        if self.choosing:  # every number is the chooser's: one past the list must not relabel the span
            return combo in (NEW_KEY, ESC_KEY) or combo in DIGITS
        return combo == LINK_KEY and combo not in self._label_keys and self._span is not None \
            and self._linked is None

    def handle(self, combo: int) -> None:
        if self.choosing:
            if combo in DIGITS and DIGITS[combo] >= len(self.candidates):
                return  # no such entity: still choosing
            self.choosing = False
            if combo == NEW_KEY:
                self.accept(None)
            elif combo in DIGITS:
                self.accept(DIGITS[combo])
            else:
                self._fill()
            return
        if len(self.candidates) > 1:
            self.choosing = True  # never one picked silently: the annotator says which
            self._fill()
            return
        self.accept(0 if self.candidates else None)

    def accept(self, choice: int | None) -> Changes | None:
        """Link the selected span to candidate ``choice``, or (None) to a new entity named by its words."""
        span = self._span
        if span is None:
            return None
        self.choosing = False
        if choice is None:
            return self.commands.create_and_link(span.label, " ".join(span.text.split()), [span.id])
        chosen = self.candidates[choice]
        return self.commands.link([span.id], chosen.id, f"Link “{preview(span.text, 30)}” to {chosen.name}")

    # -- changes -------------------------------------------------------------------------
    def _on_changes(self, change: Changes, _initiator: object) -> None:
        if change.saved or not change.has(ChangeKind.ENTITIES_CHANGED, ChangeKind.LABELS_CHANGED,
                                          ChangeKind.ROLLED_BACK):
            return
        if change.has(ChangeKind.LABELS_CHANGED, ChangeKind.ROLLED_BACK) or not change.entity_ids:
            self._names.clear()  # read every name again when shown
        else:
            for entity_id in change.entity_ids:  # renamed, merged, deleted: read their names again when shown
                self._names.pop(entity_id, None)
        if change.has(ChangeKind.ENTITIES_CHANGED) and self._concerns(change):
            self.refresh()

    def _concerns(self, change: Changes) -> bool:
        """Whether an entity edit changes what the panel shows: the name of an entity linked in the article,
        or what the selected span links to or is offered (any entity's names may now match its words)."""
        span = self._span
        if not change.entity_ids or (span is not None and span.entity_id is None):
            return True
        named = {s.entity_id for s in self._shown if s.entity_id is not None}
        if span is not None and span.entity_id is not None:
            named.add(span.entity_id)
        return not named.isdisjoint(change.entity_ids)

    def refresh(self) -> None:
        """Show the names and the proposal again (entities changed, or the span's link)."""
        self.show_spans(self._shown)
        if self._span is not None:
            self.show_span(self._span)
