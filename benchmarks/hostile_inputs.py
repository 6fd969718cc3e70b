"""Hostile input files through the real ``article-curator import FOLDER`` command.

Writes generated files into a folder: broken JSONL and JSON, broken HTML, binary
files, wrong and mixed encodings (latin-1, UTF-16 without a byte order mark,
invalid UTF-8), empty files, huge lines, NUL bytes and files whose extension
lies about what they hold. Then runs the command on the folder as a user would
(a subprocess) and checks what a user must be able to rely on: no traceback on
stdout or stderr, exit status 1 (some items failed), and every file that failed,
wholly or in part, named in the output. Prints the counts of files, failed files,
imported articles and the time the import took.

Run: python benchmarks/hostile_inputs.py [--files 200] [--seed 9] [--keep DIR]
(exit status 1 when a check fails). tests/unit/test_hostile_import_run.py runs it
on 200+ files with a fixed seed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORDS = ["council", "harbor", "library", "vote", "mayor", "budget", "river", "station", "ferry", "school", "museum", "bridge", "court", "union", "engineer", "robot", "company", "market", "energy", "coral", "reef", "survey", "doctor", "hospital", "teacher", "parliament"]


@dataclass(frozen=True)
class Hostile:
    path: Path
    kind: str
    must_fail: bool  # nothing in it can be imported: the file must be named as failed


@dataclass
class RunResult:
    files: list[Hostile]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    imported: int
    failed_items: int
    logged: list[tuple[str, str]] = field(default_factory=list)  # (source, outcome) from the dataset's import log
    problems: list[str] = field(default_factory=list)  # broken promises; empty when all is well

    @property
    def failed_files(self) -> set[Path]:
        return {f.path for f in self.files if named(f.path, self.stdout)}


# --- what goes into the files --------------------------------------------------------------------


def prose(rng: random.Random, words: int, tag: int) -> str:
    """Article-like text, unique by ``tag`` so that nothing is a duplicate of anything else."""
    sentences = []
    while sum(len(s.split()) for s in sentences) < words:
        n = rng.randint(6, 16)
        sentences.append(" ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + ".")
    return f"Report {tag}. " + " ".join(sentences)


def good_record(rng: random.Random, tag: int) -> bytes:
    text = prose(rng, 40, tag)
    return json.dumps({"text": text, "spans": [{"start": 0, "end": 6, "label": rng.choice(["PERSON", "org"])}]}).encode()


BAD_LINES: list[Callable[[random.Random, int], bytes]] = [
    lambda rng, t: good_record(rng, t)[: rng.randint(1, 40)],  # truncated
    lambda rng, t: b'{"text": "Caf\xe9 ' + str(t).encode() + b'"}',  # latin-1 in UTF-8
    lambda rng, t: b'{"text": "x", "n": ' + b"9" * rng.randint(4301, 9000) + b"}",  # huge int
    lambda rng, t: b'{"text": "not a number", "n": NaN}',
    lambda rng, t: b'{"text": "too big", "n": 1e999, "m": -Infinity}',
    lambda rng, t: b"[" * rng.randint(1000, 200_000) + b"]" * rng.randint(0, 10),  # nested too deeply
    lambda rng, t: json.dumps(rng.choice([[1, 2], "text", 3, None, True])).encode(),  # not an object
    lambda rng, t: json.dumps({"text": rng.choice([5, [], {}, None, ""])}).encode(),  # text of a wrong type
    lambda rng, t: json.dumps({"text": "Spans", "spans": rng.choice(["x", 5, [[0]], [{"start": "0", "end": 2}]])}).encode(),
    lambda rng, t: json.dumps({"text": "Offsets", "spans": [{"start": 0, "end": rng.choice([1.5, -1, 10**30, "2"]),
                                                             "label": "ORG"}]}).encode(),
    lambda rng, t: b'{"text": "lone \\ud800 surrogate ' + str(t).encode() + b'"}',
    # A byte order mark in the middle of a file (opening one, it is allowed: then the record itself is bad).
    lambda rng, t: b"\xef\xbb\xbf" + json.dumps({"text": "   ", "title": f"bom {t}"}).encode(),
    lambda rng, t: b'{"text": "a NUL \x00 byte"}',
    lambda rng, t: rng.randbytes(rng.randint(1, 200)).replace(b"\n", b" "),
    lambda rng, t: json.dumps({"text": "deep attributes", "spans": [{"start": 0, "end": 4, "label": "ORG",
                                                                     "attributes": {"v": [[[[]]]]}}]}).encode()
    .replace(b"[[[[]]]]", b"[" * 300 + b"]" * 300),
]


def jsonl_mixed(rng: random.Random, tag: int) -> bytes:
    lines = [good_record(rng, tag * 100 + i) for i in range(rng.randint(1, 4))]
    lines += [rng.choice(BAD_LINES)(rng, tag) for _ in range(rng.randint(1, 6))]
    rng.shuffle(lines)
    return b"\n".join(lines) + b"\n"


def jsonl_all_bad(rng: random.Random, tag: int) -> bytes:
    return b"\n".join(rng.choice(BAD_LINES)(rng, tag) for _ in range(rng.randint(1, 8)))


def json_broken_list(rng: random.Random, tag: int) -> bytes:
    whole = b"[" + b",\n".join(good_record(rng, tag * 100 + i) for i in range(3)) + b"]"
    return whole[: rng.randint(2, len(whole) - 2)]


def html_page(rng: random.Random, tag: int) -> str:
    paras = "".join(f"<p>{prose(rng, 60, tag * 10 + i)}</p>" for i in range(4))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Report {tag}</title></head>"
            f"<body><nav><a href='/'>Home</a></nav><article><h1>Report {tag}</h1>{paras}</article></body></html>")


def html_broken(rng: random.Random, tag: int) -> bytes:
    page = html_page(rng, tag)
    choice = rng.randrange(6)
    if choice == 0:
        return page[: rng.randint(10, 200)].encode()  # cut off in the head
    if choice == 1:
        return ("<div>" * rng.randint(5_000, 40_000) + "deep").encode()
    if choice == 2:
        return f"<html><body><!-- never closed {prose(rng, 80, tag)}".encode()
    if choice == 3:
        return b"<html><body><script>" + b"var x = 1;" * 5000 + b"</body>"
    if choice == 4:
        return ("<p>" + "<b><i><u>" * 200 + prose(rng, 100, tag)).encode()  # tags never closed
    return f"<html><body><p title='{'x' * 300_000}'>{prose(rng, 20, tag)}</p></body></html>".encode()


def html_latin1_declared_utf8(rng: random.Random, tag: int) -> bytes:
    return html_page(rng, tag).replace("Report", "Caf\u00e9 r\u00e9port").encode("latin-1")


def utf16_without_bom(rng: random.Random, tag: int) -> bytes:
    return f"Wide {tag}\n\n{prose(rng, 80, tag)}".encode(rng.choice(["utf-16-le", "utf-16-be"]))


def jsonl_utf16_without_bom(rng: random.Random, tag: int) -> bytes:
    return good_record(rng, tag).decode().encode("utf-16-le")


def mixed_encodings(rng: random.Random, tag: int) -> bytes:
    text = f"Mixed {tag}\n\n" + prose(rng, 60, tag) + " Caf\u00e9 na\u00efve \u20ac"
    parts = [text.encode(enc, "replace") for enc in ("utf-8", "latin-1", "utf-16-le", "cp1252")]
    return b"\n".join(parts)


def invalid_utf8(rng: random.Random, tag: int) -> bytes:
    return b"Title\n\n" + bytes(rng.choice([0xC0, 0xC1, 0xF5, 0xFF, 0x80, 0xBF]) for _ in range(400))


def binary(rng: random.Random, tag: int) -> bytes:
    kinds = [b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"PK\x03\x04", b"\x7fELF\x02\x01", b"\x1f\x8b\x08\x00",
             b"GIF89a", b"\xff\xd8\xff\xe0", b"MZ\x90\x00\x03\x00\x00\x00"]
    return rng.choice(kinds) + rng.randbytes(rng.randint(100, 4000))


def random_bytes(rng: random.Random, tag: int) -> bytes:
    return rng.randbytes(rng.randint(1, 5000))


def empty(rng: random.Random, tag: int) -> bytes:
    return rng.choice([b"", b"   ", b"\n\n\r\n", b"\xef\xbb\xbf", b"\xff\xfe", b"\t \n"])


def nul_bytes(rng: random.Random, tag: int) -> bytes:
    text = bytearray(f"Nul {tag}\n\n{prose(rng, 60, tag)}".encode())
    for _ in range(rng.randint(1, 20)):
        text.insert(rng.randrange(len(text)), 0)
    return bytes(text)


def huge_line(rng: random.Random, tag: int) -> bytes:
    return f"Huge {tag} ".encode() + rng.choice([b"x", b"ab ", b"\xc3\xa9"]) * rng.randint(1_000_000, 3_000_000)


def jsonl_huge_line(rng: random.Random, tag: int) -> bytes:
    return b'{"text": "' + b"word " * rng.randint(400_000, 1_200_000) + b'", "spans": 7}\n' + good_record(rng, tag)


def compressed(rng: random.Random, tag: int) -> bytes:
    return zlib.compress(html_page(rng, tag).encode())


# (kind, file name suffix, maker, must_fail)
KINDS: list[tuple[str, str, Callable[[random.Random, int], bytes], bool]] = [
    ("jsonl with good and broken lines", ".jsonl", jsonl_mixed, False),
    ("jsonl with only broken lines", ".jsonl", jsonl_all_bad, True),
    ("jsonl named .json", ".json", jsonl_all_bad, True),
    ("broken JSON list", ".json", json_broken_list, True),
    ("broken html", ".html", html_broken, False),
    ("latin-1 html saying utf-8", ".htm", html_latin1_declared_utf8, False),
    ("utf-16 text without BOM", ".txt", utf16_without_bom, False),
    ("utf-16 jsonl without BOM", ".jsonl", jsonl_utf16_without_bom, True),
    ("mixed encodings", ".md", mixed_encodings, False),
    ("invalid utf-8", ".txt", invalid_utf8, False),
    ("binary named .html", ".html", binary, True),
    ("binary named .txt", ".txt", binary, True),
    ("binary named .jsonl", ".jsonl", binary, True),
    ("random bytes", ".md", random_bytes, False),
    ("random bytes named .jsonl", ".jsonl", random_bytes, True),
    ("empty html", ".html", empty, True),
    ("empty text", ".txt", empty, True),
    ("empty jsonl", ".jsonl", empty, True),
    ("NUL bytes in text", ".txt", nul_bytes, True),
    ("huge line", ".txt", huge_line, True),
    ("jsonl with a huge line", ".jsonl", jsonl_huge_line, False),
    ("compressed page named .html", ".html", compressed, True),
    ("jsonl named .html", ".html", jsonl_mixed, False),
    ("html named .txt", ".txt", lambda rng, t: html_page(rng, t).encode(), False),
]
# Names a careless script would trip over.
NAMES = ["file{i:04d}", "file {i:04d} with spaces", "fíle-{i:04d}-ünïcode", "-{i:04d}-dash", "{i:04d}.tar"]


def write_files(folder: Path, count: int = 200, seed: int = 9) -> list[Hostile]:
    """``count`` hostile files in ``folder`` (the same files for the same seed)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(count):
        kind, suffix, make, must_fail = KINDS[i % len(KINDS)]
        path = folder / (rng.choice(NAMES).format(i=i) + suffix)
        path.write_bytes(make(rng, i))
        files.append(Hostile(path, kind, must_fail))
    return files


