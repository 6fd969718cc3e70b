"""Build ``sample-articles.jsonl``, the sample dataset a new user can open from the welcome view.

Run it from anywhere after changing an article or a span, and commit its output:

    python resources/sample/make_sample.py

The first article is real news (the text of tests/data/meta-llama-turnover.txt,
without the site's advertising and links after the article); the others are
invented: their people, organisations, places and events are fictional.

Offsets are never typed by hand. A span names its words (and, when the words
occur more than once, which occurrence) and the script finds them in the text,
as whole words; it stops with an error when they are not there. The file is in
the app's own native export format, so importing it gives back the articles
with their spans, statuses and metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
OUT = HERE / "sample-articles.jsonl"
REAL_ARTICLE = HERE.parents[1] / "tests" / "data" / "meta-llama-turnover.txt"
REAL_ARTICLE_END = "where talent follows the most dynamic and open platforms."
ANNOTATOR = "sample"
FICTIONAL_SITE = "The Sample Gazette (fictional)"
SOURCE = "Article Curator sample dataset"


@dataclass(frozen=True)
class S:
    """A span by its words: the ``nth`` whole-word occurrence of ``words`` (0 = the first)."""

    label: str
    words: str
    nth: int = 0
    claimant: str | None = None  # CLAIM spans only
    verdict: str = "unverified"
    note: str = ""


@dataclass(frozen=True)
class Article:
    uid: str
    title: str
    text: str
    date: str
    status: str
    site_name: str = FICTIONAL_SITE
    author: str | None = None
    spans: list[S] = field(default_factory=list)


def real_article() -> tuple[str, str]:
    """Title and body of the real article: the body runs from the first paragraph to the article's last sentence."""
    raw = REAL_ARTICLE.read_text(encoding="utf-8")
    title, _, rest = raw.partition("\n")
    rest = rest.strip()
    rest = rest.removeprefix("Source Cryptopolitan").strip()  # the site's name, kept as metadata
    end = rest.index(REAL_ARTICLE_END) + len(REAL_ARTICLE_END)
    return title.strip(), rest[:end]


def fictional(*paragraphs: str) -> str:
    return "\n\n".join(p.strip() for p in paragraphs)


