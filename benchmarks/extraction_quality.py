"""Measure trafilatura extraction settings on saved real-world news pages.

For every page in ``tests/data/news/`` the ground truth in
``tests/data/news/groundtruth.json`` lists strings that must appear in the
extracted article text ("with") and boilerplate strings that must not
("without": navigation, related-article teasers, comments, cookie banners,
promo boxes, footers).  Each settings combination below is run on every page
with ``trafilatura.extract(html, url=..., **settings)`` and scored.

Run from the repository root (offline, about 15-20 seconds):

    python benchmarks/extraction_quality.py            # summary table
    python benchmarks/extraction_quality.py --details  # plus per-page misses/leaks
    python benchmarks/extraction_quality.py --repeat 5 # steadier CPU timings

Matching is case-sensitive and whitespace-normalised (runs of whitespace,
including non-breaking spaces, collapse to one space; text is NFC-normalised).

Columns: "complete" = pages whose "with" strings were all found; "with found" =
body strings found / total (recall); "leaked" = boilerplate strings present in
the output / total; "mean chars" = mean length of the extracted text; "CPU ms/page"
= mean over pages of the best-of-``--repeat`` process time; "title 1st" = pages
whose text starts with the page's title again (``app.core.ingest.text_cleanup``'s
comparison); "same text as" names an earlier setting that produced
byte-identical output on every page.

The last row is the app's settings followed by ``text_cleanup.clean_text`` (the
repeated headline and trailing promo/disclaimer lines dropped), as
``extract_document`` does.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import re
import sys
import time
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT))

from app.core.ingest.extraction import ExtractOptions
from app.core.ingest.text_cleanup import clean_text, is_title_line

DATA_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "news"
GROUND_TRUTH = DATA_DIR / "groundtruth.json"

# (label, keyword arguments for trafilatura.extract / bare_extraction)
SETTINGS: list[tuple[str, dict]] = [
    ("defaults", {}),
    ("favor_precision", {"favor_precision": True}),
    ("favor_recall", {"favor_recall": True}),
    ("include_comments=False", {"include_comments": False}),
    ("no_comments+precision", {"include_comments": False, "favor_precision": True}),
    ("no_comments+recall", {"include_comments": False, "favor_recall": True}),
    ("include_tables=False", {"include_tables": False}),
    ("include_tables=True", {"include_tables": True}),
    ("no_comments+precision+no_tables",
     {"include_comments": False, "favor_precision": True, "include_tables": False}),
    ("fast (no fallback)", {"fast": True}),
    ("no_comments+precision+fast",
     {"include_comments": False, "favor_precision": True, "fast": True}),
    ("no_comments+fast", {"include_comments": False, "fast": True}),
]

_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFC-normalise and collapse every whitespace run to a single space."""
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


@dataclass
class Page:
    name: str
    html: str
    url: str | None
    with_: list[str]
    without: list[str]
    title: str | None = None


@dataclass
class Result:
    label: str
    settings: dict
    pages_complete: int = 0
    with_found: int = 0
    with_total: int = 0
    leaks: int = 0
    without_total: int = 0
    lengths: list[int] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    title_first: int = 0  # pages whose text starts with their title
    digest: str = ""  # fingerprint of all extracted texts, to spot equivalent settings

    @property
    def recall(self) -> float:
        return self.with_found / self.with_total if self.with_total else 0.0

    @property
    def mean_len(self) -> float:
        return sum(self.lengths) / len(self.lengths) if self.lengths else 0.0

    @property
    def mean_cpu(self) -> float:
        return sum(self.cpu_ms) / len(self.cpu_ms) if self.cpu_ms else 0.0


def load_pages() -> list[Page]:
    truth = json.loads(GROUND_TRUTH.read_text(encoding="utf-8"))
    pages = []
    for name, entry in sorted(truth.items()):
        path = DATA_DIR / name
        # newline="" keeps the saved bytes exactly as they are (some pages use CRLF)
        with path.open(encoding="utf-8", newline="") as handle:
            html = handle.read()
        meta = trafilatura.extract_metadata(html, default_url=entry.get("url"))
        pages.append(Page(name, html, entry.get("url"), entry["with"], entry["without"],
                          meta.title if meta else None))
    return pages