# --- running the command ------------------------------------------------------------------------


def named(path: Path, output: str) -> bool:
    """Whether the command's output names ``path`` as a failure (the file, or one of its lines)."""
    return re.search(rf"^  failed     {re.escape(str(path))}(?::\d+)?: ", output, re.MULTILINE) is not None


def run_import(folder: Path, files: list[Hostile], *, workers: int = 2, timeout: float = 600) -> RunResult:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "ARTICLE_CURATOR_HOME": home, "PYTHONPATH": str(ROOT)}
        env.pop("ARTICLE_CURATOR_DB", None)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "app", "import", str(folder), "--db", str(Path(home) / "hostile.sqlite"),
             "--workers", str(workers)],
            capture_output=True, text=True, errors="replace", env=env, timeout=timeout, cwd=ROOT)
        seconds = time.perf_counter() - started
        logged = import_log(Path(home) / "hostile.sqlite")
    summary = re.search(r"Imported: (\d+)\s+Duplicates: (\d+)\s+Failed: (\d+)", done.stdout)
    result = RunResult(files, done.returncode, done.stdout, done.stderr, seconds,
                       int(summary[1]) if summary else -1, int(summary[3]) if summary else -1, logged)
    result.problems = check(result)
    return result


def import_log(db: Path) -> list[tuple[str, str]]:
    if not db.exists():
        return []
    with closing(sqlite3.connect(db)) as conn:
        try:
            return conn.execute("SELECT source, outcome FROM import_log").fetchall()
        except sqlite3.Error:
            return []


