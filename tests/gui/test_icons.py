"""The icons are Font Awesome glyphs drawn without qtawesome, exactly as qtawesome draws them."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QIcon

from app.widgets.icons import ICONS, icon


@pytest.mark.parametrize("meaning", sorted(ICONS))
def test_each_icon_looks_as_qtawesome_draws_it(qapp, meaning: str) -> None:
    qta = pytest.importorskip("qtawesome")
    theirs = qta.icon(ICONS[meaning], color="#1d4ed8", color_disabled="#888888")
    mine = icon(meaning, color="#1d4ed8")
    for size in (16, 24, 56):
        for mode in (QIcon.Mode.Normal, QIcon.Mode.Disabled, QIcon.Mode.Selected):
            drawn = mine.pixmap(size, size, mode).toImage()
            assert not drawn.isNull() and drawn == theirs.pixmap(size, size, mode).toImage(), (size, mode)


def test_an_unknown_meaning_gets_a_question_mark(qapp) -> None:
    qta = pytest.importorskip("qtawesome")
    question = qta.icon("fa5s.question", color="#000000", color_disabled="#888888")
    assert icon("no such meaning", color="#000000").pixmap(16, 16).toImage() == question.pixmap(16, 16).toImage()


def test_icons_follow_the_palette(qapp) -> None:
    dark, light = icon("done", color="#000000"), icon("done", color="#ffffff")
    assert dark.pixmap(24, 24).toImage() != light.pixmap(24, 24).toImage()
