"""Native JSONL export speed and memory on a large dataset.

Builds (or reuses) a dataset of N articles of ~4 KB text with 20 spans each
(PERSON, ORG and CLAIM spans, CLAIMs with claimant/verdict/note attributes, some
nested), then exports it in a separate process so that the process's peak
resident memory is the export's own. Reports articles/s and peak RSS against
the targets (at least 15,000 articles/s, under 150 MB).

Run: python benchmarks/export_bench.py [--n 100000] [--dir FOLDER] [--format native] [--rounds 3]
The dataset file is kept in --dir and reused by later runs with the same N.
Besides wall-clock speed it prints speed per CPU-second, which stays
meaningful when other programs compete for the CPUs.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT))

TARGET_RATE = 15_000  # articles/s
TARGET_RSS_MB = 150
TEXT_CHARS = 4000
SPANS_PER_ARTICLE = 20
BUILD_BATCH = 1000

WORDS = ["market", "research", "company", "team", "model", "open", "source", "data", "analysts", "investors", "growth", "policy", "rate", "inflation", "government", "election", "council", "city", "school", "hospital", "weather", "storm", "river", "bridge", "museum", "artist", "concert", "league", "match", "season", "coach", "player", "injury", "transfer", "budget", "tax", "reform", "court", "judge", "ruling", "appeal", "witness", "police", "report", "survey", "study", "scientists", "climate", "energy", "solar", "wind", "battery", "vehicle", "factory", "workers", "union", "strike", "talks", "agreement", "minister", "spokesperson", "statement", "launch", "product", "customers", "prices", "quarter", "revenue", "profit"]
NAMES = ["Anna Keller", "Tomás Ruiz", "Priya Natarajan", "John Osei", "Marie Dubois", "Kenji Satō"]
ORGS = ["Meta", "Mistral AI", "Northern Rail", "Valley Bank", "Harbour Council", "Café Union"]
VERDICTS = ["true", "false", "misleading", "unverified"]


def _article(i: int, rng: random.Random) -> object:
    from app.core.validation import NewArticle

    parts: list[str] = [f"Report {i}."]
    mentions: list[tuple[int, int, str]] = []  # (start, end, label) of names placed in the text
    size = len(parts[0])
    while size < TEXT_CHARS:
        words = rng.choices(WORDS, k=rng.randint(10, 20))
        sentence = " ".join(words).capitalize()
        name, label = (rng.choice(NAMES), "PERSON") if rng.random() < 0.5 else (rng.choice(ORGS), "ORG")
        prefix = f" {sentence} said "
        start = size + len(prefix)
        mentions.append((start, start + len(name), label))
        piece = f"{prefix}{name}."
        parts.append(piece)
        size += len(piece)
    body = "".join(parts)
    spans: list[dict[str, object]] = []
    picked = rng.sample(mentions, min(len(mentions), SPANS_PER_ARTICLE - 4))
    for start, end, label in picked:
        spans.append({"start": start, "end": end, "label": label, "annotator": "alice"})
    # Four CLAIMs, each a sentence around a mention (so PERSON/ORG spans nest inside them).
    for start, end, _label in rng.sample(mentions, 4):
        claim_start = body.rfind(".", 0, start) + 2
        spans.append({"start": claim_start, "end": end + 1, "label": "CLAIM", "annotator": "alice",
                      "attributes": {"claimant": body[start:end], "verdict": rng.choice(VERDICTS),
                                     "note": f"checked against source {i}"}})
    return NewArticle(text=body, title=f"Report {i}: {rng.choice(WORDS)} {rng.choice(WORDS)}",
                      url=f"https://news.example.org/{i}", site_name="Example News", language="en",
                      published="2026-01-02", status=rng.choice(["new", "in_progress", "done"]),
                      source_kind="url", source=f"https://news.example.org/{i}", spans=spans)


def build_dataset(path: Path, n: int) -> None:
    from sqlalchemy import text

    from app.core.db.store import open_store
    from app.core.ingest.storing import store_articles

    store = open_store(path)
    try:
        with store.begin() as conn:
            have = int(conn.execute(text("SELECT count(*) FROM article")).scalar_one())
        if have == n:
            print(f"Reusing {path} ({n:,} articles).")
            return
        if have:
            raise SystemExit(f"{path} holds {have:,} articles, not {n:,}; delete it or pick another --dir.")
        print(f"Building {path} with {n:,} articles ...", flush=True)
        rng = random.Random(7)
        began = time.perf_counter()
        for first in range(0, n, BUILD_BATCH):
            batch = [_article(i, rng) for i in range(first, min(n, first + BUILD_BATCH))]
            store_articles(store, batch)  # type: ignore[arg-type]
            if (first // BUILD_BATCH) % 10 == 9:
                print(f"  {first + len(batch):,} articles, {time.perf_counter() - began:.0f} s", flush=True)
        print(f"Built in {time.perf_counter() - began:.0f} s.")
    finally:
        store.close()


def child(db: Path, out: Path, fmt: str) -> None:
    """Runs in the measured subprocess: one export; prints articles, wall seconds and CPU seconds."""
    from app.core.db.store import open_store
    from app.core.export.exporter import ExportOptions, export_jsonl

    store = open_store(db)
    began, cpu_began = time.perf_counter(), time.process_time()
    summary = export_jsonl(store, out, ExportOptions(format=fmt))
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    store.close()
    print(summary.articles, elapsed, cpu)


def baseline_child(db: Path, out: Path) -> None:
    """The reference loop, in the measured subprocess: articles streamed out of SQLite
    with plain sqlite3 and written as orjson lines (no spans, no app code)."""
    import sqlite3

    import orjson

    conn = sqlite3.connect(str(db))
    began, cpu_began = time.perf_counter(), time.process_time()
    n = 0
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "wb") as f:
        cursor = conn.execute("SELECT uid, url, title, text, status FROM article ORDER BY id")
        while rows := cursor.fetchmany(1000):
            for uid, url, title, text, status in rows:
                f.write(orjson.dumps({"id": uid, "url": url, "title": title, "text": text, "status": status}))
                f.write(b"\n")
            n += len(rows)
        f.flush()
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        # What the export adds to be crash-safe: the data on disk before the file gets its name.
        os.fsync(f.fileno())
    os.replace(tmp, out)
    durable = time.perf_counter() - began
    conn.close()
    print(n, elapsed, cpu, durable)


def _run_measured(cmd: list[str]) -> tuple[str, float]:
    """Run ``cmd``; return its stdout and its own peak RSS in MB.

    os.wait4 reports the rusage of that one child, not of every child so far
    (RUSAGE_CHILDREN would include the dataset build). The parent that spawns it
    stays small on purpose: on Linux a child's ru_maxrss also counts what it
    shared with its parent before exec.
    """
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(cmd, stdout=out, env={**os.environ, "PYTHONPATH": str(ROOT)})
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped; keep Popen from waiting again
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed with exit code {proc.returncode}")
        out.seek(0)
        output = out.read()
    peak = usage.ru_maxrss
    return output, peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, else KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="articles in the dataset (default 100,000)")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "article-curator-export-bench",
                        help="folder for the dataset and the export (reused between runs)")
    parser.add_argument("--format", choices=("native", "spacy", "doccano"), default="native")
    parser.add_argument("--rounds", type=int, default=1, help="exports to run; the best is reported")
    parser.add_argument("--build", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=2, metavar=("DB", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--baseline-child", nargs=2, metavar=("DB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build_dataset(Path(args.build), args.n)
        return 0
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.format)
        return 0
    if args.baseline_child:
        baseline_child(Path(args.baseline_child[0]), Path(args.baseline_child[1]))
        return 0

    args.dir.mkdir(parents=True, exist_ok=True)
    db = args.dir / f"bench-{args.n}.sqlite"
    out = args.dir / f"export-{args.n}.{args.format}.jsonl"
    # The build runs in its own process so that this one stays small (see _run_measured).
    subprocess.run([sys.executable, __file__, "--n", str(args.n), "--build", str(db)], check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})

    best_rate, best_cpu_rate, best_peak, articles, seconds = 0.0, 0.0, 0.0, 0, 0.0
    for _ in range(args.rounds):
        # Each round writes a new file, as the reference loop does: replacing the last
        # round's output would add the time to free its blocks to the export's.
        out.unlink(missing_ok=True)
        output, peak_mb = _run_measured([sys.executable, __file__, "--format", args.format,
                                         "--child", str(db), str(out)])
        n, secs, cpu = output.split()
        rate = int(n) / float(secs)
        best_cpu_rate = max(best_cpu_rate, int(n) / float(cpu))
        best_peak = max(best_peak, peak_mb)
        if rate > best_rate:
            best_rate, articles, seconds = rate, int(n), float(secs)
    size_mb = out.stat().st_size / 1e6
    print(f"Exported {articles:,} articles ({args.format}, {size_mb:,.0f} MB) in {seconds:.2f} s"
          + (f" (best of {args.rounds})" if args.rounds > 1 else ""))
    ok_rate, ok_rss = best_rate >= TARGET_RATE, best_peak < TARGET_RSS_MB
    print(f"  speed:    {best_rate:>9,.0f} articles/s  (target >= {TARGET_RATE:,})  {'OK' if ok_rate else 'MISSED'}")
    print(f"  peak RSS: {best_peak:>9,.0f} MB          (target < {TARGET_RSS_MB})      {'OK' if ok_rss else 'MISSED'}")
    # The reference loop on the same dataset, same run: the target (15,000/s) is 0.75 of
    # the 20,000/s such a loop reached where the targets were set.
    base_out = args.dir / f"baseline-{args.n}.jsonl"
    base_rate = durable_rate = base_peak = 0.0
    for _ in range(args.rounds):  # best of as many rounds as the export had
        output, peak_mb = _run_measured([sys.executable, __file__, "--baseline-child", str(db), str(base_out)])
        n, secs, _cpu, durable_secs = output.split()
        base_rate = max(base_rate, int(n) / float(secs))
        durable_rate = max(durable_rate, int(n) / float(durable_secs))
        base_peak = max(base_peak, peak_mb)
        base_out.unlink()
    ratio = best_rate / base_rate
    print(f"  reference loop (sqlite3 + orjson, articles only, best of {args.rounds}): {base_rate:,.0f} articles/s, "
          f"peak RSS {base_peak:,.0f} MB")
    print(f"  ratio export / reference: {ratio:.2f}  (target ratio >= 0.75)")
    print(f"  same loop writing as the export does (fsync, then rename): {durable_rate:,.0f} articles/s; "
          f"ratio export / that: {best_rate / durable_rate:.2f}")
    # Wall-clock speed suffers when other programs share the CPUs; per CPU-second it does not.
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"  per CPU-second: {best_cpu_rate:,.0f} articles/s; load average {load:.1f} on {os.cpu_count()} CPUs")
    return 0 if ok_rate and ok_rss else 1


if __name__ == "__main__":
    sys.exit(main())