def check(result: RunResult) -> list[str]:
    """What the command did wrong, in words; empty when it kept every promise."""
    problems = []
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        if "Traceback" in text:
            problems.append(f"a traceback on {stream}: {text[text.index('Traceback'):][:2000]}")
    if result.returncode != 1:
        problems.append(f"exit status {result.returncode}, not 1")
    if result.imported < 0:
        problems.append("no summary line")
    handled = {source.rsplit(":", 1)[0] if re.search(r":\d+$", source) else source for source, _ in result.logged}
    for f in result.files:
        if f.must_fail and not named(f.path, result.stdout):
            problems.append(f"{f.path.name} ({f.kind}) is not named as failed")
        elif str(f.path) not in handled:
            problems.append(f"{f.path.name} ({f.kind}) was neither imported nor named as failed")
    for source, outcome in result.logged:
        if outcome == "failed" and f"  failed     {source}: " not in result.stdout:
            problems.append(f"{source} failed but the output does not say so")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them (default: a temporary folder)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp) / "hostile"
        files = write_files(folder, args.files, args.seed)
        size = sum(f.path.stat().st_size for f in files)
        print(f"{len(files)} files ({size / 1e6:.1f} MB) of {len(KINDS)} kinds, seed {args.seed}, in {folder}")
        result = run_import(folder, files, workers=args.workers)
    print(f"files: {len(files)}   failed files: {len(result.failed_files)}   imported articles: {result.imported}   "
          f"failed items: {result.failed_items}   exit status: {result.returncode}   time: {result.seconds:.1f} s")
    for problem in result.problems[:20]:
        print(f"PROBLEM: {problem}")
    if len(result.problems) > 20:
        print(f"... and {len(result.problems) - 20} more")
    print("all checks passed" if not result.problems else f"{len(result.problems)} problems")
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