def articles() -> list[Article]:
    title, body = real_article()
    return [
        Article(
            "sample-meta-llama-turnover", title, body, "2025-05-27", "in_progress",
            site_name="Cryptopolitan",
            spans=[
                S("ORG", "Meta"),
                S("CLAIM", "only three, research scientist Hugo Touvron, research engineer Xavier Martinet, "
                           "and technical program leader Faisal Azhar, remain at Meta",
                  claimant="Cryptopolitan", note="Check against the author list of the 2023 Llama paper."),
                S("PERSON", "Hugo Touvron"),
                S("PERSON", "Xavier Martinet"),
                S("PERSON", "Faisal Azhar"),
                S("ORG", "Meta", nth=1),
                S("ORG", "Mistral"),
                S("PERSON", "Guillaume Lample"),
                S("PERSON", "Timothée Lacroix"),
            ],
        ),
        Article(
            "sample-port-allerton-tidal", "Port Allerton council backs tidal power pilot",
            fictional(
                "The Port Allerton town council voted seven to two on Tuesday to back a tidal power pilot in the "
                "outer harbour, the first of its kind on this stretch of coast.",
                "Mayor Imogen Thackeray said the six turbines would supply electricity to four thousand homes by "
                "2028. “This is the cheapest clean power we will ever be offered,” she told the meeting.",
                "Not everyone is convinced. Brenna Okafor, who chairs the Allerton Harbour Pilots’ Association, "
                "warned that the turbines would narrow the shipping channel by a third. Seacrest Tidal, the firm "
                "that will build and run the pilot, said the channel would stay at least 200 metres wide.",
                "The council will review the project again next spring, once Seacrest Tidal has published its "
                "survey of the harbour floor.",
            ),
            "2025-03-11", "done",
            spans=[
                S("ORG", "Port Allerton town council"),
                S("PERSON", "Imogen Thackeray"),
                S("CLAIM", "the six turbines would supply electricity to four thousand homes by 2028",
                  claimant="Imogen Thackeray"),
                S("CLAIM", "This is the cheapest clean power we will ever be offered", claimant="Imogen Thackeray",
                  verdict="misleading", note="The council papers compare it only with diesel generators."),
                S("PERSON", "Brenna Okafor"),
                S("ORG", "Allerton Harbour Pilots’ Association"),
                S("CLAIM", "the turbines would narrow the shipping channel by a third", claimant="Brenna Okafor"),
                S("ORG", "Seacrest Tidal"),
                S("CLAIM", "the channel would stay at least 200 metres wide", claimant="Seacrest Tidal"),
                S("ORG", "Seacrest Tidal", nth=1),
            ],
        ),
        Article(
            "sample-brindlecombe-recall", "Brindlecombe Foods recalls oat bars over missing nut warning",
            fictional(
                "Brindlecombe Foods is recalling 40,000 boxes of its Morning Crunch oat bars after some packs were "
                "sold without a warning that they may contain hazelnuts.",
                "The Northvale Food Standards Office said on Friday that two customers with nut allergies had "
                "reported mild reactions. Nobody has been taken to hospital, according to the office.",
                "Chief executive Marcus Ilunga apologised and said the fault lay with a single packaging line at "
                "the company’s Greywick bakery. “Every other product we make is correctly labelled,” Ilunga said.",
                "Customers can return the bars to any shop for a full refund.",
            ),
            "2025-04-04", "in_progress",
            spans=[
                S("ORG", "Brindlecombe Foods"),
                S("ORG", "Northvale Food Standards Office"),
                S("PERSON", "Marcus Ilunga"),
            ],
        ),
        Article(
            "sample-hallowmere-naps", "Short afternoon naps help students remember, Hallowmere study says",
            fictional(
                "Students who took a twenty-minute nap after a lecture remembered a third more of it a week later, "
                "according to a study from Hallowmere University published on Wednesday.",
                "The researchers followed 212 first-year students over one term. Dr Saoirse Lindqvist, who led the "
                "study, said the effect was “as large as an extra hour of revision”.",
                "Professor Tomasz Adeyemi of the Calder Institute for Sleep Research, who was not involved, cautioned "
                "that the students had chosen for themselves whether to nap. “People who can nap in the afternoon "
                "may simply sleep better at night,” he said.",
                "The Hallowmere team plans a larger trial next year, in which students will be told at random "
                "whether to nap.",
            ),
            "2025-04-16", "new",
        ),
        Article(
            "sample-aldermoor-strike", "Aldermoor Air pilots vote to strike over rosters",
            fictional(
                "Pilots at Aldermoor Air have voted to strike for three days next month in a dispute over rosters, "
                "their union said on Monday.",
                "The Federation of Commercial Aircrew said 87 per cent of its members at the airline had backed the "
                "action. General secretary Ruth Abernathy said pilots were being rostered for six early starts in a "
                "row “with no regard for fatigue rules”.",
                "Aldermoor Air said its rosters met every legal limit and that it would run a reduced timetable "
                "during the strike. Its operations director, Felix Marchetti, urged the union to return to talks.",
                "About 30,000 passengers are booked on the airline’s flights on the strike days.",
            ),
            "2025-05-05", "new",
        ),
        Article(
            "sample-greywick-music", "Greywick school board denies plan to cut music lessons",
            fictional(
                "The Greywick school board has denied that it plans to cut music lessons at its primary schools, "
                "after a leaked budget draft listed the subject under “possible savings”.",
                "Board chair Annika Forsythe said the draft was an early working paper and that “no school will "
                "lose a single hour of music”. Parents from the Greywick Music Trust, a charity that lends "
                "instruments to pupils, said they had been told otherwise at a meeting in March.",
                "Daniel Osei-Whitlock, the trust’s director, said the board should publish its final budget before "
                "the summer holidays. The board said it would publish it in September.",
            ),
            "2025-06-02", "new",
        ),
    ]


def find(text: str, words: str, nth: int) -> tuple[int, int]:
    """Offsets of the ``nth`` whole-word occurrence of ``words`` in ``text``."""
    pattern = re.compile(r"(?<!\w)" + re.escape(words) + r"(?!\w)")
    found = [m.span() for m in pattern.finditer(text)]
    if nth >= len(found):
        raise SystemExit(f"{words!r} occurs {len(found)} time(s) as whole words, so occurrence {nth} does not exist")
    return found[nth]


def record(article: Article) -> dict[str, object]:
    spans = []
    for s in article.spans:
        start, end = find(article.text, s.words, s.nth)
        attributes = {}
        if s.label == "CLAIM":
            attributes = {"claimant": s.claimant or "", "note": s.note, "verdict": s.verdict}
        spans.append({"start": start, "end": end, "label": s.label, "text": article.text[start:end],
                      "annotator": ANNOTATOR, "attributes": attributes})
    spans.sort(key=lambda sp: (sp["start"], sp["end"], sp["label"], sp["annotator"]))  # as the export sorts them
    return {
        "id": article.uid,
        "url": None,
        "title": article.title,
        "text": article.text,
        "meta": {"author": article.author, "date": article.date, "site_name": article.site_name, "language": "en",
                 "source_kind": "file", "source": SOURCE},
        "status": article.status,
        "spans": spans,
    }


def main() -> None:
    lines = [orjson.dumps(record(a), option=orjson.OPT_APPEND_NEWLINE) for a in articles()]
    OUT.write_bytes(b"".join(lines))
    spans = sum(len(a.spans) for a in articles())
    print(f"wrote {OUT} ({len(lines)} articles, {spans} spans)")


if __name__ == "__main__":
    main()
