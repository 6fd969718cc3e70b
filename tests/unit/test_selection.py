"""Snapping selections to words, finding whole-word occurrences, UTF-16 offsets (no Qt)."""

from __future__ import annotations

import pytest

from app.core.ops.selection import (
    LINE_BREAKS,
    OffsetMap,
    crosses_line_break,
    find_occurrences,
    line_break_rule,
    snap_to_words,
    trim,
)


def snapped(text: str, start: int, end: int) -> str | None:
    result = snap_to_words(text, start, end)
    return None if result is None else text[result[0] : result[1]]


def sel(text: str, part: str) -> tuple[int, int]:
    i = text.index(part)
    return i, i + len(part)


SENTENCE = "Of the fourteen researchers, research scientist Hugo Touvron remains at Meta."


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("Hugo Touvron", "Hugo Touvron"),
        ("ugo Touv", "Hugo Touvron"),  # partial words widen
        ("o T", "Hugo Touvron"),
        (" Hugo Touvron ", "Hugo Touvron"),  # surrounding spaces go
        ("Meta.", "Meta"),  # trailing period goes
        ("eta", "Meta"),
        ("researchers, ", "researchers"),  # comma goes
        ("t Hugo", "scientist Hugo"),
    ],
)
def test_snap_widens_to_words_and_trims(part: str, expected: str) -> None:
    assert snapped(SENTENCE, *sel(SENTENCE, part)) == expected


def test_snap_keeps_inner_apostrophes_and_hyphens() -> None:
    text = "leaving Meta’s flagship open-source project"
    # A possessive ending stays out of a name unless the selection reaches into it.
    assert snapped(text, *sel(text, "Met")) == "Meta"
    assert snapped(text, *sel(text, "Meta’")) == "Meta’s"
    assert snapped(text, *sel(text, "’s fl")) == "Meta’s flagship"
    assert snapped(text, *sel(text, "en-sou")) == "open-source"
    assert snapped(text, *sel(text, "-")) == "open-source"
    text = "rock'n'roll"
    assert snapped(text, 5, 6) == "rock'n'roll"


def test_snap_trims_quotes_and_brackets_but_not_inner_ones() -> None:
    text = 'lacks a dedicated “reasoning” model, (FAIR) and "quoted words" here'
    assert snapped(text, *sel(text, "“reasoning”")) == "reasoning"
    assert snapped(text, *sel(text, "(FAIR)")) == "FAIR"
    assert snapped(text, *sel(text, '"quoted words"')) == "quoted words"
    assert snapped(text, *sel(text, "“reasoning” model, (FAIR)")) == "reasoning” model, (FAIR"


def test_snap_keeps_percent_and_currency() -> None:
    text = "or 78% of the team, worth $88K."
    assert snapped(text, *sel(text, "78% ")) == "78%"
    assert snapped(text, *sel(text, "$88K.")) == "$88K"


def test_snap_nothing_left() -> None:
    text = "Hello, world — “again”."
    assert snap_to_words(text, 5, 7) is None  # ", "
    assert snap_to_words(text, *sel(text, " — “")) is None
    assert snap_to_words(text, 3, 3) is None
    assert snap_to_words("", 0, 0) is None


def test_snap_accepts_reversed_and_out_of_range_offsets() -> None:
    assert snapped(SENTENCE, 60, 48) == "Hugo Touvron"
    assert snapped(SENTENCE, len(SENTENCE) - 3, len(SENTENCE) + 10) == "Meta"
    assert snapped(SENTENCE, -5, 2) == "Of"


def test_snap_accents_and_combining_marks() -> None:
    text = "founded by Timothée Lacroix and Jose\u0301 Pérez."
    assert snapped(text, *sel(text, "mothée Lac")) == "Timothée Lacroix"
    combined = "Jose\u0301"
    i = text.index(combined)
    assert snapped(text, i + 1, i + 4) == combined  # ends before the combining accent: still widened
    assert snapped(text, *sel(text, "ére")) == "Pérez"


def test_snap_trims_emoji_but_keeps_words_after_them() -> None:
    text = "🎉 Meta 👍🏽 wins ❤️"
    assert snapped(text, 0, len(text)) == "Meta 👍🏽 wins"
    assert snapped(text, 0, text.index("Meta") + 2) == "Meta"
    assert snapped(text, text.index("wins"), len(text)) == "wins"
    family = "team 👨\u200d👩\u200d👧"
    assert snapped(family, 0, len(family)) == "team"
    assert snap_to_words("👍🏽", 0, 2) is None


