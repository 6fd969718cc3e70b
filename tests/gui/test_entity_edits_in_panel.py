"""Entity edits and the open article: an edit of an entity the article does not show reads nothing again;
a rename of one it links shows the new name; a new entity is offered for the selected span at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import Qt

from app.core.entities import queries
from app.core.ops import library
from app.widgets import entity_link
from tests.gui.test_entity_link import label_words, press, span_row_texts, window  # noqa: F401 - fixture


@contextmanager
def reads(monkeypatch) -> Iterator[list[str]]:
    """The panel's reads of the dataset: the article, entity names, link proposals."""
    seen: list[str] = []
    for owner, name in ((library, "get_article"), (queries, "entity_names"), (entity_link, "propose")):
        real = getattr(owner, name)
        monkeypatch.setattr(owner, name, lambda *a, _n=name, _r=real, **k: (seen.append(_n), _r(*a, **k))[1])
    yield seen
    monkeypatch.undo()


def test_an_edit_of_an_entity_the_article_does_not_show_reads_nothing_again(window, monkeypatch) -> None:  # noqa: F811
    panel = window.panes.annotation
    label_words(window, "Elena Vasquez", Qt.Key.Key_1)
    press(window, Qt.Key.Key_L)  # a new entity, linked; the span stays selected
    commands = panel.linker.commands
    elena = panel.selected_span().entity_id
    other = commands.create_and_link("ORG", "Solvane Robotics", []).entity_ids[0]

    with reads(monkeypatch) as seen:
        commands.rename(other, "Solvane Robotics", "Solvane Robotics AG")
        commands.add_alias(other, "Solvane Robotics AG", "Solvane")
    assert seen == []
    assert "Elena Vasquez  → Elena Vasquez" in span_row_texts(window)

    # A rename of the entity the article links: the span list and the strip name it anew, the article is not read.
    with reads(monkeypatch) as seen:
        commands.rename(elena, "Elena Vasquez", "Mayor Elena Vasquez")
    assert "get_article" not in seen
    assert "Elena Vasquez  → Mayor Elena Vasquez" in span_row_texts(window)
    assert panel.linker.strip.plain_text() == "Linked to Mayor Elena Vasquez (PERSON) · unlink"
    window.gateway.undo_stack.undo()
    assert "Elena Vasquez  → Elena Vasquez" in span_row_texts(window)


def test_a_new_entity_is_offered_for_the_selected_unlinked_span(window) -> None:  # noqa: F811
    panel = window.panes.annotation
    label_words(window, "Northgate Builders", Qt.Key.Key_2)
    strip = panel.linker.strip
    assert strip.plain_text() == "New entity ‘Northgate Builders’ (ORG) — L"
    panel.linker.commands.create_and_link("ORG", "Northgate Builders", [])
    assert strip.plain_text() == "Link to Northgate Builders (ORG) — L"
