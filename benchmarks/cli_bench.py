"""How fast the command line answers: ``stats``, ``search`` and a native export, beside their floor.

    python benchmarks/cli_bench.py                 # datasets built once under /tmp, reused after
    python benchmarks/cli_bench.py --runs 9 --n 100000 --export-n 10000

Each figure is the wall time of the real command (a new Python process running
``app.cli.main``, as the ``article-curator`` script does) beside its floor:

    floor = start-up + work
    start-up = a new Python process that runs ``import sqlite3, orjson``
    work     = the same command line run in this process, ``app.cli.main([...])``, after a
               first run has imported everything: opening the dataset, the integrity check
               stats makes, the queries, the export with its manifest; output to the null device

so the ratio (target <= 2.0) is what starting the program and importing its code
cost on top of the least any program must spend. ``stats`` and ``search`` run on
a dataset of ``--n`` articles (the library benchmark's articles), the export
writes every article of a dataset of ``--export-n``. Repetitions are interleaved
(start-up, command, work, ...) so that other programs' load falls on all alike;
medians are printed, wall-clock and CPU (user + system), since CPU time stays
meaningful when other programs compete for the cores.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_RATIO = 2.0
CLI = "import sys; from app.cli import main; sys.exit(main())"
FLOOR = "import sqlite3, orjson"


def build(path: Path, n: int) -> None:
    """The library benchmark's dataset of ``n`` articles at ``path``, built once (to a temporary name)."""
    if path.exists():
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from gui_library_bench import build_dataset

    from app.core.db.store import open_store

    partial = path.with_name(path.name + ".building")
    with open_store(partial) as store:
        build_dataset(store, n)
    os.replace(partial, path)


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_process(code: str, args: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of a new Python process running ``code`` with ``args``."""
    cpu = _child_cpu()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise SystemExit(f"{args} ended with status {done.returncode}: {done.stderr.decode(errors='replace')}")
    return time.perf_counter() - started, _child_cpu() - cpu


def run_in_process(args: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``app.cli.main(args)`` in this process, its output discarded."""
    from app.cli import main

    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null), contextlib.redirect_stderr(null):
        cpu = time.process_time()
        started = time.perf_counter()
        status = main(args)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    if status != 0:
        raise SystemExit(f"article-curator {' '.join(args)} ended with status {status}")
    return wall, cpu


class Figures:
    def __init__(self) -> None:
        self.samples: dict[str, list[tuple[float, float]]] = {}

    def add(self, name: str, sample: tuple[float, float]) -> None:
        self.samples.setdefault(name, []).append(sample)

    def median(self, name: str, which: int) -> float:
        return statistics.median(s[which] for s in self.samples[name])


def measure(commands: dict[str, list[str]], runs: int) -> Figures:
    figures = Figures()
    for args in commands.values():  # warm: the file cache, and every import of this process
        run_process(CLI, args)
        run_in_process(args)
    for _ in range(runs):
        for name, args in commands.items():
            figures.add("start-up", run_process(FLOOR, []))
            figures.add(name, run_process(CLI, args))
            figures.add(name + " work", run_in_process(args))
    return figures


def report(figures: Figures, commands: dict[str, list[str]]) -> bool:
    ok = True
    for which, unit in ((0, "wall"), (1, "CPU")):
        start = figures.median("start-up", which)
        print(f"\n{unit} seconds, medians    command   start-up      work     floor   ratio (target <= {TARGET_RATIO})")
        for name in commands:
            took, work = figures.median(name, which), figures.median(name + " work", which)
            floor = start + work
            ratio = took / floor
            verdict = "ok" if ratio <= TARGET_RATIO else "OVER"
            if which == 0 and ratio > TARGET_RATIO:
                ok = False
            print(f"  {name:22s} {took:9.3f} {start:10.3f} {work:9.3f} {floor:9.3f} {ratio:7.2f}  {verdict}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="articles of the dataset stats and search read")
    parser.add_argument("--export-n", type=int, default=10_000, help="articles of the exported dataset")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()),
                        help="where the datasets are built once and kept (default: the temp folder)")
    parser.add_argument("--runs", type=int, default=5, help="repetitions of each measurement")
    parser.add_argument("--query", default="priya raman", help="what search looks for")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # Never a real profile: settings and logs of every run go to a throwaway home.
        os.environ["ARTICLE_CURATOR_HOME"] = str(Path(tmp) / "home")
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        library, small = args.dir / f"cli_bench_{args.n}.sqlite", args.dir / f"cli_bench_{args.export_n}.sqlite"
        build(library, args.n)
        build(small, args.export_n)
        out = Path(tmp) / "export.jsonl"
        commands: dict[str, list[str]] = {
            f"stats ({args.n:,})": ["stats", "--db", str(library)],
            f"search ({args.n:,})": ["search", *args.query.split(), "--db", str(library)],
            f"export ({args.export_n:,})": ["export", str(out), "--db", str(small)],
        }
        print(f"python {sys.version.split()[0]}, {args.runs} runs; start-up: python -c {FLOOR!r}")
        figures = measure(commands, args.runs)
        return 0 if report(figures, commands) else 1


if __name__ == "__main__":
    sys.exit(main())