def test_snap_other_scripts() -> None:
    text = "Генеральный директор Сергей Иванов сказал"
    assert snapped(text, *sel(text, "гей Ив")) == "Сергей Иванов"
    text = "東京大学の研究"
    assert snapped(text, 1, 2) == text  # no spaces: the run of letters is one word


def test_trim_only() -> None:
    assert trim(" «Meta» ", 0, 8) == (2, 6)
    assert trim("...", 0, 3) is None


def test_find_occurrences_whole_words_case_sensitive() -> None:
    text = "Meta and meta, Metaverse, Meta’s Meta-Llama; (Meta) META Meta"
    found = find_occurrences(text, "Meta")
    assert [text[s:e] for s, e in found] == ["Meta", "Meta", "Meta", "Meta"]
    assert found[0] == (0, 4)
    assert found[-1] == (len(text) - 4, len(text))
    assert [text[s : e + 2] for s, e in found[1:2]] == ["Meta’s"]  # the possessive is left out
    assert [text[s - 1 : e + 1] for s, e in found[2:3]] == ["(Meta)"]


def test_find_occurrences_multiword_and_unicode() -> None:
    text = "Hugo Touvron, then “Hugo Touvron” and Hugo Touvrons; 😀Hugo Touvron😀"
    found = find_occurrences(text, "Hugo Touvron")
    assert len(found) == 3
    assert all(text[s:e] == "Hugo Touvron" for s, e in found)
    assert find_occurrences(text, "") == []
    assert find_occurrences("Timothée Lacroix, Timothée", "Timothée") == [(0, 8), (18, 26)]
    assert find_occurrences("Timothéee", "Timothé") == []


def test_find_occurrences_with_punctuation_at_the_edges() -> None:
    text = "the U.S. and the U.S.A. and U.S."
    assert len(find_occurrences(text, "U.S.")) == 3  # the needle ends in punctuation: any neighbour is fine
    assert find_occurrences(text, "U.S.A") == [(17, 22)]


def test_offset_map_identity_without_astral_characters() -> None:
    m = OffsetMap("Timothée “Lacroix” — ü")
    assert m.identity
    assert m.to_display(5) == 5 and m.from_display(5) == 5


def test_offset_map_round_trips_around_emoji() -> None:
    text = "a😀b c🎉🎉d e"
    m = OffsetMap(text)
    assert not m.identity
    utf16 = text.encode("utf-16-le")
    for i in range(len(text) + 1):
        q = m.to_display(i)
        assert len(text[:i].encode("utf-16-le")) == 2 * q
        assert m.from_display(q) == i
    assert utf16[2 * m.to_display(2) : 2 * m.to_display(3)].decode("utf-16-le") == "b"
    # A position inside a surrogate pair maps to the emoji itself.
    assert m.from_display(2) == 1


def test_offset_map_with_inserted_characters() -> None:
    text = "One.\nTwo 😀.\nThree."
    breaks = [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    shown = text.replace("\n", "\n\n")
    m = OffsetMap(text, breaks)
    shown16 = shown.encode("utf-16-le")
    for i, ch in enumerate(text):
        q = m.to_display(i)
        assert shown16[2 * q : 2 * q + 2].decode("utf-16-le", errors="surrogatepass") == ch[:1] or ord(ch) > 0xFFFF
        assert m.from_display(q) == i
    assert m.to_display(len(text)) == len(shown16) // 2
    # The inserted blank line maps back to the line break before it.
    assert m.from_display(m.to_display(5) - 1) == 4


MONDAY = "Solvane Robotics named Priya Raman on Monday.\nChief executive Priya Raman said so.\r\nThen\u2029more."


@pytest.mark.parametrize(
    ("part", "kind", "rule"),
    [
        ("Priya Raman", "entity", "fine"),
        ("Priya Raman on Monday.", "claim", "fine"),
        ("Monday.\nChief executive", "entity", "refuse"),  # a name never runs over a line break
        ("Monday.\nChief executive", "claim", "confirm"),  # a claim may, once confirmed
        ("so.\r\nThen", "entity", "refuse"),
        ("Then\u2029more", "entity", "refuse"),  # any line break str.splitlines knows
        ("Then\u2029more", "claim", "confirm"),
    ],
)
def test_line_break_rule_by_label_kind(part: str, kind: str, rule: str) -> None:
    start, end = sel(MONDAY, part)
    assert line_break_rule(MONDAY, start, end, kind) == rule
    assert crosses_line_break(MONDAY, start, end) == (rule != "fine")


def test_line_breaks_are_those_splitlines_knows() -> None:
    assert all(len(f"a{ch}b".splitlines()) == 2 for ch in LINE_BREAKS)
    assert not crosses_line_break("a\tb c\u00a0d", 0, 7)
