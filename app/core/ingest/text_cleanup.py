"""Tidying an extracted article text: the repeated headline, and trailing promo and disclaimer lines.

trafilatura keeps a page's ``<h1>`` as the text's first line on most news pages,
while the title is stored on its own; and sites put a course advert ("… Academy:
… Register Now") or an investment disclaimer right after the last paragraph,
inside the article's container, where extraction keeps them.

Both cuts are narrow on purpose, because a cut of real article text is worse than
a leftover line (an annotator can ignore a line, but cannot label what is gone):

* the first line goes only when it *is* the title (ignoring whitespace, case,
  trailing punctuation and a " | Site name" suffix of the title);
* at the end, at most ``MAX_TRAILING`` lines go, each shorter than
  ``MAX_BOILERPLATE_CHARS`` and matching one of the patterns below; the first
  line that does not match stops the cut.

``tests/unit/test_text_cleanup.py`` checks, on every saved page in
``tests/data/news`` and on the pages of the test server, that nothing else is
cut; ``benchmarks/extraction_quality.py`` measures it against the ground truth.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TRAILING = 3
MAX_BOILERPLATE_CHARS = 300

# A site name after the headline in <title>: "Headline | Site", "Headline - Site", "Headline — Site".
_SITE_SUFFIX = re.compile(r"\s+[|\-–—·•]\s+[^|\-–—·•]{1,60}$")
_TRAILING_PUNCT = re.compile(r"[\s.,:;!?…]+$")

# A disclaimer says so, or is the stock investment one. English and German, as the pages we import.
_DISCLAIMER = re.compile(
    r"^(disclaimer|haftungsausschluss)\b"
    r"|\bfor (general )?information(al)? purposes only\b"
    r"|\bnot (intended as |to be construed as )?(financial|investment) advice\b"
    r"|\bpast performance is not (indicative|a (reliable )?indicator|a guarantee)\b",
    re.IGNORECASE,
)
# A promo ends with its call to action, like a button, without a full stop: "… Register Now".
# A sentence of the article ("Users can register now.") ends with one, so it is never matched.
_PROMO = re.compile(
    r"\b(register|sign up|subscribe|join|enrol+|download|get started|learn more)"
    r"( now| today| here| for free| free)?\s*[!»›→>]*$"
    r"|\bjetzt (anmelden|registrieren|abonnieren|kostenlos testen)\s*[!»›→>]*$",
    re.IGNORECASE,
)


def _normalise(line: str) -> str:
    line = unicodedata.normalize("NFKC", line).casefold()
    return _TRAILING_PUNCT.sub("", " ".join(line.split()))


def is_title_line(line: str, title: str | None) -> bool:
    """True when ``line`` is the headline ``title`` (with or without its site-name suffix)."""
    if not title or not line.strip():
        return False
    first = _normalise(line)
    return first in {_normalise(title), _normalise(_SITE_SUFFIX.sub("", title.strip()))}


def is_trailing_boilerplate(line: str) -> bool:
    """True for a short promo or disclaimer line, as sites put them after an article."""
    line = line.strip()
    if not line or len(line) > MAX_BOILERPLATE_CHARS:
        return False
    return bool(_DISCLAIMER.search(line) or _PROMO.search(line))


def drop_title_line(text: str, title: str | None) -> str:
    first, sep, rest = text.partition("\n")
    if sep and rest.strip() and is_title_line(first, title):
        return rest.lstrip("\n")
    return text


def drop_trailing_boilerplate(text: str) -> str:
    lines = text.split("\n")
    cut = 0
    end = len(lines)
    while end > 0 and cut < MAX_TRAILING:
        while end > 0 and not lines[end - 1].strip():
            end -= 1  # the blank line between paragraphs
        if end <= 1 or not is_trailing_boilerplate(lines[end - 1]):
            break
        end -= 1
        cut += 1
    if not cut:
        return text
    return "\n".join(lines[:end]).rstrip("\n")


def clean_text(text: str, title: str | None) -> str:
    """``text`` without a first line repeating ``title`` and without trailing promo/disclaimer lines."""
    return drop_trailing_boilerplate(drop_title_line(text, title))