def evaluate(label: str, settings: dict, pages: list[Page], repeat: int, cleanup: bool = False) -> Result:
    result = Result(label, settings)
    fingerprint = hashlib.sha1()
    gc.collect()
    for page in pages:
        text = None
        timings = []
        for _ in range(repeat):
            start = time.process_time()
            text = trafilatura.extract(page.html, url=page.url, **settings)
            if cleanup and text:
                text = clean_text(text, page.title)
            timings.append(time.process_time() - start)
        # best of the repeats, as timeit does: the least disturbed measurement
        result.cpu_ms.append(1000 * min(timings))
        fingerprint.update((text or "").encode("utf-8") + b"\0")
        norm = normalise(text or "")
        result.lengths.append(len(text or ""))
        result.title_first += is_title_line((text or "").partition("\n")[0], page.title)

        missing = [s for s in page.with_ if normalise(s) not in norm]
        leaked = [s for s in page.without if normalise(s) in norm]
        result.with_total += len(page.with_)
        result.with_found += len(page.with_) - len(missing)
        result.without_total += len(page.without)
        result.leaks += len(leaked)
        if not missing:
            result.pages_complete += 1
        if missing or leaked or not text:
            note = f"  {page.name}: {len(text or '')} chars"
            if missing:
                note += f"\n      missing: {missing}"
            if leaked:
                note += f"\n      leaked:  {leaked}"
            result.details.append(note)
    result.digest = fingerprint.hexdigest()
    return result


def print_table(results: list[Result], n_pages: int) -> None:
    header = (f"{'settings':<34} {'complete':>8} {'with found':>14} "
              f"{'leaked':>9} {'mean chars':>10} {'CPU ms/page':>11} {'title 1st':>9}  same text as")
    print(header)
    print("-" * len(header))
    first_with: dict[str, str] = {}
    for r in results:
        same = first_with.setdefault(r.digest, r.label)
        print(f"{r.label:<34} {r.pages_complete:>4}/{n_pages:<3} "
              f"{r.with_found:>3}/{r.with_total:<3} {100 * r.recall:5.1f}% "
              f"{r.leaks:>3}/{r.without_total:<5} {r.mean_len:>10.0f} {r.mean_cpu:>11.1f}"
              f" {r.title_first:>5}/{n_pages:<3}"
              f"  {same if same != r.label else ''}")


def best(results: list[Result]) -> Result:
    # fewest leaks, then highest recall, then most complete pages; among settings
    # that tie on all three the earliest (simplest) entry in SETTINGS wins, since
    # CPU differences between equivalent settings are mostly timing noise
    return min(results, key=lambda r: (r.leaks, -r.recall, -r.pages_complete))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3,
                        help="extractions per page and setting for the CPU timing (default 3)")
    parser.add_argument("--details", action="store_true",
                        help="list missing and leaked strings per page")
    args = parser.parse_args(argv)

    warnings.simplefilter("ignore", DeprecationWarning)
    pages = load_pages()
    print(f"trafilatura {trafilatura.__version__}, {len(pages)} pages, "
          f"{sum(len(p.with_) for p in pages)} 'with' / "
          f"{sum(len(p.without) for p in pages)} 'without' strings, repeat={args.repeat}\n")

    # warm up lazy imports and caches so the first setting is not penalised
    for page in pages:
        trafilatura.extract(page.html, url=page.url)

    results = [evaluate(label, settings, pages, args.repeat) for label, settings in SETTINGS]
    app = ExtractOptions()
    app_settings = {"include_comments": app.include_comments, "include_tables": app.include_tables,
                    "favor_precision": app.favor_precision, "fast": app.fast}
    results.append(evaluate("app settings + text_cleanup", app_settings, pages, args.repeat, cleanup=True))
    print_table(results, len(pages))

    if args.details:
        for r in results:
            print(f"\n[{r.label}]")
            print("\n".join(r.details) if r.details else "  all pages clean")

    winner = best(results)
    print(f"\nbest (fewest leaks, then highest recall): {winner.label} -> "
          f"trafilatura.extract(html, url=url, **{winner.settings!r})")
    print(f"  {winner.leaks}/{winner.without_total} leaked, "
          f"{winner.with_found}/{winner.with_total} body strings found, "
          f"{winner.pages_complete}/{len(pages)} pages complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
